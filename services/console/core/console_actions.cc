#include "services/console/core/console_actions.h"

#include <simdjson.h>

#include <cctype>

namespace clobmaker::console {

std::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kKill:
      return "kill";
    case ActionKind::kReset:
      return "reset";
    case ActionKind::kCancelAll:
      return "cancel-all";
    case ActionKind::kPause:
      return "pause";
    case ActionKind::kResume:
      return "resume";
  }
  return "?";
}

absl::StatusOr<Action> ParseAction(std::string_view path, std::string_view body) {
  constexpr std::string_view kPrefix = "/api/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return absl::NotFoundError("not an action");
  const std::string_view name = path.substr(kPrefix.size());
  Action action;
  if (name == "kill") {
    action.kind = ActionKind::kKill;
  } else if (name == "reset") {
    action.kind = ActionKind::kReset;
  } else if (name == "cancel-all") {
    action.kind = ActionKind::kCancelAll;
  } else if (name == "pause") {
    action.kind = ActionKind::kPause;
  } else if (name == "resume") {
    action.kind = ActionKind::kResume;
  } else {
    return absl::NotFoundError("no such action: " + std::string(name));
  }
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  bool confirm = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return absl::InvalidArgumentError("the body is not valid JSON");
    if (key == "confirm") {
      if (field.value().get_bool().get(confirm)) return absl::InvalidArgumentError("confirm: not a boolean");
    } else if (key == "condition_id" || key == "reason") {
      std::string_view text;
      if (field.value().get_string().get(text)) return absl::InvalidArgumentError(std::string(key) + ": not a string");
      (key == "condition_id" ? action.condition_id : action.reason) = std::string(text);
    }  // other fields are ignored (the page may send more than we need)
  }
  if (!confirm) return absl::InvalidArgumentError("not confirmed: the body needs \"confirm\": true");
  const bool needs_market = action.kind == ActionKind::kPause || action.kind == ActionKind::kResume;
  if (needs_market) {
    const std::string& c = action.condition_id;
    bool hex = c.size() > 2 && c.size() <= 66 && c[0] == '0' && c[1] == 'x';
    for (size_t i = 2; hex && i < c.size(); ++i) hex = std::isxdigit(static_cast<unsigned char>(c[i])) != 0;
    if (!hex) return absl::InvalidArgumentError("condition_id: a 0x-hex condition id is needed");
  } else {
    action.condition_id.clear();
  }
  if (action.reason.size() > 200) return absl::InvalidArgumentError("reason: at most 200 characters");
  if (action.reason.empty()) action.reason = "console";
  return action;
}

namespace {
bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

Access Authorize(const AccessPolicy& policy, bool is_action, std::optional<std::string_view> presented) {
  if (policy.token.empty()) return Access::kAllowed;  // loopback only (checked at start)
  const bool needed = is_action || !policy.loopback;
  if (!needed) return Access::kAllowed;
  if (!presented || presented->empty()) return Access::kTokenMissing;
  return ConstantTimeEqual(*presented, policy.token) ? Access::kAllowed : Access::kTokenWrong;
}

std::optional<std::string> PresentedToken(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (!EqualsIgnoreCase(name, "authorization")) continue;
    const std::string_view v = Trim(value);
    if (v.size() > 7 && EqualsIgnoreCase(v.substr(0, 7), "bearer ")) return std::string(Trim(v.substr(7)));
  }
  for (const auto& [name, value] : headers) {
    if (!EqualsIgnoreCase(name, "cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view pair = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      constexpr std::string_view kName = "clobmaker_token=";
      if (pair.substr(0, kName.size()) == kName) return std::string(pair.substr(kName.size()));
    }
  }
  return std::nullopt;
}

bool IsLoopbackListen(std::string_view listen) {
  std::string_view host = listen;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace clobmaker::console
