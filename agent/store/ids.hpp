// Object ids for the store: random (version 4) UUIDs.
#pragma once

#include "common/model/object.hpp"

namespace sharectl::store {

// A new random UUID in canonical lower-case form, e.g. "4a654c67-49ad-46d0-9168-0df0e6d0c1dd".
// Draws from the CSPRNG (common/util/random); throws only if it fails, which is unrecoverable.
model::Id new_id();

} // namespace sharectl::store
