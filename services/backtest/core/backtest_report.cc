#include "services/backtest/core/backtest_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/core/json_text.h"
#include "common/model/types.h"

namespace clobmaker::backtest {
namespace {

using simexchange::replay::FillRecord;
using simexchange::replay::ReplayReport;
using simexchange::replay::Sample;

constexpr double kShare = 1e6;
double Px(int64_t units) { return static_cast<double>(units) / static_cast<double>(model::kPriceOne); }
double Sh(int64_t micros) { return static_cast<double>(micros) / kShare; }
std::string Num(double v, int decimals = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "null"; }
std::string H(std::string_view s) {  // HTML text
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<double> Mid(const Sample& s) {
  if (!s.bid || !s.ask) return std::nullopt;
  return (*s.bid + *s.ask) / 2;
}

// --- SVG charts ----------------------------------------------------------------------------------

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;  // x = seconds from the start
  bool steps = false;
  bool dots = false;
};

std::string Chart(const std::string& title, const std::vector<Series>& series, const std::string& unit) {
  constexpr double W = 900, Hh = 260, L = 70, R = 20, T = 30, B = 35;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  std::string svg =
      fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" class="chart">)", W, Hh);
  svg += fmt::format(R"(<text x="{}" y="18" font-size="13" font-weight="bold" fill="#222">{}</text>)", L, H(title));
  if (x0 > x1) return svg + R"(<text x="70" y="130">no data</text></svg>)";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  auto X = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto Y = [&](double y) { return T + (y1 - y) / (y1 - y0) * (Hh - T - B); };
  svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="white" stroke="#999"/>)", L, T, W - L - R,
                     Hh - T - B);
  for (int i = 0; i <= 4; ++i) {
    const double y = y0 + (y1 - y0) * i / 4;
    svg += fmt::format(
        R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#eee"/><text x="{}" y="{:.1f}" font-size="10" fill="#555" text-anchor="end">{}</text>)",
        L, W - R, Y(y), Y(y), L - 5, Y(y) + 4, Num(y, std::abs(y1 - y0) < 0.2 ? 4 : 2));
  }
  for (int i = 0; i <= 5; ++i) {
    const double x = x0 + (x1 - x0) * i / 5;
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="10" fill="#555" text-anchor="middle">{:.0f} s</text>)",
                       X(x), Hh - 12, x);
  }
  svg += fmt::format(R"~(<text x="12" y="{}" font-size="10" fill="#555" transform="rotate(-90 12 {})">{}</text>)~",
                     Hh / 2, Hh / 2, H(unit));
  double legend_x = L + 10;
  for (const Series& s : series) {
    if (s.dots) {
      for (const auto& [x, y] : s.points) {
        svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)", X(x), Y(y), s.color);
      }
    } else if (!s.points.empty()) {
      std::string d;
      for (size_t i = 0; i < s.points.size(); ++i) {
        const auto& [x, y] = s.points[i];
        if (i == 0) {
          d += fmt::format("M{:.1f},{:.1f}", X(x), Y(y));
        } else if (s.steps) {
          d += fmt::format(" H{:.1f} V{:.1f}", X(x), Y(y));
        } else {
          d += fmt::format(" L{:.1f},{:.1f}", X(x), Y(y));
        }
      }
      svg += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>)", d, s.color);
    }
    svg += fmt::format(
        R"(<rect x="{:.0f}" y="{}" width="10" height="10" fill="{}"/><text x="{:.0f}" y="{}" font-size="11" fill="#222">{}</text>)",
        legend_x, T + 6, s.color, legend_x + 14, T + 15, H(s.name));
    legend_x += 24 + 7.0 * static_cast<double>(s.name.size());
  }
  return svg + "</svg>";
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

}  // namespace

