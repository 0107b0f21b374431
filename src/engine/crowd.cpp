#include "crowd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace wipeout::engine {

Crowd::Crowd(const Population& population, Buffers& buffers, std::uint64_t population_version,
             double reference_price, double short_position_notional)
    : pop_(population),
      buffers_(buffers),
      version_(population_version),
      longs_(buffers.longs),
      shorts_(buffers.shorts),
      short_position_notional_(short_position_notional) {
    const bool reuse = population_version != 0 && buffers.version == population_version;
    init(Side::Long, reuse, reference_price);
    init(Side::Short, reuse, reference_price);
    buffers.version = population_version;
}

namespace {

/// The runs' leverage levels, each with its heaviest size class's bracket, weighted as the runs are (the
/// opening flow's mix). Runs come by leverage level, then size class. A size class its bracket caps (the
/// largest positions, at the bracket's maximum leverage) comes back level after level as the same position:
/// one level for all of it, so a band files each position once.
std::vector<Renewal::Level> run_levels(const std::vector<CohortRun>& runs) {
    std::vector<Renewal::Level> levels;
    double level_weight = 0, best = -1;
    for (const CohortRun& k : runs) {
        if (k.stop) continue;  // the stop-losses' twins: the same mix, the opening flow has no stops
        if (levels.empty() || k.leverage != levels.back().leverage) {
            if (!levels.empty()) levels.back().share = level_weight;
            levels.push_back({k.ratio, k.leverage, k.position_notional, 0, k.tier, k.size_class});
            level_weight = 0;
            best = -1;
        }
        level_weight += k.weight;
        if (k.weight > best) {
            best = k.weight;
            levels.back() = {k.ratio, k.leverage, k.position_notional, 0, k.tier, k.size_class};
        }
    }
    if (!levels.empty()) levels.back().share = level_weight;
    std::size_t kept = 0;
    double highest = 0;
    for (const Renewal::Level& l : levels) {
        Renewal::Level* same = nullptr;
        if (l.leverage <= highest) {  // only a capped class repeats an earlier level's leverage
            for (std::size_t i = 0; i < kept && same == nullptr; ++i) {
                const Renewal::Level& m = levels[i];
                if (m.leverage == l.leverage && m.ratio == l.ratio && m.tier == l.tier &&
                    m.size_class == l.size_class)
                    same = &levels[i];
            }
        }
        highest = std::max(highest, l.leverage);
        if (same != nullptr) {
            same->share += l.share;
        } else {
            levels[kept++] = l;
        }
    }
    levels.resize(kept);
    return levels;
}

/// Explicit cohorts' (a position snapshot's) notional by leverage level, levels a factor kLevelRatio wide,
/// each with its heaviest cohort's bracket.
std::vector<Renewal::Level> cohort_levels(const std::vector<Cohort>& cohorts) {
    std::map<int, std::pair<double, const Cohort*>> by_level;  // level -> (notional, heaviest cohort)
    for (const Cohort& c : cohorts) {
        if (!(c.qty > 0)) continue;
        auto& [notional, heaviest] =
            by_level[static_cast<int>(std::floor(std::log(c.leverage) / std::log(Renewal::kLevelRatio)))];
        notional += c.qty * c.entry;
        if (heaviest == nullptr || c.qty * c.entry > heaviest->qty * heaviest->entry) heaviest = &c;
    }
    std::vector<Renewal::Level> levels;
    for (const auto& [level, at] : by_level) {
        const Cohort& c = *at.second;
        levels.push_back({c.liquidation_price / c.entry, c.leverage, c.position_qty * c.entry, at.first,
                          c.tier, c.size_class});
    }
    return levels;
}

}  // namespace

void Crowd::set_renewal(Side side, double notional_per_s) {
    const std::size_t s = side == Side::Long ? 0 : 1;
    Renewal& r = renewal_[s];
    // The mix depends on the population alone: a snapshot's (a million cohorts) is built once per run.
    auto& [levels, version] = buffers_.renewal_levels[s];
    if (version_ == 0 || version != version_) {
        levels = runs(side).empty() ? cohort_levels(side == Side::Long ? pop_.longs : pop_.shorts)
                                    : run_levels(runs(side));
        double total = 0;
        for (const auto& l : levels) total += l.share;
        for (auto& l : levels) l.share /= total;
        version = version_;
    }
    r.levels = levels;
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
    const auto cohort = [&](std::size_t i) {
        const Renewal::Level& l = r.levels[i];
        return Cohort{entry * l.ratio, entry,        r.qty * l.share, l.position_notional / entry,
                      l.leverage,      l.size_class, l.tier,          0};
    };
    // One entry, one group: ADL bounds it by its highest leverage instead of scoring every level each round.
    if (side == Side::Long) {
        longs_.add_group<Side::Long>(r.levels.size(), cohort);
    } else {
        shorts_.add_group<Side::Short>(r.levels.size(), cohort);
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
    b.loose.clear();
    if (reuse) {  // the same population as the path before: its initial book, as saved
        b.next.assign(b.initial.next.begin(), b.initial.next.end());
        b.pool.assign(b.initial.pool.begin(), b.initial.pool.end());
        b.queue.restore(b.initial.queue);
        b.groups.resize(b.fixed_groups);  // the bands the path before filed are gone with its pool
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
    b.loose.clear();  // the fixed slots are not loose: ADL takes them by group
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
    b.fixed_groups = b.groups.size();
    b.initial.next.assign(b.next.begin(), b.next.end());
    b.initial.pool.assign(b.pool.begin(), b.pool.end());
    b.queue.save(b.initial.queue, rs.size() + cohorts.size());
}

}  // namespace wipeout::engine
