// The OpenAPI schemas of the agent's request and response bodies, in one place: the objects
// rendered by render.hpp (User, App, Space, Share …) as named components, and the request bodies
// the handlers accept (their fields exactly as json::ObjectReader reads them; unknown fields are
// refused by the handlers, so every request schema says additionalProperties: false). Each route
// table names the schemas of its routes with Route::takes() / Route::answers(). Nothing here
// fails; the JSON texts are checked by api::Router::create.
#pragma once

#include "agent/api/router.hpp"

namespace sharectl::agent::handlers::schemas {

// Objects (responses).
api::Schema user();           // render.hpp user_json
api::Schema app();            // render.hpp app_json
api::Schema login_answer();   // POST /api/v1/apps: the app with its token (shown once)
api::Schema whoami();         // GET /api/v1/whoami
api::Schema space();          // render.hpp space_json
api::Schema share();          // render.hpp share_json
api::Schema acl_entry();      // one row of GET /api/v1/shares/{name}/acl
api::Schema share_access();   // one user of GET /api/v1/shares/{name}/access
api::Schema audit_event();    // one event of GET /api/v1/audit
api::Schema server();         // render.hpp server_json (name, roles, status for everyone)
api::Schema filesystem();     // render.hpp filesystem_json
api::Schema group();          // groups.cpp group_json
api::Schema role();           // roles.cpp role_object (with its rules)
api::Schema rule();           // one rule of a role
api::Schema binding();        // bindings.cpp binding_json
api::Schema invitation();     // invitations.cpp invitation_json
api::Schema join_token();     // join_tokens.cpp token_json (never the token nor its hash)
api::Schema new_join_token(); // POST /api/v1/join-tokens: the token object with its token

// Request bodies.
api::Schema registration();         // POST /api/v1/users
api::Schema login();                // POST /api/v1/apps
api::Schema password_change();      // PUT /api/v1/users/me/password
api::Schema user_patch();           // PATCH /api/v1/users/{name}
api::Schema space_create();         // POST /api/v1/spaces
api::Schema space_resize();         // PATCH /api/v1/spaces/{owner}/{name}
api::Schema share_create();         // POST /api/v1/shares
api::Schema share_update();         // PATCH /api/v1/shares/{name}
api::Schema acl_grant();            // PUT /api/v1/shares/{name}/acl/{subject}
api::Schema group_create();         // POST /api/v1/groups
api::Schema role_create();          // POST /api/v1/roles
api::Schema rule_add();             // POST /api/v1/roles/{name}/rules
api::Schema binding_create();       // POST /api/v1/bindings
api::Schema group_grant();          // one item of GET /api/v1/groups/{name}/grants
api::Schema group_members_change(); // PATCH /api/v1/groups/{name}/members {add|remove: [users]}
api::Schema join_token_create();    // POST /api/v1/join-tokens

} // namespace sharectl::agent::handlers::schemas
