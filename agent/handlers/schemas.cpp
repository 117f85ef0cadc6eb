#include "agent/handlers/schemas.hpp"

#include <string>

namespace sharectl::agent::handlers::schemas {

namespace {

// The fields every stored object carries (model::Object), and those of applied objects.
const std::string k_object_fields =
    R"("id":{"type":"string","format":"uuid"},"revision":{"type":"integer","minimum":1},)"
    R"("created_at":{"type":"string","format":"date-time"},)"
    R"("updated_at":{"type":"string","format":"date-time"})";
const std::string k_object_required = R"("id","revision","created_at","updated_at")";
const std::string k_status_fields =
    R"("status":{"type":"string","enum":["pending","ready","error","deleting"]},)"
    R"("status_message":{"type":"string"},"observed_revision":{"type":"integer","minimum":0})";

} // namespace

api::Schema user() {
  return api::Schema::object(
      "User", std::string(R"({"type":"object","required":[)") + k_object_required +
                  R"(,"username","email","auth_source","is_active","is_manager","is_admin",)"
                  R"("allowance_bytes","last_login"],)"
                  R"("properties":{)" +
                  k_object_fields +
                  R"(,"username":{"type":"string"},"email":{"type":"string","nullable":true},)"
                  R"("auth_source":{"type":"string"},"is_active":{"type":"boolean"},)"
                  R"("is_manager":{"type":"boolean"},"is_admin":{"type":"boolean"},)"
                  R"("allowance_bytes":{"type":"integer","minimum":0,"nullable":true},)"
                  R"("last_login":{"type":"string","format":"date-time","nullable":true}}})");
}

api::Schema app() {
  return api::Schema::object(
      "App", std::string(R"({"type":"object","required":[)") + k_object_required +
                 R"(,"app_id","user_id","name","last_used_at","expires_at"],)"
                 R"("properties":{)" +
                 k_object_fields +
                 R"(,"app_id":{"type":"string","format":"uuid"},)"
                 R"("user_id":{"type":"string","format":"uuid"},"name":{"type":"string"},)"
                 R"("last_used_at":{"type":"string","format":"date-time"},)"
                 R"("expires_at":{"type":"string","format":"date-time"}}})");
}

api::Schema login_answer() {
  return api::Schema::object(
      "LoginAnswer",
      R"({"type":"object","required":["app_id","user_id","name","token","expires_at"],)"
      R"("properties":{"app_id":{"type":"string","format":"uuid"},)"
      R"("user_id":{"type":"string","format":"uuid"},"name":{"type":"string"},)"
      R"("token":{"type":"string","description":"the app token; shown only here"},)"
      R"("expires_at":{"type":"string","format":"date-time"}}})");
}

api::Schema whoami() {
  auto schema = api::Schema::object(
      "Whoami", R"({"type":"object","required":["user","roles","flags","bindings","app"],)"
                R"("properties":{"user":{"$ref":"#/components/schemas/User"},)"
                R"("roles":{"type":"array","items":{"type":"string"}},)"
                R"("flags":{"type":"array","items":{"type":"string","enum":["admin","manager"]}},)"
                R"("bindings":{"type":"array","items":{"type":"object",)"
                R"("required":["id","role","scope","subject_kind"],)"
                R"("properties":{"id":{"type":"string"},"role":{"type":"string"},)"
                R"("scope":{"type":"string"},"subject_kind":{"type":"string"}}}},)"
                R"("app":{"$ref":"#/components/schemas/App"}}})");
  schema.uses = {user(), app()};
  return schema;
}

// The connect paths of a share (render.hpp connect_paths), each followed by a comma.
constexpr const char* k_connect_fields =
    R"("unc":{"type":"string","description":"\\\\host\\share (no port); empty when the host is unknown"},)"
    R"("url":{"type":"string","description":"smb://host[:port]/share"},)";

api::Schema space() {
  return api::Schema::object(
      "Space",
      std::string(R"({"type":"object","required":[)") + k_object_required +
          R"(,"name","owner","size_bytes","used_bytes","used_at","server","filesystem_id","path",)"
          R"("share","unc","url","status","status_message","observed_revision"],)"
          R"("properties":{)" +
          k_object_fields +
          R"(,"name":{"type":"string"},"owner":{"type":"string"},)"
          R"("size_bytes":{"type":"integer","minimum":1},"server":{"type":"string"},)"
          R"("used_bytes":{"type":"integer","minimum":0,"description":"measured by its host"},)"
          R"("used_at":{"type":"string","format":"date-time","nullable":true},)"
          R"("filesystem_id":{"type":"string"},"path":{"type":"string"},)"
          R"("share":{"type":"string"},)" +
          k_connect_fields + k_status_fields + R"(}})");
}

api::Schema share() {
  return api::Schema::object(
      "Share",
      std::string(R"({"type":"object","required":[)") + k_object_required +
          R"(,"name","space","owner","server","subdir","read_only","browseable","comment",)"
          R"("invitations","unc","url","status","status_message","observed_revision"],)"
          R"("properties":{)" +
          k_object_fields +
          R"(,"name":{"type":"string"},"space":{"type":"string"},)"
          R"("owner":{"type":"string"},"server":{"type":"string"},"subdir":{"type":"string"},)" +
          k_connect_fields +
          R"("relation":{"type":"string","enum":["owner","granted"],)"
          R"("description":"in lists and shows of the caller's shares"},)"
          R"("level":{"type":"string","enum":["read","write"]},)"
          R"("state":{"type":"string","enum":["active","pending"]},)"
          R"("via":{"type":"array","items":{"type":"string"}},)"
          R"("read_only":{"type":"boolean"},"browseable":{"type":"boolean"},)"
          R"("comment":{"type":"string"},)"
          R"("invitations":{"type":"boolean","nullable":true,)"
          R"("description":"grants wait for the user's accept; null: the agent's default"},)" +
          k_status_fields + R"(}})");
}

api::Schema acl_entry() {
  return api::Schema::object(
      "AclEntry", R"({"type":"object","required":["user","level","group","state","via"],)"
                  R"("properties":{"user":{"type":"string"},)"
                  R"("level":{"type":"string","enum":["read","write"]},)"
                  R"("group":{"type":"string"},)"
                  R"("state":{"type":"string","description":"pending, active; empty for a )"
                  R"(group without members"},)"
                  R"("via":{"type":"array","items":{"type":"string"}}}})");
}

