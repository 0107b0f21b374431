#include "crowd.h"

#include <algorithm>
#include <limits>

namespace wipeout::engine {

Crowd::Crowd(const Population& population, Buffers& buffers, std::uint64_t population_version,
             double reference_price, double short_position_notional)
    : pop_(population),
      longs_(buffers.longs),
      shorts_(buffers.shorts),
      short_position_notional_(short_position_notional) {
    const bool reuse = population_version != 0 && buffers.version == population_version;
    init(Side::Long, reuse, reference_price);
    init(Side::Short, reuse, reference_price);
    buffers.version = population_version;
}

void Crowd::set_renewal(Side side, double notional_per_s) {
    Renewal& r = renewal_[side == Side::Long ? 0 : 1];
    r.levels.clear();
    // Runs come by leverage level, then size class: one level per leverage, its heaviest class's bracket.
    double total = 0, level_weight = 0, best = -1;
    for (const CohortRun& k : runs(side)) {
        total += k.weight;
        if (r.levels.empty() || k.leverage != r.levels.back().leverage) {
            if (!r.levels.empty()) r.levels.back().share = level_weight;
            r.levels.push_back({k.ratio, k.leverage, k.position_notional, 0, k.tier, k.size_class});
            level_weight = 0;
            best = -1;
        }
        level_weight += k.weight;
        if (k.weight > best) {
            best = k.weight;
            r.levels.back() = {k.ratio, k.leverage, k.position_notional, 0, k.tier, k.size_class};
        }
    }
    if (!r.levels.empty()) r.levels.back().share = level_weight;
    for (auto& l : r.levels) l.share /= total;
    r.notional_per_s = notional_per_s;
    r.highest_ratio = 0;
    r.lowest_ratio = std::numeric_limits<double>::infinity();
    for (const auto& l : r.levels) {
        r.highest_ratio = std::max(r.highest_ratio, l.ratio);
        r.lowest_ratio = std::min(r.lowest_ratio, l.ratio);
    }
}

void Crowd::file_renewal(Side side) {
    Renewal& r = renewal_[side == Side::Long ? 0 : 1];
    if (!(r.qty > 0)) return;
    const double entry = r.entry_value / r.qty;
    for (const auto& l : r.levels) {
        const Cohort c{entry * l.ratio, entry,      r.qty * l.share, l.position_notional / entry,
                       l.leverage,      l.size_class, l.tier,         0};
        if (side == Side::Long) {
            file<Side::Long>(c);
        } else {
            file<Side::Short>(c);
        }
    }
    r.qty = r.entry_value = 0;
}

void Crowd::init(Side side, bool reuse, double reference_price) {
    SideBook& b = book(side);
    const auto& rs = runs(side);
    const auto& cohorts = side == Side::Long ? pop_.longs : pop_.shorts;
    const double sign = side == Side::Long ? 1.0 : -1.0;
    b.left.clear();
    b.emptied.clear();
    b.free.clear();
    if (reuse) {  // the same population as the path before: its initial book, as saved
        b.next.assign(b.initial.next.begin(), b.initial.next.end());
        b.pool.assign(b.initial.pool.begin(), b.initial.pool.end());
        b.queue.restore(b.initial.queue);
        return;
    }
    b.runs = static_cast<std::uint32_t>(rs.size());
    b.queue.reset(side, reference_price, 2 * (rs.size() + cohorts.size()) + 64);
    b.next.resize(rs.size());
    b.pool.clear();
    for (std::size_t k = 0; k < rs.size(); ++k) {
        const auto& run = rs[k];
        // Longs trigger from their highest entry down, shorts from their lowest up.
        b.next[k] = side == Side::Long ? static_cast<std::int64_t>(run.last_alive) - 1 : run.first_alive;
        b.queue.insert(static_cast<std::uint32_t>(k),
                       sign * (pop_.entries[static_cast<std::size_t>(b.next[k])] * run.ratio));
    }
    // Explicit cohorts join the pool, in fixed slots, grouped for ADL's bounds.
    for (const Cohort& c : cohorts) b.add(c, sign * c.liquidation_price);
    b.fixed = static_cast<std::uint32_t>(cohorts.size());
    b.groups.clear();
    for (std::uint32_t begin = 0; begin < b.fixed; begin += SideBook::kGroupSize) {
        SideBook::Group g{begin, std::min(b.fixed, begin + SideBook::kGroupSize), cohorts[begin].entry,
                          cohorts[begin].entry, cohorts[begin].leverage};
        for (std::uint32_t i = g.begin; i < g.end; ++i) {
            g.entry_lo = std::min(g.entry_lo, cohorts[i].entry);
            g.entry_hi = std::max(g.entry_hi, cohorts[i].entry);
            g.leverage = std::max(g.leverage, cohorts[i].leverage);
        }
        b.groups.push_back(g);
    }
    b.initial.next.assign(b.next.begin(), b.next.end());
    b.initial.pool.assign(b.pool.begin(), b.pool.end());
    b.queue.save(b.initial.queue, rs.size() + cohorts.size());
}

}  // namespace wipeout::engine
