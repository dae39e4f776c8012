// What the console lets an operator do, and who may: the pure decisions behind its HTTP routes.
//
// Actions (POST /api/<action>, JSON body): kill, reset, cancel-all, pause, resume. Each must carry
// "confirm": true — the page asks first, and a request that did not ask is refused — and pause and
// resume name a market ("condition_id"). They go to execution's admin API with the stack's token.
//
// Access: with an admin token configured, every action needs it; so does every page and the state
// feed when the console listens off loopback. Without a token the console serves loopback only
// (ConsoleService refuses to start otherwise). The token comes as "Authorization: Bearer <t>" or,
// for the browser's websocket and page loads, the cookie clobmaker_token (set by the page's token
// field). It is compared in constant time and never logged.
#pragma once

#include <absl/status/statusor.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clobmaker::console {

enum class ActionKind { kKill, kReset, kCancelAll, kPause, kResume };
std::string_view ActionName(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kKill;
  std::string condition_id;  // pause, resume
  std::string reason;        // kill, cancel-all, pause (default: "console")
};

// `path` is the request path ("/api/kill"); InvalidArgument names what is wrong, NotFound for a
// path that is no action.
absl::StatusOr<Action> ParseAction(std::string_view path, std::string_view body);

enum class Access { kAllowed, kTokenMissing, kTokenWrong };
struct AccessPolicy {
  std::string token;     // empty: none configured
  bool loopback = true;  // the console listens on a loopback address only
};
Access Authorize(const AccessPolicy& policy, bool is_action, std::optional<std::string_view> presented);

// The token a request presents, from its headers (Authorization: Bearer, else the cookie).
std::optional<std::string> PresentedToken(const std::vector<std::pair<std::string, std::string>>& headers);

// True for 127.0.0.0/8, ::1 and "localhost" listen addresses ("host:port").
bool IsLoopbackListen(std::string_view listen);

}  // namespace clobmaker::console
