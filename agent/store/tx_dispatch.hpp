// TxDispatch: the type-erased half of Tx (create_entity, get_entity, update_entity,
// remove_entity, list_entities) for a backend whose Tx implements each per entity type as
// templates create_impl<E>, get_impl<E>, update_impl<E>, remove_impl<E> and list_impl<E>
// (which it may keep private, befriending TxDispatch<Self>). Used by SqlTx and EtcdTx.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "agent/store/kinds.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::store {

template <typename Derived>
class TxDispatch : public Tx {
public:
  Result<Entity> create_entity(Entity object) override {
    return std::visit(
        [&](auto& e) -> Result<Entity> { return erase(self().create_impl(std::move(e))); }, object);
  }
  Result<Entity> get_entity(Kind kind, const Id& id) override {
    return with_kind(kind, [&]<typename E>(std::type_identity<E>) -> Result<Entity> {
      return erase(self().template get_impl<E>(id));
    });
  }
  Result<Entity> update_entity(Entity object) override {
    return std::visit(
        [&](auto& e) -> Result<Entity> { return erase(self().update_impl(std::move(e))); }, object);
  }
  Status remove_entity(Kind kind, const Id& id, std::optional<Revision> expected) override {
    return with_kind(kind, [&]<typename E>(std::type_identity<E>) {
      return self().template remove_impl<E>(id, expected);
    });
  }
  Result<std::vector<Entity>> list_entities(Kind kind, const ListQuery& query) override {
    return with_kind(kind, [&]<typename E>(std::type_identity<E>) -> Result<std::vector<Entity>> {
      auto r = self().template list_impl<E>(query);
      if (!r) {
        return std::unexpected(r.error());
      }
      std::vector<Entity> out;
      out.reserve(r->size());
      for (auto& e : *r) {
        out.emplace_back(std::move(e));
      }
      return out;
    });
  }

private:
  Derived& self() { return static_cast<Derived&>(*this); }
  template <typename E>
  static Result<Entity> erase(Result<E>&& r) {
    return r ? Result<Entity>(std::move(*r)) : std::unexpected(r.error());
  }
};

} // namespace sharectl::store
