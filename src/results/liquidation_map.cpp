// The liquidation map of a crowd, its cliffs, and its group in the results file (wipeout/liquidation_map.h).
#include "wipeout/liquidation_map.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>

#include <fmt/format.h>

#include "wipeout/cascade_params.h"
#include "wipeout/error.h"
#include "wipeout/h5.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"
#include "wipeout/scenario.h"

namespace wipeout {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
/// A short's liquidation price at or above this is the margin module's "never" (1e300).
constexpr double kNeverShort = 1e299;

/// A liquidating cohort: its liquidation price and forced notional.
struct Trigger {
    double price;
    double notional;
};

/// The move in (lo, hi] at which D reaches `forced`, given D(lo) < forced <= D(hi): D is non-decreasing, so
/// bisection, to the last bit.
double depth_reaches(const BookDepth& depth, bool down, double forced, double lo, double hi) {
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi)) break;
        (depth.within(down, mid) >= forced ? hi : lo) = mid;
    }
    return hi;
}

/// The first point at which cumulative forced notional exceeds the depth: the triggers in the order a move
/// from P0 reaches them, each group of equal prices added whole before the test. D is non-decreasing in the
/// move, so a depth already above F at a smaller move rules F out; only a new high of F needs D. Then the
/// reach: F is constant between groups, so the zone where F > D ends in the first gap where D reaches F.
LiquidationCliff find_cliff(std::vector<Trigger>& triggers, double p0, bool down, const BookDepth& depth) {
    std::sort(triggers.begin(), triggers.end(), [down](const Trigger& a, const Trigger& b) {
        return down ? a.price > b.price : a.price < b.price;
    });
    LiquidationCliff c;
    const auto move_of = [&](double price) { return down ? 1.0 - price / p0 : price / p0 - 1.0; };
    double forced = 0, known_depth = 0;
    std::size_t i = 0;
    while (i < triggers.size() && !c.found) {
        const double price = triggers[i].price;
        for (; i < triggers.size() && triggers[i].price == price; ++i) forced += triggers[i].notional;
        if (!(forced > known_depth)) continue;
        const double move = move_of(price);
        const double d = depth.within(down, move);
        if (forced > d) {
            c.found = true;
            c.move = move;
            c.price = price;
            c.forced = forced;
            c.depth = d;
        }
        known_depth = d;
    }
    if (!c.found) return c;
    double from = c.move;  // F(from) > D(from)
    double reach = kMaxBookDisplacement;
    while (true) {
        const double next = i < triggers.size() ? move_of(triggers[i].price) : kMaxBookDisplacement;
        if (depth.within(down, next) >= forced) {
            reach = depth_reaches(depth, down, forced, from, next);
            break;
        }
        if (i == triggers.size()) break;  // past the book's deepest displacement: unlimited depth from there
        const double price = triggers[i].price;
        for (; i < triggers.size() && triggers[i].price == price; ++i) forced += triggers[i].notional;
        from = next;
    }
    c.reach = reach;
    c.reach_price = p0 * (down ? 1.0 - reach : 1.0 + reach);
    c.reach_forced = forced;
    return c;
}

double regime_depth_factor(const CascadeParams& p) {
    return p.regime_enabled && p.air_pocket ? p.regime_depth_factor : 1.0;
}

}  // namespace

// ---- the book's depth ----

BookDepth BookDepth::power_law(double depth_1pct, double shape) {
    if (!(std::isfinite(depth_1pct) && depth_1pct > 0) || !(std::isfinite(shape) && shape > 0))
        throw InputError(
            fmt::format("book depth: d1 = {} and beta = {} must be positive", depth_1pct, shape));
    BookDepth d;
    d.depth_1pct_ = depth_1pct;
    d.shape_ = shape;
    return d;
}

BookDepth BookDepth::profile(const BookProfile& profile, double depth_1pct) {
    BookDepth d = power_law(depth_1pct, profile.tail_shape());
    d.profile_ = profile;
    return d;
}

