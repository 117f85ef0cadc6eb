#include "agent/store/view/view_store.hpp"

#include <algorithm>
#include <set>
#include <shared_mutex>
#include <type_traits>
#include <utility>

#include <malloc.h>

#include "agent/store/kinds.hpp"
#include "agent/store/liveness.hpp"
#include "agent/store/view/recording_tx.hpp"
#include "agent/store/view/view_tx.hpp"

namespace sharectl::store::view {

namespace {

// How many changes one read of the feed brings at most.
constexpr std::size_t k_feed_batch = 2000;
// How long the follower waits on the backend before it looks at the bookkeeping again.
constexpr std::chrono::milliseconds k_follow_wait{100};

using Steady = std::chrono::steady_clock;

// Calls f(std::type_identity<E>{}) for every document kind the view holds.
template <typename F>
void for_each_view_kind(F&& f) {
  for (int k = 0; k <= static_cast<int>(Kind::join_token); ++k) {
    with_kind(static_cast<Kind>(k), [&]<typename E>(std::type_identity<E> type) {
      if constexpr (!std::is_same_v<E, AuditEvent>) {
        f(type);
      }
    });
  }
}

// Feeds rows grouped by a key to set(key, rows) one group at a time.
template <typename Row, typename Key, typename Set>
void by_group(std::vector<Row>& rows, Key&& key, Set&& set) {
  std::size_t begin = 0;
  for (std::size_t i = 1; i <= rows.size(); ++i) {
    if (i == rows.size() || key(rows[i]) != key(rows[begin])) {
      auto group_key = key(rows[begin]);
      std::vector<Row> group(std::make_move_iterator(rows.begin() + begin),
                             std::make_move_iterator(rows.begin() + i));
      set(group_key, std::move(group));
      begin = i;
    }
  }
}

} // namespace

RwLock::RwLock() {
  pthread_rwlockattr_t attributes;
  pthread_rwlockattr_init(&attributes);
  pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&m_lock, &attributes);
  pthread_rwlockattr_destroy(&attributes);
}

RwLock::~RwLock() {
  pthread_rwlock_destroy(&m_lock);
}

ViewStore::ViewStore(std::unique_ptr<Store> backend, ViewOptions options)
    : m_backend(std::move(backend)), m_options(std::move(options)),
      m_state(std::make_unique<State>()) {}

Result<std::unique_ptr<ViewStore>> ViewStore::open(std::unique_ptr<Store> backend,
                                                   ViewOptions options) {
  std::unique_ptr<ViewStore> store(new ViewStore(std::move(backend), std::move(options)));
  if (auto loaded = store->load(); !loaded) {
    return std::unexpected(loaded.error());
  }
  if (store->m_options.follow) {
    store->m_follower = std::thread([s = store.get()] { s->follow(); });
  }
  return store;
}

ViewStore::~ViewStore() {
  {
    std::lock_guard lock(m_wait_mutex);
    m_stop = true;
  }
  m_advanced.notify_all();
  if (m_follower.joinable()) {
    m_follower.join();
  }
}

void ViewStore::warn(const std::string& message) const {
  if (m_options.warn) {
    m_options.warn(message);
  }
}

// --- loading and following --------------------------------------------------------------------

Status ViewStore::load() {
  const auto started = Steady::now();
  const auto heap_before = mallinfo2().uordblks;
  auto revision = m_backend->current_revision();
  if (!revision) {
    return std::unexpected(revision.error());
  }
  auto fresh = std::make_unique<State>();
  auto read = m_backend->view([&](Tx& tx) -> Status {
    Status out;
    for_each_view_kind([&]<typename E>(std::type_identity<E>) {
      if (!out) {
        return;
      }
      auto docs = tx.list<E>();
      if (!docs) {
        out = std::unexpected(docs.error());
        return;
      }
      for (E& doc : *docs) {
        fresh->put(Entity{std::move(doc)});
      }
    });
    if (!out) {
      return out;
    }
    auto acl = tx.list_all_acl();
    auto grants = tx.list_all_group_grants();
    auto members = tx.list_all_group_members();
    if (!acl || !grants || !members) {
      return std::unexpected(!acl ? acl.error() : !grants ? grants.error() : members.error());
    }
    by_group(
        *acl, [](const AclEntry& r) { return r.share_id; },
        [&](const Id& share, std::vector<AclEntry> rows) { fresh->set_acl(share, rows); });
    by_group(
        *grants, [](const GroupGrant& g) { return g.share_id; },
        [&](const Id& share, std::vector<GroupGrant> rows) {
          fresh->set_grants(share, std::move(rows));
        });
    by_group(
        *members, [](const GroupMember& m) { return m.group_id; },
        [&](const Id& group, std::vector<GroupMember> rows) { fresh->set_members(group, rows); });
    return {};
  });
  if (!read) {
    return read;
  }
  const auto heap_after = mallinfo2().uordblks;
  std::unique_ptr<State> old;
  {
    std::unique_lock lock(m_lock);
    old = std::exchange(m_state, std::move(fresh));
    m_load_time = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
    m_load_bytes = heap_after > heap_before ? heap_after - heap_before : 0;
    ++m_full_loads;
    {
      std::lock_guard wait(m_wait_mutex);
      m_revision = *revision;
    }
  }
  m_advanced.notify_all();
  return {};
}