Figures Compute(const ReplayReport& report) {
  Figures f;
  std::map<std::string, std::string> token_market;
  std::map<std::string, bool> is_yes;
  for (const auto& m : report.markets) {
    token_market[m.yes_token] = m.condition_id;
    token_market[m.no_token] = m.condition_id;
    is_yes[m.yes_token] = true;
    is_yes[m.no_token] = false;
  }
  // Fills and samples in time order; marks from the latest sample of each market.
  std::vector<const FillRecord*> fills;
  for (const FillRecord& x : report.fills) fills.push_back(&x);
  std::stable_sort(fills.begin(), fills.end(), [](const FillRecord* a, const FillRecord* b) { return a->t < b->t; });
  std::vector<const Sample*> samples;
  for (const Sample& s : report.samples) samples.push_back(&s);
  std::stable_sort(samples.begin(), samples.end(), [](const Sample* a, const Sample* b) { return a->t < b->t; });

  std::map<std::string, double> mid;  // market -> YES mid
  std::map<std::string, double> inventory;
  double cash = 0;
  auto mark = [&]() {
    double value = cash;
    for (const auto& [token, shares] : inventory) {
      auto m = mid.find(token_market[token]);
      if (m == mid.end()) continue;
      value += shares * (is_yes[token] ? m->second : 1 - m->second);
    }
    return value;
  };
  size_t fi = 0;
  auto apply_fills_until = [&](Nanos t) {
    for (; fi < fills.size() && fills[fi]->t <= t; ++fi) {
      const FillRecord& x = *fills[fi];
      const double shares = Sh(x.size);
      const double notional = shares * Px(x.price);
      cash += x.side == model::Side::kBuy ? -notional : notional;
      inventory[x.token] += x.side == model::Side::kBuy ? shares : -shares;
    }
  };
  for (size_t si = 0; si < samples.size();) {
    const Nanos t = samples[si]->t;
    for (; si < samples.size() && samples[si]->t == t; ++si) {
      if (auto m = Mid(*samples[si])) mid[samples[si]->market] = *m;
    }
    apply_fills_until(t);
    f.series.push_back({.t = t, .pnl = mark(), .inventory = inventory});
  }
  apply_fills_until(INT64_MAX);
  f.cash_usd = cash;
  f.inventory = inventory;
  f.pnl_usd = mark();
  if (!fills.empty() && (f.series.empty() || fills.back()->t > f.series.back().t)) {
    f.series.push_back({.t = fills.back()->t, .pnl = f.pnl_usd, .inventory = inventory});  // after the last sample
  }

  for (const FillRecord& x : report.fills) {
    ++f.fills;
    (x.taker ? f.taker_fills : f.maker_fills)++;
    f.volume_shares += Sh(x.size);
    f.notional_usd += Sh(x.size) * Px(x.price);
    for (size_t h = 0; h < 3; ++h) {
      if (!x.mid_after[h]) continue;
      const double edge = x.side == model::Side::kBuy ? *x.mid_after[h] - Px(x.price) : Px(x.price) - *x.mid_after[h];
      f.markout_usd[h] += edge * Sh(x.size);
      ++f.markout_fills[h];
    }
  }

  std::map<std::string, MarketFigures> per;
  for (const auto& m : report.markets) per[m.condition_id] = {.condition_id = m.condition_id, .slug = m.slug};
  double share_sum = 0;
  for (const Sample* s : samples) {
    MarketFigures& m = per[s->market];
    ++m.samples;
    m.mean_score_share += s->score_share;
    share_sum += s->score_share;
    if (s->our_bid && s->our_ask) {
      ++m.two_sided;
      m.mean_our_spread += *s->our_ask - *s->our_bid;
      if (s->bid && s->ask) m.mean_recorded_spread += *s->ask - *s->bid;
      if (s->fair) {
        m.mean_mid_to_fair += (*s->our_ask + *s->our_bid) / 2 - *s->fair;
        ++m.fair_samples;
      }
    }
  }
  for (auto& [id, m] : per) {
    if (m.samples > 0) m.mean_score_share /= static_cast<double>(m.samples);
    if (m.two_sided > 0) {
      m.mean_our_spread /= static_cast<double>(m.two_sided);
      m.mean_recorded_spread /= static_cast<double>(m.two_sided);
    }
    if (m.fair_samples > 0) m.mean_mid_to_fair /= static_cast<double>(m.fair_samples);
    f.markets.push_back(m);
  }
  f.mean_score_share = samples.empty() ? 0 : share_sum / static_cast<double>(samples.size());
  return f;
}