double BookDepth::within(bool down, double move) const {
    if (!(move > 0)) return 0.0;
    if (move > kMaxBookDisplacement) return kInf;  // the engine's book never shows a deeper displacement
    if (profile_) return depth_1pct_ * profile_->depth_per_unit(down, move);
    return depth_1pct_ * std::pow(move / 0.01, shape_);
}

BookDepth book_depth_at_start(const CascadeParams& params, const MarketInputs& inputs) {
    const double factor = regime_depth_factor(params);
    if (inputs.book) {
        const BookProfile profile = inputs.book->profile();
        return BookDepth::profile(profile, profile.depth_1pct() * factor);
    }
    return BookDepth::power_law(params.depth_1pct * factor, params.book_shape);
}

// ---- the map ----

LiquidationMap liquidation_map(const Population& crowd, double p0, const LiquidationMapRange& range,
                               const BookDepth& depth) {
    if (!(std::isfinite(p0) && p0 > 0))
        throw InputError(fmt::format("liquidation map: the reference price {} is not positive", p0));
    if (!(std::isfinite(range.low) && std::isfinite(range.high) && range.low >= 0 && range.low < range.high))
        throw InputError(fmt::format("liquidation map: range {}:{}: expected prices 0 <= low < high",
                                     range.low, range.high));
    if (range.bins < 1 || range.bins > kMaxLiquidationMapBins)
        throw InputError(
            fmt::format("liquidation map: {} bins: expected 1 to {}", range.bins, kMaxLiquidationMapBins));
    LiquidationMap map;
    map.reference_price = p0;
    map.low = range.low;
    map.high = range.high;
    const std::size_t n = range.bins;
    const double width = (range.high - range.low) / static_cast<double>(n);
    map.bins.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        LiquidationMapBin& b = map.bins[i];
        b = {};
        b.low = range.low + static_cast<double>(i) * width;
        b.high = i + 1 == n ? range.high : range.low + static_cast<double>(i + 1) * width;
        b.price = 0.5 * (b.low + b.high);
    }
    const auto bin_of = [&](double price) {
        const double k = std::floor((price - range.low) / width);
        return static_cast<std::size_t>(std::clamp(k, 0.0, static_cast<double>(n - 1)));
    };

    std::vector<Trigger> long_triggers, short_triggers;  // the cohorts a move within the range reaches
    const auto add = [&](Side side, const Cohort& c) {
        if (!(c.qty > 0)) return;  // an empty cell of the grid
        const bool is_long = side == Side::Long;
        LiquidationMapSide& s = is_long ? map.longs : map.shorts;
        const double oi = c.qty * p0;
        const double l = c.liquidation_price;
        s.open_interest += oi;
        if (is_long ? !(l > 0) : !(l < kNeverShort)) {
            ++s.never_cohorts;
            s.never_open_interest += oi;
            return;
        }
        if (is_long ? l >= p0 : l <= p0) {
            ++s.crossed_cohorts;
            s.crossed_open_interest += oi;
            return;
        }
        const double notional = c.qty * l;
        ++s.cohorts;
        s.notional += notional;
        // P0's side of the range: the near end; the other: the far end.
        const bool beyond = is_long ? l < range.low : l > range.high;
        const bool before = is_long ? l > range.high : l < range.low;
        if (beyond) {
            s.beyond_range += notional;
            return;
        }
        (is_long ? long_triggers : short_triggers).push_back({l, notional});
        if (before) {
            s.before_range += notional;
            return;
        }
        s.in_range += notional;
        LiquidationMapBin& b = map.bins[bin_of(l)];
        (is_long ? b.long_liquidated : b.short_liquidated) += notional;
    };
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& runs = side == Side::Long ? crowd.long_runs : crowd.short_runs;
        for (std::size_t r = 0; r < runs.size(); ++r)
            for (std::size_t e = runs[r].first_alive; e < runs[r].last_alive; ++e)
                add(side, crowd.cohort(side, r, e));
        for (const Cohort& c : side == Side::Long ? crowd.longs : crowd.shorts) add(side, c);
    }

    // Cumulative from P0 outward: longs from the top bin down (plus those between P0 and the range), shorts
    // from the bottom bin up. A long lies below P0, so bins at or above P0 hold none; their curve is 0.
    double acc = map.longs.before_range;
    for (std::size_t i = n; i-- > 0;) {
        LiquidationMapBin& b = map.bins[i];
        acc += b.long_liquidated;
        b.long_cumulative = b.low < p0 ? acc : 0.0;
        b.bid_depth = b.low < p0 ? depth.within(true, 1.0 - b.low / p0) : 0.0;
    }
    acc = map.shorts.before_range;
    for (LiquidationMapBin& b : map.bins) {
        acc += b.short_liquidated;
        b.short_cumulative = b.high > p0 ? acc : 0.0;
        b.ask_depth = b.high > p0 ? depth.within(false, b.high / p0 - 1.0) : 0.0;
    }
    map.cliff_down = find_cliff(long_triggers, p0, true, depth);
    map.cliff_up = find_cliff(short_triggers, p0, false, depth);
    return map;
}