Status ViewStore::catch_up(Revision target) {
  std::lock_guard apply_lock(m_apply);
  while (m_revision.load() < target) {
    auto changes = m_backend->changes_since(m_revision.load(), k_feed_batch);
    if (!changes) {
      return std::unexpected(changes.error());
    }
    if (changes->compacted) {
      warn("the change feed no longer reaches the view's revision " +
           std::to_string(m_revision.load()) + ": loading the whole store again");
      if (auto loaded = load(); !loaded) {
        return loaded;
      }
      continue;
    }
    if (auto applied = apply(*changes); !applied) {
      return applied;
    }
    if (changes->changes.empty()) {
      break;
    }
  }
  return {};
}

Status ViewStore::apply(const ChangeSet& changes) {
  // What to read again: each changed document; a share's ACL and grants when it changed, and
  // those of every share a changed group is granted on; a changed group's members.
  std::set<std::pair<Kind, Id>> documents;
  std::set<Id> shares;
  std::set<Id> groups;
  {
    std::shared_lock lock(m_lock);
    for (const Change& c : changes.changes) {
      documents.emplace(c.kind, c.id);
      if (c.kind == Kind::share) {
        shares.insert(c.id);
      } else if (c.kind == Kind::group) {
        groups.insert(c.id);
        if (const auto* granted = m_state->shares_of_group(c.id)) {
          shares.insert(granted->begin(), granted->end());
        }
      }
    }
  }
  std::vector<std::pair<Kind, Id>> gone;
  std::vector<Entity> found;
  std::vector<std::pair<Id, std::vector<AclEntry>>> acls;
  std::vector<std::pair<Id, std::vector<GroupGrant>>> grants;
  std::vector<std::pair<Id, std::vector<GroupMember>>> members;
  auto read = m_backend->view([&](Tx& tx) -> Status {
    for (const auto& [kind, id] : documents) {
      if (kind == Kind::audit_event) {
        continue;
      }
      auto doc = tx.get_entity(kind, id);
      if (doc) {
        found.push_back(std::move(*doc));
      } else if (doc.error().code == ErrorCode::not_found) {
        gone.emplace_back(kind, id);
      } else {
        return std::unexpected(doc.error());
      }
    }
    for (const Id& share : shares) {
      auto rows = tx.list_acl(share);
      auto share_grants = tx.list_group_grants(share);
      if (!rows || !share_grants) {
        return std::unexpected(!rows ? rows.error() : share_grants.error());
      }
      acls.emplace_back(share, std::move(*rows));
      grants.emplace_back(share, std::move(*share_grants));
    }
    for (const Id& group : groups) {
      auto rows = tx.list_group_members(group);
      if (!rows) {
        return std::unexpected(rows.error());
      }
      members.emplace_back(group, std::move(*rows));
    }
    return {};
  });
  if (!read) {
    return read;
  }
  {
    std::unique_lock lock(m_lock);
    for (const auto& [kind, id] : gone) {
      m_state->erase(kind, id);
    }
    for (Entity& doc : found) {
      m_state->put(std::move(doc));
    }
    for (auto& [share, rows] : acls) {
      m_state->set_acl(share, rows);
    }
    for (auto& [share, rows] : grants) {
      m_state->set_grants(share, std::move(rows));
    }
    for (auto& [group, rows] : members) {
      m_state->set_members(group, rows);
    }
    std::lock_guard wait(m_wait_mutex);
    m_revision = std::max(m_revision.load(), changes.revision);
  }
  m_advanced.notify_all();
  return {};
}

Status ViewStore::refresh_bookkeeping() {
  auto figures = m_backend->view_result([](Tx& tx) { return tx.read_bookkeeping(); });
  if (!figures) {
    return std::unexpected(figures.error());
  }
  std::unique_lock lock(m_lock);
  m_state->apply(*figures);
  return {};
}

Status ViewStore::refresh_liveness() {
  auto figures = m_backend->view_result([](Tx& tx) { return read_liveness(tx); });
  if (!figures) {
    return std::unexpected(figures.error());
  }
  std::unique_lock lock(m_lock);
  m_state->apply(*figures);
  return {};
}

