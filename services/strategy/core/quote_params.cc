#include "services/strategy/core/quote_params.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/core/status.h"

namespace clobmaker::strategy {

namespace {

absl::StatusOr<int64_t> ParseInt(std::string_view name, std::string_view text) {
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: '{}' is not an integer", name, text));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(std::string_view name, std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return absl::InvalidArgumentError(fmt::format("{}: '{}' is not a boolean", name, text));
}

absl::Status Range(std::string_view name, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) return absl::InvalidArgumentError(fmt::format("{} = {} is outside [{}, {}]", name, v, lo, hi));
  return absl::OkStatus();
}

}  // namespace

absl::Status QuoteParams::Validate() const {
  if (fair_value_source != "reference" && fair_value_source != "mid") {
    return absl::InvalidArgumentError(
        fmt::format("fair_value_source = '{}': must be 'reference' or 'mid'", fair_value_source));
  }
  CM_RETURN_IF_ERROR(Range("half_spread_ticks", half_spread_ticks, 0, 1000));
  CM_RETURN_IF_ERROR(Range("levels", levels, 0, 20));
  CM_RETURN_IF_ERROR(Range("level_spacing_ticks", level_spacing_ticks, 1, 1000));
  CM_RETURN_IF_ERROR(Range("size_per_level_micros", size_per_level_micros, 1, 1'000'000'000'000));
  CM_RETURN_IF_ERROR(Range("min_edge_ticks", min_edge_ticks, 0, 1000));
  CM_RETURN_IF_ERROR(Range("skew_ticks_per_1k_shares", skew_ticks_per_1k_shares, 0, 1000));
  CM_RETURN_IF_ERROR(Range("max_position_micros", max_position_micros, 0, 1'000'000'000'000'000));
  CM_RETURN_IF_ERROR(Range("max_notional_micros", max_notional_micros, 0, 1'000'000'000'000'000));
  CM_RETURN_IF_ERROR(Range("cutoff_before_end_s", cutoff_before_end_s, 0, 365LL * 86400));
  CM_RETURN_IF_ERROR(Range("max_book_age_ms", max_book_age_ms, 100, 3'600'000));
  CM_RETURN_IF_ERROR(Range("max_reference_age_ms", max_reference_age_ms, 100, 3'600'000));
  CM_RETURN_IF_ERROR(Range("reward_daily_rate_micros", reward_daily_rate_micros, 0, 1'000'000'000'000'000));
  CM_RETURN_IF_ERROR(Range("validity_ms", validity_ms, 500, 600'000));
  if (size_per_level_micros % 10'000 != 0) {
    return absl::InvalidArgumentError(
        fmt::format("size_per_level_micros = {}: order sizes have at most 2 decimals", size_per_level_micros));
  }
  return absl::OkStatus();
}

absl::Status QuoteParams::Set(std::string_view name, std::string_view value) {
  const auto set_int = [&](int64_t& field) -> absl::Status {
    CM_ASSIGN_OR_RETURN(field, ParseInt(name, value));
    return absl::OkStatus();
  };
  const auto set_bool = [&](bool& field) -> absl::Status {
    CM_ASSIGN_OR_RETURN(field, ParseBool(name, value));
    return absl::OkStatus();
  };
  if (name == "enabled") return set_bool(enabled);
  if (name == "reward_band") return set_bool(reward_band);
  if (name == "fair_value_source") {
    fair_value_source = std::string(value);
    return absl::OkStatus();
  }
  if (name == "reference_symbol") {
    reference_symbol = std::string(value);
    return absl::OkStatus();
  }
  if (name == "levels") {
    CM_ASSIGN_OR_RETURN(const int64_t v, ParseInt(name, value));
    CM_RETURN_IF_ERROR(Range(name, v, 0, 20));
    levels = static_cast<uint32_t>(v);
    return absl::OkStatus();
  }
  const std::pair<const char*, int64_t*> ints[] = {
      {"half_spread_ticks", &half_spread_ticks},
      {"level_spacing_ticks", &level_spacing_ticks},
      {"size_per_level_micros", &size_per_level_micros},
      {"min_edge_ticks", &min_edge_ticks},
      {"skew_ticks_per_1k_shares", &skew_ticks_per_1k_shares},
      {"max_position_micros", &max_position_micros},
      {"max_notional_micros", &max_notional_micros},
      {"cutoff_before_end_s", &cutoff_before_end_s},
      {"max_book_age_ms", &max_book_age_ms},
      {"max_reference_age_ms", &max_reference_age_ms},
      {"reward_daily_rate_micros", &reward_daily_rate_micros},
      {"validity_ms", &validity_ms},
  };
  for (const auto& [key, field] : ints) {
    if (name == key) return set_int(*field);
  }
  return absl::InvalidArgumentError(fmt::format("unknown parameter '{}'", name));
}

absl::StatusOr<QuoteParams> QuoteParams::WithChanges(const QuoteParams& base,
                                                     const std::map<std::string, std::string>& changes) {
  QuoteParams out = base;
  for (const auto& [name, value] : changes) CM_RETURN_IF_ERROR(out.Set(name, value));
  CM_RETURN_IF_ERROR(out.Validate());
  return out;
}

void QuoteParams::ToProto(v1::MarketParams& out) const {
  out.set_enabled(enabled);
  out.set_fair_value_source(fair_value_source);
  out.set_reference_symbol(reference_symbol);
  out.set_half_spread_ticks(half_spread_ticks);
  out.set_levels(levels);
  out.set_level_spacing_ticks(level_spacing_ticks);
  out.set_size_per_level_micros(size_per_level_micros);
  out.set_min_edge_ticks(min_edge_ticks);
  out.set_skew_ticks_per_1k_shares(skew_ticks_per_1k_shares);
  out.set_max_position_micros(max_position_micros);
  out.set_max_notional_micros(max_notional_micros);
  out.set_cutoff_before_end_s(cutoff_before_end_s);
  out.set_max_book_age_ms(max_book_age_ms);
  out.set_max_reference_age_ms(max_reference_age_ms);
  out.set_reward_band(reward_band);
  out.set_reward_daily_rate_micros(reward_daily_rate_micros);
  out.set_validity_ms(validity_ms);
}

namespace {

absl::Status ApplyYaml(const YAML::Node& node, QuoteParams& params, std::string_view where, bool allow_market) {
  if (!node.IsMap()) return absl::InvalidArgumentError(fmt::format("{}: expected a mapping", where));
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (allow_market && key == "market") continue;
    if (!kv.second.IsScalar()) return absl::InvalidArgumentError(fmt::format("{}.{}: expected a value", where, key));
    if (auto st = params.Set(key, kv.second.Scalar()); !st.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", where, std::string(st.message())));
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

absl::StatusOr<StrategyConfig> ParseConfig(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("configuration is not valid YAML: {}", e.what()));
  }
  StrategyConfig out;
  if (root.IsNull()) return out;
  if (!root.IsMap()) return absl::InvalidArgumentError("configuration: expected a mapping at the top");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "defaults" && key != "markets" && key != "all_markets") {
      return absl::InvalidArgumentError(fmt::format("configuration: unknown key '{}'", key));
    }
  }
  if (root["defaults"]) CM_RETURN_IF_ERROR(ApplyYaml(root["defaults"], out.defaults, "defaults", false));
  CM_RETURN_IF_ERROR(out.defaults.Validate());
  if (root["all_markets"]) {
    CM_ASSIGN_OR_RETURN(out.all_markets, ParseBool("all_markets", root["all_markets"].Scalar()));
  }
  if (const YAML::Node markets = root["markets"]; markets) {
    if (!markets.IsSequence()) return absl::InvalidArgumentError("markets: expected a list");
    for (size_t i = 0; i < markets.size(); ++i) {
      const std::string where = fmt::format("markets[{}]", i);
      const YAML::Node m = markets[i];
      if (!m.IsMap() || !m["market"] || !m["market"].IsScalar()) {
        return absl::InvalidArgumentError(fmt::format("{}: needs 'market' (slug, token id or condition id)", where));
      }
      MarketConfig mc{.spec = m["market"].Scalar(), .params = out.defaults};
      CM_RETURN_IF_ERROR(ApplyYaml(m, mc.params, where, true));
      if (auto st = mc.params.Validate(); !st.ok()) {
        return absl::InvalidArgumentError(fmt::format("{}: {}", where, std::string(st.message())));
      }
      out.markets.push_back(std::move(mc));
    }
  }
  if (out.markets.empty() && !out.all_markets) {
    return absl::InvalidArgumentError("configuration: no markets (give 'markets' or 'all_markets: true')");
  }
  return out;
}

}  // namespace

absl::StatusOr<StrategyConfig> ParseStrategyConfig(std::string_view yaml_text) {
  // yaml-cpp reports bad conversions by throwing: they stop here, as errors.
  try {
    return ParseConfig(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("configuration: {}", e.what()));
  }
}

}  // namespace clobmaker::strategy
