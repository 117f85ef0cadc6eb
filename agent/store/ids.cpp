// Random UUIDs (RFC 4122 version 4) for new objects.
#include "agent/store/ids.hpp"

#include "common/util/random.hpp"

namespace sharectl::store {

model::Id new_id() {
  return uuid_v4();
}

} // namespace sharectl::store
