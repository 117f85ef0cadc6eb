// The Secret Service store over libsecret: one item per (server, profile) in the default
// collection, schema "org.sharectl.Credentials", the secret being a small JSON object with
// server, user_id, app_id and token. Used only when a session bus exists and the default
// collection is unlocked, so no prompt ever appears.
#include <fmt/core.h>
#include <libsecret/secret.h>
#include <nlohmann/json.hpp>

#include "cli/credentials/credentials.hpp"

namespace sharectl::cli {

namespace {

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
    g_error_free(error);
  }
  return message;
}

class SecretServiceStore final : public CredentialStore {
public:
  explicit SecretServiceStore(std::string label) : m_label(std::move(label)) {}

  Result<std::optional<Credentials>> load(const std::string& server,
                                          const std::string& profile) override {
    GError* error = nullptr;
    gchar* secret = secret_password_lookup_sync(schema(), nullptr, &error, "server", server.c_str(),
                                                "profile", profile.c_str(), nullptr);
    if (error != nullptr) {
      return fail(ErrorCode::internal,
                  fmt::format("cannot read the Secret Service: {}", take_message(error)));
    }
    if (secret == nullptr) {
      return std::optional<Credentials>();
    }
    const std::string text(secret);
    secret_password_free(secret);
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
    const gboolean stored = secret_password_store_sync(
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
    secret_password_clear_sync(schema(), nullptr, &error, "server", server.c_str(), "profile",
                               profile.c_str(), nullptr);
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
  GError* error = nullptr;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, &error);
  if (service == nullptr || error != nullptr) {
    if (error != nullptr) {
      g_error_free(error);
    }
    return nullptr;
  }
  SecretCollection* collection = secret_collection_for_alias_sync(
      service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, &error);
  std::unique_ptr<CredentialStore> store;
  if (error != nullptr) {
    g_error_free(error);
  } else if (collection != nullptr) {
    if (secret_collection_get_locked(collection) == FALSE) {
      gchar* label = secret_collection_get_label(collection);
      store = std::make_unique<SecretServiceStore>(label != nullptr ? label : "default");
      g_free(label);
    }
    g_object_unref(collection);
  }
  g_object_unref(service);
  return store;
}

} // namespace sharectl::cli