std::string SummaryJson(const Figures& f, const ReplayReport& report, const RunInfo& run) {
  std::string out = "{\n";
  out += fmt::format(R"(  "journal": "{}",)"
                     "\n"
                     R"(  "config": "{}",)"
                     "\n"
                     R"(  "speed": "{}",)"
                     "\n"
                     R"(  "wall_seconds": {},)"
                     "\n"
                     R"(  "recorded_from_ns": {}, "recorded_to_ns": {}, "recorded_seconds": {},)"
                     "\n",
                     JsonEscape(run.journal), JsonEscape(run.config), run.speed, Num(run.wall_seconds, 1),
                     report.first_t, report.last_t, Num(static_cast<double>(report.last_t - report.first_t) / 1e9, 1));
  out += fmt::format(
      R"(  "fills": {}, "maker_fills": {}, "taker_fills": {}, "volume_shares": {}, "notional_usd": {},)"
      "\n"
      R"(  "pnl_usd": {}, "cash_usd": {},)"
      "\n"
      R"(  "markout_usd": {{"1s": {}, "10s": {}, "60s": {}}}, "markout_fills": {{"1s": {}, "10s": {}, "60s": {}}},)"
      "\n"
      R"(  "reward_score_share": {},)"
      "\n"
      R"(  "fees_usd": {}, "rebates_usd": {}, "fees_modelled": {}, "fees_note": "{}",)"
      "\n",
      f.fills, f.maker_fills, f.taker_fills, Num(f.volume_shares, 2), Num(f.notional_usd, 4), Num(f.pnl_usd, 4),
      Num(f.cash_usd, 4), Num(f.markout_usd[0], 4), Num(f.markout_usd[1], 4), Num(f.markout_usd[2], 4),
      f.markout_fills[0], f.markout_fills[1], f.markout_fills[2], Num(f.mean_score_share, 4), Num(f.fees_usd, 4),
      Num(f.rebates_usd, 4), f.fees_modelled,
      f.fees_modelled ? "" : "not modelled yet: the simulator charges no fee and pays no rebate");
  out += R"(  "inventory": {)";
  bool first = true;
  for (const auto& [token, shares] : f.inventory) {
    out += fmt::format(R"({}"{}": {})", first ? "" : ", ", token, Num(shares, 2));
    first = false;
  }
  out += "},\n  \"markets\": [";
  for (size_t i = 0; i < f.markets.size(); ++i) {
    const MarketFigures& m = f.markets[i];
    out += fmt::format(
        R"({}{{"condition_id": "{}", "slug": "{}", "samples": {}, "two_sided": {}, "reward_score_share": {}, "our_spread": {}, "recorded_spread": {}, "mid_to_fair": {}}})",
        i ? ", " : "", m.condition_id, JsonEscape(m.slug), m.samples, m.two_sided, Num(m.mean_score_share, 4),
        Num(m.mean_our_spread, 4), Num(m.mean_recorded_spread, 4), Num(m.mean_mid_to_fair, 4));
  }
  const auto& c = report.counters;
  out += fmt::format(
      "],\n"
      R"(  "replay": {{"records": {}, "recorded_trades": {}, "trades_reaching_us": {}, "duplicate_trades": {}, "fills_refused": {}, "tick_changes": {}, "cross_through_events": {}, "cross_through_shares": {}, "explained_decreases": {}, "cancels": {}, "bad_frames": {}}},)"
      "\n",
      c.records, c.recorded_trades, c.trades_reaching_us, c.duplicate_trades, c.fills_refused, c.tick_changes,
      c.cross_through_events, Num(Sh(c.cross_through_micros), 2), c.explained_decreases, c.cancels, c.bad_frames);
  out += fmt::format(R"(  "tolerance": "{}",)"
                     "\n",
                     JsonEscape(run.tolerance));
  out += R"(  "fill_list": [)";
  for (size_t i = 0; i < report.fills.size(); ++i) {
    const FillRecord& x = report.fills[i];
    out += fmt::format(
        R"({}{}    {{"t": {}, "market": "{}", "token": "{}", "side": "{}", "price": {}, "size_micros": {}, "taker": {}, "trade_seq": {}}})",
        i ? "," : "", "\n", x.t, x.market, x.token, model::SideName(x.side), Num(Px(x.price), 4), x.size, x.taker,
        x.trade_seq);
  }
  out += "\n  ]\n}\n";
  return out;
}