api::Schema share_access() {
  return api::Schema::object("ShareAccess",
                             R"({"type":"object","required":["user","level","state","via"],)"
                             R"("properties":{"user":{"type":"string"},)"
                             R"("level":{"type":"string","enum":["read","write"]},)"
                             R"("state":{"type":"string","enum":["pending","active"]},)"
                             R"("via":{"type":"array","items":{"type":"string"}}}})");
}

api::Schema audit_event() {
  return api::Schema::object(
      "AuditEvent",
      std::string(R"({"type":"object","required":[)") + k_object_required +
          R"(,"time","actor","actor_id","source_address","action","resource","outcome",)"
          R"("detail"],"properties":{)" +
          k_object_fields +
          R"(,"time":{"type":"string","format":"date-time"},)"
          R"("actor":{"type":"string"},)"
          R"("actor_id":{"type":"string","format":"uuid","nullable":true},)"
          R"("source_address":{"type":"string"},"action":{"type":"string"},)"
          R"("resource":{"type":"string"},)"
          R"("outcome":{"type":"string","enum":["allowed","denied","failed"]},)"
          R"("detail":{"type":"string"}}})");
}

api::Schema server() {
  return api::Schema::object(
      "Server",
      R"({"type":"object","required":["name","roles","status","address","smb_port",)"
      R"("observed_revision"],)"
      R"("description":"the other fields only for callers with servers.read",)"
      R"("properties":{"name":{"type":"string"},"smb_port":{"type":"integer"},)"
      R"("observed_revision":{"type":"integer","description":"the store revision the )"
      R"(host's last complete reconcile pass applied"},)"
      R"("roles":{"type":"array","items":{"type":"string","enum":["samba","iscsi"]}},)"
      R"("status":{"type":"string","enum":["up","down"]},)"
      R"("id":{"type":"string","format":"uuid"},"revision":{"type":"integer"},)"
      R"("created_at":{"type":"string","format":"date-time"},)"
      R"("updated_at":{"type":"string","format":"date-time"},"address":{"type":"string"},)"
      R"("last_heartbeat":{"type":"string","format":"date-time","nullable":true},)"
      R"("load_average":{"type":"number"},"memory_total_bytes":{"type":"integer"},)"
      R"("memory_used_bytes":{"type":"integer"}}})");
}

api::Schema filesystem() {
  return api::Schema::object(
      "FileSystem",
      std::string(R"({"type":"object","required":[)") + k_object_required +
          R"(,"server","path","driver","capacity_bytes","allocated_bytes","unallocated_bytes",)"
          R"("free_bytes","used_bytes","status"],"properties":{)" +
          k_object_fields +
          R"(,"server":{"type":"string"},"path":{"type":"string"},)"
          R"("driver":{"type":"string","enum":["btrfs","xfs","dir"]},)"
          R"("capacity_bytes":{"type":"integer","minimum":0},)"
          R"("allocated_bytes":{"type":"integer","minimum":0},)"
          R"("unallocated_bytes":{"type":"integer","minimum":0},)"
          R"("free_bytes":{"type":"integer","minimum":0},)"
          R"("used_bytes":{"type":"integer","minimum":0},)"
          R"("status":{"type":"string","enum":["up","down"]}}})");
}