void ViewStore::follow() {
  auto next_figures = Steady::now() + m_options.bookkeeping_interval;
  auto next_liveness = Steady::now() + m_options.liveness_interval;
  bool failing = false;
  auto report = [&](const Status& st, std::string_view what) {
    if (!st && !failing) {
      warn("the read view cannot " + std::string(what) +
           " (it answers from what it holds): " + st.error().message);
    } else if (st && failing) {
      warn("the read view follows the store again");
    }
    failing = !st;
  };
  while (!m_stop) {
    auto revision = m_backend->wait_for_change(m_revision.load(), k_follow_wait);
    if (m_stop) {
      break;
    }
    if (!revision) {
      report(std::unexpected(revision.error()), "follow the store");
      std::unique_lock lock(m_wait_mutex);
      m_advanced.wait_for(lock, k_follow_wait, [&] { return m_stop.load(); });
      continue;
    }
    if (*revision > m_revision.load()) {
      report(catch_up(*revision), "follow the store");
    }
    // A refresh takes at most a twentieth of the time (a large store refreshes less often).
    auto spaced = [](Steady::time_point began, std::chrono::milliseconds interval) {
      const auto took = Steady::now() - began;
      return Steady::now() + std::max<Steady::duration>(interval, took * 20);
    };
    if (const auto began = Steady::now(); began >= next_figures) {
      report(refresh_bookkeeping(), "read the bookkeeping figures");
      next_figures = spaced(began, m_options.bookkeeping_interval);
      next_liveness = spaced(began, m_options.liveness_interval);
    } else if (began >= next_liveness) {
      report(refresh_liveness(), "read the servers' liveness");
      next_liveness = spaced(began, m_options.liveness_interval);
    }
  }
}

// --- the Store interface ----------------------------------------------------------------------

Status ViewStore::transact(const std::function<Status(Tx&)>& fn) {
  std::vector<Touch> touches;
  auto done = m_backend->transact([&](Tx& tx) -> Status {
    touches.clear(); // a retried attempt starts over
    RecordingTx recording(tx, touches);
    return fn(recording);
  });
  if (!done) {
    return done;
  }
  if (!touches.empty()) {
    const auto now = model::now_utc();
    std::unique_lock lock(m_lock);
    for (const Touch& t : touches) {
      std::visit(
          [&]<typename T>(const T& w) {
            if constexpr (std::is_same_v<T, Touch::App>) {
              m_state->touch_app(w.id, w.when);
            } else if constexpr (std::is_same_v<T, Server>) {
              m_state->touch_server(w, now);
            } else if constexpr (std::is_same_v<T, FileSystem>) {
              m_state->touch_filesystem(w.id, w.free_bytes);
            } else if constexpr (std::is_same_v<T, Touch::Observed>) {
              m_state->touch_server_observed(w.id, w.observed);
            } else {
              m_state->touch_space_usage(w.id, w.used_bytes, w.when);
            }
          },
          t.what);
    }
  }
  // Read your own write: the view reaches this commit before the caller goes on.
  const Revision committed = m_backend->seen_revision();
  if (committed > m_revision.load()) {
    if (auto caught = catch_up(committed); !caught) {
      warn("the read view did not reach revision " + std::to_string(committed) +
           " after a write: " + caught.error().message);
    }
  }
  return done;
}

Status ViewStore::view(const std::function<Status(Tx&)>& fn) {
  ViewTx tx(*this);
  return fn(tx);
}

Result<Revision> ViewStore::current_revision() {
  auto revision = m_backend->current_revision();
  if (!revision) {
    return revision;
  }
  if (*revision > m_revision.load()) {
    if (auto caught = catch_up(*revision); !caught) {
      return std::unexpected(caught.error());
    }
  }
  return revision;
}

Result<Revision> ViewStore::wait_for_change(Revision after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_wait_mutex);
  m_advanced.wait_for(lock, timeout, [&] { return m_revision.load() > after || m_stop.load(); });
  return m_revision.load();
}

Status ViewStore::sync() {
  auto revision = m_backend->current_revision();
  if (!revision) {
    return std::unexpected(revision.error());
  }
  if (auto caught = catch_up(*revision); !caught) {
    return caught;
  }
  return refresh_bookkeeping();
}

ViewStats ViewStore::stats() const {
  std::shared_lock lock(m_lock);
  ViewStats s;
  s.revision = m_revision.load();
  s.counts = m_state->counts();
  s.load_time = m_load_time;
  s.load_bytes = m_load_bytes;
  s.full_loads = m_full_loads;
  return s;
}

Result<std::unique_ptr<Store>> with_read_view(std::unique_ptr<Store> backend, ViewOptions options) {
  auto store = ViewStore::open(std::move(backend), std::move(options));
  if (!store) {
    return std::unexpected(store.error());
  }
  return std::unique_ptr<Store>(std::move(*store));
}

} // namespace sharectl::store::view