std::string ReportHtml(const Figures& f, const ReplayReport& report, const RunInfo& run) {
  const double t0 = static_cast<double>(report.first_t);
  auto sec = [&](Nanos t) { return (static_cast<double>(t) - t0) / 1e9; };
  std::string html =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>clobmaker backtest</title><style>"
      "body{font-family:sans-serif;margin:24px;color:#222;max-width:960px}h1{font-size:22px}h2{font-size:17px;"
      "margin-top:28px;border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:13px}td,th{border:1px "
      "solid #ddd;padding:3px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}"
      ".chart .title{font-size:13px;font-weight:bold}.chart .axis{font-size:10px;fill:#555}.chart "
      ".legend{font-size:11px}"
      ".chart .frame{fill:none;stroke:#999}.chart .grid{stroke:#eee}.note{color:#666;font-size:12px}"
      "pre{background:#f6f6f6;padding:8px;font-size:12px}</style></head><body>";
  html += "<h1>clobmaker backtest</h1>";
  html +=
      fmt::format("<p>Journal <b>{}</b>, strategy <b>{}</b>; {:.1f} s recorded, replayed in {:.1f} s (speed {}).</p>",
                  H(run.journal), H(run.config), static_cast<double>(report.last_t - report.first_t) / 1e9,
                  run.wall_seconds, H(run.speed));
  html += "<h2>Summary</h2><table>";
  auto row = [&](const std::string& k, const std::string& v) {
    html += fmt::format("<tr><th class=\"l\">{}</th><td>{}</td></tr>", H(k), v);
  };
  row("P&L at the last recorded mid (USD)", Num(f.pnl_usd, 4));
  row("fills (maker / taker)", fmt::format("{} ({} / {})", f.fills, f.maker_fills, f.taker_fills));
  row("volume (shares) / notional (USD)", fmt::format("{} / {}", Num(f.volume_shares, 2), Num(f.notional_usd, 2)));
  row("markout 1 s / 10 s / 60 s (USD)",
      fmt::format("{} / {} / {}", Num(f.markout_usd[0], 4), Num(f.markout_usd[1], 4), Num(f.markout_usd[2], 4)));
  row("reward-score share (mean over samples)", Num(f.mean_score_share, 4));
  row("fees / rebates (USD)", f.fees_modelled ? fmt::format("{} / {}", Num(f.fees_usd, 4), Num(f.rebates_usd, 4))
                                              : "0 / 0 &mdash; <i>not modelled yet</i>");
  row("recorded trades / reaching our orders",
      fmt::format("{} / {}", report.counters.recorded_trades, report.counters.trades_reaching_us));
  row("moments the recorded book went through our price without a trade (not filled)",
      fmt::format("{} ({} shares)", report.counters.cross_through_events,
                  Num(Sh(report.counters.cross_through_micros), 2)));
  html += "</table>";
  if (!run.tolerance.empty()) html += "<p class=\"note\">Reproducibility: " + H(run.tolerance) + "</p>";

  // P&L over time.
  Series pnl{.name = "P&L (USD)", .color = kColors[0]};
  for (const PnlPoint& p : f.series) pnl.points.emplace_back(sec(p.t), p.pnl);
  html += "<h2>P&amp;L over time</h2>" + Chart("mark-to-market P&L", {pnl}, "USD");

  // Inventory per token.
  std::map<std::string, Series> inv;
  std::map<std::string, std::string> names;
  for (const auto& m : report.markets) {
    names[m.yes_token] = (m.slug.empty() ? m.condition_id.substr(0, 10) : m.slug) + " YES";
    names[m.no_token] = (m.slug.empty() ? m.condition_id.substr(0, 10) : m.slug) + " NO";
  }
  size_t color = 0;
  for (const PnlPoint& p : f.series) {
    for (const auto& [token, shares] : p.inventory) {
      Series& s = inv[token];
      if (s.name.empty()) {
        s.name = names.contains(token) ? names[token] : token.substr(0, 8);
        s.color = kColors[color++ % 8];
        s.steps = true;
      }
      s.points.emplace_back(sec(p.t), shares);
    }
  }
  std::vector<Series> inv_series;
  for (auto& [token, s] : inv) inv_series.push_back(s);
  html += "<h2>Inventory per token</h2>" + Chart("shares held (from zero)", inv_series, "shares");

  // Quotes against fair value and the book, per market.
  html += "<h2>Our quotes against fair value and the recorded book</h2>";
  for (const auto& m : report.markets) {
    Series bid{.name = "recorded bid", .color = "#999999"}, ask{.name = "recorded ask", .color = "#555555"};
    Series fair{.name = "fair", .color = kColors[2]}, ob{.name = "our bid", .color = kColors[0], .steps = true},
        oa{.name = "our ask", .color = kColors[1], .steps = true};
    Series buys{.name = "our buys", .color = "#0b5394", .dots = true},
        sells{.name = "our sells", .color = "#990000", .dots = true};
    for (const Sample& s : report.samples) {
      if (s.market != m.condition_id) continue;
      const double x = sec(s.t);
      if (s.bid) bid.points.emplace_back(x, *s.bid);
      if (s.ask) ask.points.emplace_back(x, *s.ask);
      if (s.fair) fair.points.emplace_back(x, *s.fair);
      if (s.our_bid) ob.points.emplace_back(x, *s.our_bid);
      if (s.our_ask) oa.points.emplace_back(x, *s.our_ask);
    }
    for (const FillRecord& x : report.fills) {
      if (x.market != m.condition_id) continue;
      // On the YES book: a NO buy at q is a YES sell at 1 - q.
      const bool yes = x.token == m.yes_token;
      const double p = yes ? Px(x.price) : 1 - Px(x.price);
      const bool buy_yes = (x.side == model::Side::kBuy) == yes;
      (buy_yes ? buys : sells).points.emplace_back(sec(x.t), p);
    }
    html += Chart(m.slug.empty() ? m.condition_id : m.slug, {bid, ask, fair, ob, oa, buys, sells}, "YES price");
  }
  html +=
      "<table><tr><th class=\"l\">market</th><th>samples</th><th>two-sided</th><th>our spread</th><th>recorded "
      "spread</th><th>our mid &minus; fair</th><th>reward-score share</th></tr>";
  for (const MarketFigures& m : f.markets) {
    html += fmt::format(
        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        H(m.slug.empty() ? m.condition_id : m.slug), m.samples, m.two_sided, Num(m.mean_our_spread),
        Num(m.mean_recorded_spread), Num(m.mean_mid_to_fair), Num(m.mean_score_share));
  }
  html += "</table>";

  // Reward-score share over time.
  std::vector<Series> share_series;
  color = 0;
  for (const auto& m : report.markets) {
    Series s{.name = m.slug.empty() ? m.condition_id.substr(0, 10) : m.slug, .color = kColors[color++ % 8]};
    for (const Sample& x : report.samples) {
      if (x.market == m.condition_id) s.points.emplace_back(sec(x.t), x.score_share);
    }
    share_series.push_back(std::move(s));
  }
  html += "<h2>Reward-score share</h2>" + Chart("our share of the band's score", share_series, "share") +
          "<p class=\"note\">Polymarket's per-order score ((v &minus; s)/v)&sup2; &times; size within the max spread "
          "v of the recorded mid, ours against the recorded book's; orders below the rewards minimum size do not "
          "score.</p>";

  // Fees.
  html += "<h2>Fees and rebates</h2>";
  html += f.fees_modelled ? fmt::format("<p>Fees {} USD, rebates {} USD.</p>", Num(f.fees_usd), Num(f.rebates_usd))
                          : "<p>0 USD and 0 USD: <b>not modelled yet</b> (the simulator charges no fee and pays no "
                            "rebate; the figures appear here once it does).</p>";

  // Fills.
  html +=
      "<h2>Fills with markouts</h2><table><tr><th>t (s)</th><th class=\"l\">market</th><th>token</th><th>side</th>"
      "<th>price</th><th>shares</th><th>kind</th><th>mid</th><th>1 s</th><th>10 s</th><th>60 s</th></tr>";
  size_t shown = 0;
  for (const FillRecord& x : report.fills) {
    if (++shown > 2000) {
      html += "<tr><td colspan=\"11\" class=\"l\">&hellip; (the rest in summary.json)</td></tr>";
      break;
    }
    std::string slug = x.market.substr(0, 10), outcome = "?";
    for (const auto& m : report.markets) {
      if (m.condition_id == x.market) {
        slug = m.slug;
        outcome = x.token == m.yes_token ? "YES" : "NO";
      }
    }
    auto markout = [&](size_t h) {
      if (!x.mid_after[h]) return std::string("&mdash;");
      const double e = x.side == model::Side::kBuy ? *x.mid_after[h] - Px(x.price) : Px(x.price) - *x.mid_after[h];
      return Num(e * Sh(x.size), 4);
    };
    html += fmt::format(
        "<tr><td>{:.3f}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        sec(x.t), H(slug), outcome, model::SideName(x.side), Num(Px(x.price)), Num(Sh(x.size), 2),
        x.taker ? "taker" : "maker", x.mid ? Num(*x.mid) : "&mdash;", markout(0), markout(1), markout(2));
  }
  html +=
      "</table><p class=\"note\">Markouts in USD: (mid later &minus; price) &times; shares for a buy, the "
      "opposite for a sell; &mdash; when the journal ends before the horizon.</p>";

  html +=
      "<h2>What the queue model leaves out</h2><ul>"
      "<li>Our fills take no liquidity from the recorded book and move no price (no market impact).</li>"
      "<li>A recorded order arriving at or through our price without a recorded trade would have traded with us; "
      "it does not fill us (counted above, hidden from the published book).</li>"
      "<li>Cancels of the size at our level are assumed to come from behind us first.</li>"
      "<li>Latency to the exchange is the local simulator's; fees and rebates are not modelled yet.</li></ul>";
  html += "<h2>Strategy configuration</h2><pre>" + H(run.config_text) + "</pre>";
  html += "</body></html>\n";
  return html;
}

}  // namespace clobmaker::backtest