api::Schema registration() {
  return api::Schema::object(
      "Registration",
      R"({"type":"object","additionalProperties":false,"required":["username","password"],)"
      R"("properties":{"username":{"type":"string"},"email":{"type":"string"},)"
      R"("password":{"type":"string","minLength":8}}})");
}

api::Schema login() {
  return api::Schema::object(
      "Login", R"({"type":"object","additionalProperties":false,"required":["password"],)"
               R"("description":"give exactly one of username and email",)"
               R"("properties":{"username":{"type":"string"},"email":{"type":"string"},)"
               R"("password":{"type":"string"},)"
               R"("name":{"type":"string","description":"the app's name; default: app"}}})");
}

api::Schema password_change() {
  return api::Schema::object("PasswordChange",
                             R"({"type":"object","additionalProperties":false,)"
                             R"("required":["old_password","new_password"],)"
                             R"("properties":{"old_password":{"type":"string"},)"
                             R"("new_password":{"type":"string","minLength":8}}})");
}

api::Schema user_patch() {
  return api::Schema::object(
      "UserPatch", R"({"type":"object","additionalProperties":false,"minProperties":1,)"
                   R"("properties":{"is_active":{"type":"boolean"},)"
                   R"("allowance_bytes":{"type":"integer","minimum":0,"nullable":true}}})");
}

api::Schema space_create() {
  return api::Schema::object(
      "SpaceCreate",
      R"({"type":"object","additionalProperties":false,"required":["name","size_bytes"],)"
      R"("properties":{"name":{"type":"string"},"size_bytes":{"type":"integer","minimum":1},)"
      R"("owner":{"type":"string"},"server":{"type":"string"},)"
      R"("share_name":{"type":"string","nullable":true}}})");
}

api::Schema space_resize() {
  return api::Schema::object(
      "SpaceResize", R"({"type":"object","additionalProperties":false,"required":["size_bytes"],)"
                     R"("properties":{"size_bytes":{"type":"integer","minimum":1}}})");
}

api::Schema share_create() {
  return api::Schema::object(
      "ShareCreate", R"({"type":"object","additionalProperties":false,"required":["name","space"],)"
                     R"("properties":{"name":{"type":"string"},)"
                     R"("space":{"type":"string","description":"OWNER/NAME or NAME"},)"
                     R"("subdir":{"type":"string"},"read_only":{"type":"boolean"},)"
                     R"("browseable":{"type":"boolean"},"comment":{"type":"string"},)"
                     R"("invitations":{"type":"boolean"}}})");
}

api::Schema share_update() {
  return api::Schema::object(
      "ShareUpdate", R"({"type":"object","additionalProperties":false,"minProperties":1,)"
                     R"("properties":{"comment":{"type":"string"},"read_only":{"type":"boolean"},)"
                     R"("browseable":{"type":"boolean"},"invitations":{"type":"boolean"}}})");
}

api::Schema acl_grant() {
  return api::Schema::object(
      "AclGrant", R"({"type":"object","additionalProperties":false,"required":["level"],)"
                  R"("properties":{"level":{"type":"string","enum":["read","write"]}}})");
}

api::Schema group() {
  return api::Schema::object(
      "Group", std::string(R"({"type":"object","required":[)") + k_object_required +
                   R"(,"name","description","origin","members","owner"],"properties":{)" +
                   k_object_fields +
                   R"(,"name":{"type":"string"},"description":{"type":"string"},)"
                   R"("origin":{"type":"string","enum":["local","external"]},)"
                   R"("members":{"type":"array","items":{"type":"string"}},)"
                   R"("owner":{"type":"string","nullable":true}}})");
}

api::Schema role() {
  auto schema = api::Schema::object(
      "Role", std::string(R"({"type":"object","required":[)") + k_object_required +
                  R"(,"name","description","builtin","rules"],"properties":{)" + k_object_fields +
                  R"(,"name":{"type":"string"},"description":{"type":"string"},)"
                  R"("builtin":{"type":"boolean"},)"
                  R"("rules":{"type":"array","items":{"$ref":"#/components/schemas/Rule"}}}})");
  schema.uses = {rule()};
  return schema;
}

api::Schema rule() {
  return api::Schema::object(
      "Rule", R"({"type":"object","required":["resource_glob","level"],)"
              R"("properties":{"resource_glob":{"type":"string"},)"
              R"("level":{"type":"string","enum":["view","client","modify","admin"]},)"
              R"("priority":{"type":"integer"}}})");
}

api::Schema binding() {
  return api::Schema::object(
      "Binding", std::string(R"({"type":"object","required":[)") + k_object_required +
                     R"(,"role","subject_type","subject","space"],"properties":{)" +
                     k_object_fields +
                     R"(,"role":{"type":"string"},"subject_type":{"type":"string"},)"
                     R"("subject":{"type":"string"},"space":{"type":"string","nullable":true}}})");
}

api::Schema invitation() {
  return api::Schema::object(
      "Invitation",
      R"({"type":"object","required":["share","level","from","group","state","created_at"],)"
      R"("properties":{"share":{"type":"string"},)"
      R"("level":{"type":"string","enum":["read","write"]},"from":{"type":"string"},)"
      R"("group":{"type":"string"},"state":{"type":"string"},)"
      R"("created_at":{"type":"string","format":"date-time"}}})");
}

namespace {

// The fields of a join token as the API shows it (join_tokens.cpp token_json); `extra` adds
// fields (the token itself, in the answer of the create).
std::string join_token_schema(const std::string& extra_required, const std::string& extra) {
  return std::string(R"({"type":"object","required":[)") + k_object_required +
         R"(,"description","roles","expires_at","created_by","used_at","used_by","state")" +
         extra_required + R"(],"properties":{)" + k_object_fields +
         R"(,"description":{"type":"string"},)"
         R"("roles":{"type":"array","items":{"type":"string","enum":["samba","iscsi"]}},)"
         R"("expires_at":{"type":"string","format":"date-time"},)"
         R"("created_by":{"type":"string","nullable":true},)"
         R"("used_at":{"type":"string","format":"date-time","nullable":true},)"
         R"("used_by":{"type":"string","nullable":true},)"
         R"("state":{"type":"string","enum":["active","used","expired"]})" +
         extra + "}}";
}

} // namespace

api::Schema join_token() {
  return api::Schema::object("JoinToken", join_token_schema("", ""));
}

api::Schema new_join_token() {
  return api::Schema::object(
      "NewJoinToken",
      join_token_schema(R"(,"token")", R"(,"token":{"type":"string","description":)"
                                       R"("the token a new host joins with; shown only here"})"));
}

api::Schema join_token_create() {
  return api::Schema::object(
      "JoinTokenCreate",
      R"({"type":"object","additionalProperties":false,)"
      R"("properties":{"ttl_seconds":{"type":"integer","minimum":60,"maximum":604800,)"
      R"("default":3600},"roles":{"type":"array","items":{"type":"string",)"
      R"("enum":["samba","iscsi"]},"default":["samba"]},"description":{"type":"string"}}})");
}

api::Schema group_create() {
  return api::Schema::object(
      "GroupCreate", R"({"type":"object","additionalProperties":false,"required":["name"],)"
                     R"("properties":{"name":{"type":"string"},"description":{"type":"string"}}})");
}

api::Schema role_create() {
  return api::Schema::object(
      "RoleCreate", R"({"type":"object","additionalProperties":false,"required":["name"],)"
                    R"("properties":{"name":{"type":"string"},"description":{"type":"string"}}})");
}

api::Schema rule_add() {
  return api::Schema::object(
      "RuleAdd",
      R"({"type":"object","additionalProperties":false,"required":["resource_glob","level"],)"
      R"("properties":{"resource_glob":{"type":"string"},)"
      R"("level":{"type":"string","enum":["view","client","modify","admin"]},)"
      R"("priority":{"type":"integer"}}})");
}

api::Schema binding_create() {
  return api::Schema::object(
      "BindingCreate",
      R"({"type":"object","additionalProperties":false,)"
      R"("required":["role","subject_type","subject"],)"
      R"("properties":{"role":{"type":"string"},"subject_type":{"type":"string"},)"
      R"("subject":{"type":"string"},)"
      R"("space":{"type":"string","description":"OWNER/NAME; absent: the whole cluster"}}})");
}

// groups.hpp: one grant of GET /api/v1/groups/{name}/grants, the share's status with it.
api::Schema group_grant() {
  return api::Schema::object(
      "GroupGrant",
      std::string(R"({"type":"object","required":["share","name","level","revision",)"
                  R"("status","status_message","observed_revision"],"properties":{)"
                  R"("share":{"type":"string"},)"
                  R"("name":{"type":"string","description":"the share's name again"},)"
                  R"("level":{"type":"string","enum":["read","write"]},)"
                  R"("revision":{"type":"integer","minimum":1},)") +
          k_status_fields + R"(}})");
}

// groups.hpp: PATCH /api/v1/groups/{name}/members.
api::Schema group_members_change() {
  return api::Schema::object(
      "GroupMembersChange",
      R"({"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,)"
      R"("description":"exactly one of add and remove; all or nothing",)"
      R"("properties":{)"
      R"("add":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"string"}},)"
      R"("remove":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"string"}}}})");
}

} // namespace sharectl::agent::handlers::schemas
