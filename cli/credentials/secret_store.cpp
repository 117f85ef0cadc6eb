// The Secret Service store over libsecret: one item per (server, profile) in the default
// collection, schema "org.sharectl.Credentials", the secret being a small JSON object with
// server, user_id, app_id and token. Used only when a session bus exists and the default
// collection is unlocked, so no prompt ever appears. libsecret (and glib, gio, gobject under it)
// is loaded with dlopen on that path only: linked in, it cost every run of sharectl ~5 ms of
// start-up (see cli/README.md "Measured"). When it cannot be loaded the file store is used.
#include <cstring>
#include <mutex>

#include <dlfcn.h>
#include <fmt/core.h>
#include <libsecret/secret.h>
#include <nlohmann/json.hpp>

#include "cli/credentials/credentials.hpp"

namespace sharectl::cli {

namespace {

// The libsecret and glib functions sharectl calls, resolved from libsecret-1.so.0 (dlsym on its
// handle also finds glib's and gobject's symbols it depends on).
struct Lib {
  decltype(&secret_password_lookup_sync) lookup = nullptr;
  decltype(&secret_password_store_sync) store = nullptr;
  decltype(&secret_password_clear_sync) clear = nullptr;
  decltype(&secret_password_free) password_free = nullptr;
  decltype(&secret_service_get_sync) service_get = nullptr;
  decltype(&secret_collection_for_alias_sync) collection_for_alias = nullptr;
  decltype(&secret_collection_get_locked) collection_locked = nullptr;
  decltype(&secret_collection_get_label) collection_label = nullptr;
  decltype(&g_error_free) error_free = nullptr;
  decltype(&g_free) free = nullptr;
  decltype(&g_object_unref) object_unref = nullptr;
};

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& fn) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    return false;
  }
  static_assert(sizeof(fn) == sizeof(symbol));
  std::memcpy(&fn, &symbol, sizeof(fn)); // object pointer → function pointer, as POSIX allows
  return true;
}

// The loaded library, or nullptr when it is missing or lacks a function. Loaded once, kept.
const Lib* lib() {
  static std::once_flag once;
  static Lib loaded;
  static bool ok = false;
  std::call_once(once, [] {
    void* handle = ::dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      return;
    }
    ok = resolve(handle, "secret_password_lookup_sync", loaded.lookup) &&
         resolve(handle, "secret_password_store_sync", loaded.store) &&
         resolve(handle, "secret_password_clear_sync", loaded.clear) &&
         resolve(handle, "secret_password_free", loaded.password_free) &&
         resolve(handle, "secret_service_get_sync", loaded.service_get) &&
         resolve(handle, "secret_collection_for_alias_sync", loaded.collection_for_alias) &&
         resolve(handle, "secret_collection_get_locked", loaded.collection_locked) &&
         resolve(handle, "secret_collection_get_label", loaded.collection_label) &&
         resolve(handle, "g_error_free", loaded.error_free) &&
         resolve(handle, "g_free", loaded.free) &&
         resolve(handle, "g_object_unref", loaded.object_unref);
  });
  return ok ? &loaded : nullptr;
}

const SecretSchema* schema() {
  static const SecretSchema k_schema = {"org.sharectl.Credentials",
                                        SECRET_SCHEMA_NONE,
                                        {
                                            {"server", SECRET_SCHEMA_ATTRIBUTE_STRING},
                                            {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
                                            {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING},
                                        },
                                        0,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr};
  return &k_schema;
}

std::string take_message(GError* error) {
  std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown";
  if (error != nullptr) {
    lib()->error_free(error);
  }
  return message;
}

class SecretServiceStore final : public CredentialStore {
public:
  explicit SecretServiceStore(std::string label) : m_label(std::move(label)) {}

  Result<std::optional<Credentials>> load(const std::string& server,
                                          const std::string& profile) override {
    GError* error = nullptr;
    gchar* secret = lib()->lookup(schema(), nullptr, &error, "server", server.c_str(), "profile",
                                  profile.c_str(), nullptr);
    if (error != nullptr) {
      return fail(ErrorCode::internal,
                  fmt::format("cannot read the Secret Service: {}", take_message(error)));
    }
    if (secret == nullptr) {
      return std::optional<Credentials>();
    }
    const std::string text(secret);
    lib()->password_free(secret);
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_object()) {
      return fail(ErrorCode::internal,
                  "the Secret Service item of sharectl is damaged; run `sharectl login` again");
    }
    Credentials credentials;
    credentials.server = parsed.value("server", server);
    credentials.user_id = parsed.value("user_id", "");
    credentials.app_id = parsed.value("app_id", "");
    credentials.token = parsed.value("token", "");
    return credentials;
  }

  Status save(const std::string& profile, const Credentials& credentials) override {
    const nlohmann::json secret{{"server", credentials.server},
                                {"user_id", credentials.user_id},
                                {"app_id", credentials.app_id},
                                {"token", credentials.token}};
    const std::string label =
        fmt::format("sharectl credentials for {} (profile {})", credentials.server, profile);
    GError* error = nullptr;
    const gboolean stored = lib()->store(
        schema(), SECRET_COLLECTION_DEFAULT, label.c_str(), secret.dump().c_str(), nullptr, &error,
        "server", credentials.server.c_str(), "profile", profile.c_str(), nullptr);
    if (error != nullptr || stored == FALSE) {
      return fail(ErrorCode::internal,
                  fmt::format("cannot store in the Secret Service: {}", take_message(error)));
    }
    return {};
  }

  Status remove(const std::string& server, const std::string& profile) override {
    GError* error = nullptr;
    lib()->clear(schema(), nullptr, &error, "server", server.c_str(), "profile", profile.c_str(),
                 nullptr);
    if (error != nullptr) {
      return fail(ErrorCode::internal,
                  fmt::format("cannot delete from the Secret Service: {}", take_message(error)));
    }
    return {};
  }

  std::string describe() const override {
    return fmt::format("the Secret Service ({} keyring)", m_label);
  }

private:
  std::string m_label;
};

} // namespace

std::unique_ptr<CredentialStore> make_secret_service_store(std::optional<std::string> bus_address) {
  if (!bus_address || bus_address->empty()) {
    return nullptr;
  }
  const Lib* secret = lib();
  if (secret == nullptr) {
    return nullptr;
  }
  GError* error = nullptr;
  SecretService* service = secret->service_get(SECRET_SERVICE_NONE, nullptr, &error);
  if (service == nullptr || error != nullptr) {
    if (error != nullptr) {
      secret->error_free(error);
    }
    return nullptr;
  }
  SecretCollection* collection = secret->collection_for_alias(
      service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, &error);
  std::unique_ptr<CredentialStore> store;
  if (error != nullptr) {
    secret->error_free(error);
  } else if (collection != nullptr) {
    if (secret->collection_locked(collection) == FALSE) {
      gchar* label = secret->collection_label(collection);
      store = std::make_unique<SecretServiceStore>(label != nullptr ? label : "default");
      secret->free(label);
    }
    secret->object_unref(collection);
  }
  secret->object_unref(service);
  return store;
}

} // namespace sharectl::cli