CrowdLiquidationMap crowd_liquidation_map(const Scenario& scenario, const MarketInputs& inputs,
                                          std::uint64_t seed, std::uint64_t path,
                                          std::optional<std::pair<double, double>> prices, std::size_t bins) {
    CrowdLiquidationMap m;
    m.seed = seed;
    m.path = path;
    const CascadeParams params = scenario.sample(seed, path);
    PopulationScratch scratch;
    Population crowd;
    m.crowd = build_crowd_population(params, inputs, scratch, crowd);
    const BookDepth depth = book_depth_at_start(params, inputs);
    const double p0 = params.reference_price;
    const auto [low, high] = prices.value_or(std::pair{kLiquidationMapLow * p0, kLiquidationMapHigh * p0});
    m.map = liquidation_map(crowd, p0, {low, high, bins}, depth);

    switch (m.crowd.source) {
        case CrowdSource::Grid:
            m.crowd_text = "the positions.* grid";
            break;
        case CrowdSource::History:
            m.crowd_text = "what a Brownian price history leaves (history.*)";
            break;
        case CrowdSource::HistoryBars:
            m.crowd_text = fmt::format("what the price history {} leaves", scenario.run().history.string());
            break;
        case CrowdSource::Snapshot:
            m.crowd_text = fmt::format("position snapshot {} ({} positions in {} cohorts)",
                                       scenario.run().positions.string(), m.crowd.snapshot.positions,
                                       m.crowd.snapshot.cohorts);
            break;
    }
    const double factor = regime_depth_factor(params);
    const std::string d1 = factor != 1.0
                               ? fmt::format("{:.4g} = {:.4g} x {:.3g} in the air pocket", depth.depth_1pct(),
                                             depth.depth_1pct() / factor, factor)
                               : fmt::format("{:.4g}", depth.depth_1pct());
    m.book_text = depth.from_profile() ? fmt::format("order-book snapshot {} (d1 {}, tail beta {:.3g})",
                                                     scenario.run().book.string(), d1, depth.shape())
                                       : fmt::format("power law (d1 {}, beta {:.3g})", d1, depth.shape());
    return m;
}

// ---- the results file's group ----

void write_liquidation_map(const h5::File& file, const CrowdLiquidationMap& m) {
    const LiquidationMap& map = m.map;
    const h5::Group g = file.create_group("liquidation_map");
    g.set_attribute(
        "doc",
        "the liquidation map of path `path`'s crowd: per price bin, the quote notional (qty x "
        "liquidation price) liquidated there, longs below reference_price and shorts above, the "
        "cumulative curves from reference_price outward and the depth within each move; cliff_*: the "
        "smallest move at which the cumulative forced notional exceeds that depth (NaN: none within "
        "the range)");
    struct Column {
        const char* name;
        double LiquidationMapBin::*member;
        const char* doc;
    };
    static constexpr std::array<Column, 7> kColumns{{
        {"price", &LiquidationMapBin::price,
         "the bin's centre; bins of equal width divide [range_low, range_high)"},
        {"long_liquidated", &LiquidationMapBin::long_liquidated,
         "longs whose liquidation price lies in the bin"},
        {"short_liquidated", &LiquidationMapBin::short_liquidated,
         "shorts whose liquidation price lies in the bin"},
        {"long_cumulative", &LiquidationMapBin::long_cumulative,
         "longs liquidated by a fall from reference_price to the bin's lower edge"},
        {"short_cumulative", &LiquidationMapBin::short_cumulative,
         "shorts liquidated by a rise from reference_price to the bin's upper edge"},
        {"bid_depth", &LiquidationMapBin::bid_depth,
         "bids resting within the fall from reference_price to the bin's lower edge (inf: unlimited)"},
        {"ask_depth", &LiquidationMapBin::ask_depth,
         "asks resting within the rise from reference_price to the bin's upper edge (inf: unlimited)"},
    }};
    std::vector<double> values(map.bins.size());
    h5::Dataset price;
    h5::ScaleAttachments scales;
    for (const Column& c : kColumns) {
        for (std::size_t i = 0; i < map.bins.size(); ++i) values[i] = map.bins[i].*c.member;
        h5::Dataset d = g.write_dataset<double>(c.name, values);
        d.set_attribute("unit", "quote");
        d.set_attribute("doc", c.doc);
        if (price.id() < 0) {
            price = std::move(d);
            h5::make_dimension_scale(price, "price");
        } else {
            scales.attach(d, 0, price);
        }
    }
    scales.write();

    g.set_attribute("reference_price", map.reference_price);
    g.set_attribute("range_low", map.low);
    g.set_attribute("range_high", map.high);
    g.set_attribute("bins", static_cast<std::uint64_t>(map.bins.size()));
    g.set_attribute("seed", m.seed);
    g.set_attribute("path", m.path);
    g.set_attribute("crowd", crowd_source_name(m.crowd.source));
    g.set_attribute("crowd_text", m.crowd_text);
    g.set_attribute("book_text", m.book_text);
    for (const auto& [name, c] :
         {std::pair{"cliff_down", &map.cliff_down}, std::pair{"cliff_up", &map.cliff_up}}) {
        const std::string prefix(name);
        g.set_attribute(prefix + "_move", c->move);
        g.set_attribute(prefix + "_price", c->price);
        g.set_attribute(prefix + "_forced", c->forced);
        g.set_attribute(prefix + "_depth", c->depth);
        g.set_attribute(prefix + "_reach", c->reach);
        g.set_attribute(prefix + "_reach_price", c->reach_price);
        g.set_attribute(prefix + "_reach_forced", c->reach_forced);
    }
    for (const auto& [name, s] : {std::pair{"long", &map.longs}, std::pair{"short", &map.shorts}}) {
        const std::string prefix(name);
        g.set_attribute(prefix + "_open_interest", s->open_interest);
        g.set_attribute(prefix + "_notional", s->notional);
        g.set_attribute(prefix + "_in_range", s->in_range);
        g.set_attribute(prefix + "_before_range", s->before_range);
        g.set_attribute(prefix + "_beyond_range", s->beyond_range);
        g.set_attribute(prefix + "_cohorts", static_cast<std::uint64_t>(s->cohorts));
        g.set_attribute(prefix + "_never_cohorts", static_cast<std::uint64_t>(s->never_cohorts));
        g.set_attribute(prefix + "_never_open_interest", s->never_open_interest);
        g.set_attribute(prefix + "_crossed_cohorts", static_cast<std::uint64_t>(s->crossed_cohorts));
        g.set_attribute(prefix + "_crossed_open_interest", s->crossed_open_interest);
    }
}

}  // namespace wipeout
