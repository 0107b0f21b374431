#include "adl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "wipeout/adl_ranking.h"

namespace wipeout::engine {

namespace {
Side opposite(Side s) {
    return s == Side::Long ? Side::Short : Side::Long;
}
}  // namespace

inline void Adl::record(Side side, std::uint32_t id, std::size_t grid_size, std::size_t pool_size,
                        double entry, double leverage, double haircut, double positions,
                        bool same_positions) {
    const int s = static_cast<int>(side);
    AdlHit* hit;
    if (id < grid_size) {
        hit = &buffers_.grid_hits[s][id];
    } else if (id - grid_size == pool_size) {
        hit = &buffers_.opening_hit;  // the M12 cohort still opening
    } else {
        auto& pool = buffers_.pool_hits[s];
        const std::size_t slot = id - grid_size;
        if (pool.size() <= slot) pool.resize(slot + 1);
        hit = &pool[slot];
        if (hit->positions > 0 && (hit->entry != entry || hit->leverage != leverage)) {
            close(*hit);  // the slot holds another cohort now
            *hit = {};
        }
        hit->entry = entry;
        hit->leverage = leverage;
    }
    hit->haircut += haircut;
    if (!same_positions) {
        hit->positions += positions;
    } else if (positions > hit->positions) {  // a position counts once however often it is hit
        positions_ += positions - hit->positions;
        hit->positions = positions;
    }
}

double Adl::deleverage(Crowd& crowd, Side liquidated, double qty, double price, double mark, double t) {
    // The opposite side's positions in profit, best-ranked first, closed at the liquidated position's
    // bankruptcy price. No book impact. Returns the quantity it could match.
    auto& queue = buffers_.queue;
    auto& ranked = buffers_.ranked;
    auto& handed = buffers_.handed;
    const auto [side, f, runs, pop, ne, grid_size] = begin_round(crowd, liquidated);
    const auto& entries = pop.entries;
    auto& extra = f.pool;
    const auto score = [&](const Cohort& c) {
        return adl_score_unchecked(ranking_, side, c.entry, mark, c.qty, c.margin());
    };
    const auto in_profit = [&](double entry) { return side == Side::Short ? entry > mark : entry < mark; };
    queue.clear();
    for (const std::uint32_t i : f.loose) {  // free slots have qty 0; groups enter below
        const Cohort& c = extra[i];
        if (c.qty > 0 && in_profit(c.entry))
            queue.push_back({score(c), static_cast<std::uint32_t>(grid_size + i)});
    }
    // The fixed slots (a snapshot's cohorts) and the renewal bands enter by group, under a bound at the
    // group's highest leverage (a score rises with the leverage at a given entry) over its entries in profit,
    // as the grid's runs do below.
    for (std::uint32_t g = 0; g < f.groups.size(); ++g) {
        const SideBook::Group& group = f.groups[g];
        const double lo = side == Side::Short ? std::max(group.entry_lo, mark) : group.entry_lo;
        const double hi = side == Side::Short ? group.entry_hi : std::min(group.entry_hi, mark);
        if (!(side == Side::Short ? group.entry_hi > mark : group.entry_lo < mark)) continue;
        queue.push_back({adl_score_bound(ranking_, side, group.leverage, lo, hi, mark), kAdlGroup | g});
    }
    if (side == Side::Short && crowd.open_short_.qty > 0 && in_profit(crowd.open_short_.entry))
        queue.push_back({score(crowd.opening_short()), static_cast<std::uint32_t>(grid_size + extra.size())});
    // The grid enters by runs, each under an upper bound of its cohorts' scores. At a fixed leverage a
    // cohort's score depends on its entry alone (up to the ulps of its quantity) and has at most one turning
    // point in it (adl_score_shape), so when a run reaches the top of the queue its levels split into at most
    // two stretches along which the score falls. Each stretch enters under the exact score of its first
    // cohort with something left, hands that cohort out when it comes to the top in turn, and re-enters under
    // the next one's. The queue merges them into exactly the order of scoring every cohort (highest score
    // first, ties by id) while scoring only the runs that come near the top and, of those, the cohorts it
    // hands out and one more per stretch. (Scoring and sorting a whole run there instead cost 37% of a
    // history crowd's path: ADL hands out one or two of its hundred levels.) What ADL has emptied is kept out
    // as a stretch per run, so later rounds do not walk through it. A run's levels here: in profit, not yet
    // taken over.
    const std::size_t profit_begin =
        side == Side::Short ? std::upper_bound(entries.begin(), entries.end(), mark) - entries.begin() : 0;
    const std::size_t profit_end =
        side == Side::Short ? ne : std::lower_bound(entries.begin(), entries.end(), mark) - entries.begin();
    // Highest score first; ties by position in the book, so the order never depends on anything but the path.
    const auto worse = [](const AdlItem& a, const AdlItem& b) {
        return a.score < b.score || (a.score == b.score && a.id > b.id);
    };
    const auto push = [&](const AdlItem& item) {
        queue.push_back(item);
        std::push_heap(queue.begin(), queue.end(), worse);
    };
    const auto add_run = [&](std::size_t k, std::size_t lo, std::size_t hi) {
        if (lo >= hi) return;
        // A leverage level's size classes usually share their levels, hence their bound.
        const AdlItem* last = queue.empty() ? nullptr : &queue.back();
        const bool shared = last != nullptr && !last->exact && last->lo == lo && last->hi == hi &&
                            last->id < grid_size && runs[last->id / ne].leverage == runs[k].leverage;
        const double bound =
            shared ? last->score
                   : adl_score_bound(ranking_, side, runs[k].leverage, entries[lo], entries[hi - 1], mark);
        queue.push_back({bound, static_cast<std::uint32_t>(k * ne + lo), static_cast<std::uint32_t>(lo),
                         static_cast<std::uint32_t>(hi), 0, false});
    };
    // The first cohort with something left of run k's stretch [lo, hi), from level e in direction step, under
    // its exact score.
    const auto add_cohort = [&](std::size_t k, std::uint32_t lo, std::uint32_t hi, std::int64_t e, int step) {
        for (; e >= lo && e < hi; e += step) {
            const std::size_t id = k * ne + static_cast<std::size_t>(e);
            if (!(f.left[id] > 0)) continue;
            Cohort c = pop.cohort(side, k, static_cast<std::size_t>(e));
            c.qty *= f.left[id];
            if (!(c.qty > 0)) continue;
            push({score(c), static_cast<std::uint32_t>(id), lo, hi, static_cast<std::int8_t>(step)});
            return;
        }
    };
    // A run at the top: its stretches' first cohorts.
    const auto split_run = [&](const AdlItem& run) {
        const std::size_t k = run.id / ne;
        const AdlScoreShape shape = adl_score_shape(ranking_, side, runs[k].leverage, mark);
        const std::int64_t lo = run.lo, hi = run.hi;
        if (shape.kind == AdlScoreShape::Falling) {
            add_cohort(k, run.lo, run.hi, lo, +1);
            return;
        }
        const auto turn = static_cast<std::uint32_t>(
            std::lower_bound(entries.begin() + lo, entries.begin() + hi, shape.turn) - entries.begin());
        if (shape.kind == AdlScoreShape::Peak) {  // rises to the peak, falls after it
            add_cohort(k, turn, run.hi, turn, +1);
            add_cohort(k, run.lo, turn, std::int64_t{turn} - 1, -1);
        } else {  // falls to the valley, rises after it
            add_cohort(k, run.lo, turn, lo, +1);
            add_cohort(k, turn, run.hi, hi - 1, -1);
        }
    };
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const std::int64_t alive_lo = side == Side::Long ? runs[k].first_alive : f.next[k];
        const std::int64_t alive_hi = side == Side::Long ? f.next[k] + 1 : runs[k].last_alive;
        const std::size_t lo = std::max(static_cast<std::size_t>(alive_lo), profit_begin);
        const std::size_t hi = std::min(static_cast<std::size_t>(alive_hi), profit_end);
        const auto [empty_lo, empty_hi] = f.emptied[k];
        if (empty_lo == empty_hi) {
            add_run(k, lo, hi);
        } else {
            add_run(k, lo, std::min<std::size_t>(hi, empty_lo));
            add_run(k, std::max<std::size_t>(lo, empty_hi), hi);
        }
    }
    // The head of an expanded group's ranked cohorts [at, end), carrying the rest.
    const auto next_ranked = [&](std::size_t at, std::size_t end) {
        return AdlItem{ranked[at].first, ranked[at].second, static_cast<std::uint32_t>(at + 1),
                       static_cast<std::uint32_t>(end)};
    };
    std::make_heap(queue.begin(), queue.end(), worse);
    ranked.clear();
    handed.clear();
    AdlItem last_handed{std::numeric_limits<double>::infinity(), 0};
    double matched = 0, round_haircut = 0;
    while (matched < qty && !queue.empty()) {
        std::pop_heap(queue.begin(), queue.end(), worse);
        const AdlItem top = queue.back();
        queue.pop_back();
        if (top.id & kAdlGroup) {  // replaced by its cohorts, ranked, entering the queue one at a time
            const std::size_t begin = ranked.size();
            const SideBook::Group& group = f.groups[top.id & ~kAdlGroup];
            for (std::uint32_t i = group.begin; i < group.end; ++i) {
                const Cohort& c = extra[i];
                if (c.qty > 0 && in_profit(c.entry))
                    ranked.emplace_back(score(c), static_cast<std::uint32_t>(grid_size + i));
            }
            const std::size_t end = ranked.size();
            if (begin == end) continue;
            std::sort(ranked.begin() + begin, ranked.end(), [&](const auto& a, const auto& b) {
                return worse({b.first, b.second}, {a.first, a.second});
            });
            push(next_ranked(begin, end));
            continue;
        }
        if (!top.exact) {  // a run of the grid: its stretches
            split_run(top);
            continue;
        }
        if (top.step != 0) {  // a stretch of the grid: its next cohort
            add_cohort(top.id / ne, top.lo, top.hi, static_cast<std::int64_t>(top.id % ne) + top.step,
                       top.step);
        } else if (top.lo < top.hi) {
            push(next_ranked(top.lo, top.hi));  // the next cohort of its group
        }
        const std::uint32_t id = top.id;
        if (checks_.on) {
            handed.push_back(id);
            last_handed = top;
        }
        double take, position_qty, entry, leverage;
        if (id < grid_size) {
            const Cohort base = pop.cohort(side, id / ne, id % ne);
            entry = base.entry;
            leverage = base.leverage;
            take = std::min(base.qty * f.left[id], qty - matched);
            f.left[id] -= take / base.qty;
            position_qty = base.position_qty;
            if (!(base.qty * f.left[id] > 0)) {  // emptied: grow the run's emptied stretch if it touches it
                auto& [empty_lo, empty_hi] = f.emptied[id / ne];
                const auto e = static_cast<std::uint32_t>(id % ne);
                if (empty_lo == empty_hi) {
                    empty_lo = e;
                    empty_hi = e + 1;
                } else if (e == empty_hi) {
                    ++empty_hi;
                } else if (e + 1 == empty_lo) {
                    --empty_lo;
                }
            }
        } else {
            Cohort& c = id - grid_size < extra.size() ? extra[id - grid_size] : crowd.opening_short();
            take = std::min(c.qty, qty - matched);
            c.qty -= take;
            position_qty = c.position_qty;
            entry = c.entry;
            leverage = c.leverage;
        }
        matched += take;
        positions_ += take / position_qty;
        // The counterparty closes at the bankruptcy price instead of the mark: the profit it gives up.
        const double haircut = take * (side == Side::Short ? price - mark : mark - price);
        haircut_ += haircut;
        round_haircut += haircut;
        record(side, id, grid_size, extra.size(), entry, leverage, haircut, take / position_qty, false);
    }
    if (checks_.on) {
        // The order, by brute force: every cohort in profit not handed out ranks below the last one that
        // was, and none is left at all when the queue ran dry.
        crowd.for_each_alive(side, [&](const Cohort& c, std::int64_t gid, std::size_t extra_index) {
            const auto id = static_cast<std::uint32_t>(gid >= 0 ? static_cast<std::size_t>(gid)
                                                                : grid_size + extra_index);
            if (c.qty <= 0 || !in_profit(c.entry) ||
                std::find(handed.begin(), handed.end(), id) != handed.end())
                return;
            if (matched < qty || worse(last_handed, {score(c), id})) {
                checks_.fail(
                    t, "ADL passed over a counterparty ranked above the last one it deleveraged (cohort " +
                           std::to_string(id) + ")");
            }
        });
    }
    notional_ += matched * price;
    step_notional_ += matched * price;
    // Each unit closes at the bankruptcy price, which hands over exactly that unit's deficit at the mark: the
    // queue's overshoot is rounding (docs/model.md, M10).
    overshoot_ += std::max(
        0.0, round_haircut - std::max(0.0, matched * (side == Side::Short ? price - mark : mark - price)));
    return matched;
}

namespace {
/// The water-filling level by sorting the groups by their cap (min-max's fallback).
double water_level_by_sort(const std::vector<AdlCandidate>& candidates, double closed, double haircut,
                           double positions) {
    std::vector<std::pair<double, double>> caps;  // (cap per position, positions)
    caps.reserve(candidates.size());
    for (const AdlCandidate& c : candidates)
        caps.emplace_back(closed * c.profit_per_unit * c.position_qty, c.qty / c.position_qty);
    std::sort(caps.begin(), caps.end());
    double left = haircut;
    for (const auto& [cap, n] : caps) {
        if (cap * positions >= left) return positions > 0 ? left / positions : 0.0;
        left -= cap * n;
        positions -= n;
    }
    return std::numeric_limits<double>::infinity();
}
}  // namespace

AdlShare Adl::share(Crowd& crowd, Side liquidated, double qty, double price, double mark, double t) {
    const auto [side, f, runs, pop, ne, grid_size] = begin_round(crowd, liquidated);
    const auto& entries = pop.entries;
    auto& extra = f.pool;
    // Every position in profit at the mark, with its quantity and its profit per unit.
    const double s = side == Side::Short ? 1.0 : -1.0;  // a short profits from a mark below its entry
    auto& candidates = buffers_.candidates;
    candidates.clear();
    double total_qty = 0, total_profit = 0;
    const auto consider = [&](std::size_t id, double entry, double cohort_qty, double position_qty) {
        const double profit = s * (entry - mark);
        if (cohort_qty > 0 && profit > 0) {
            candidates.push_back({static_cast<std::uint32_t>(id), cohort_qty, position_qty, profit, 0.0});
            total_qty += cohort_qty;
            total_profit += cohort_qty * profit;
        }
    };
    const std::size_t profit_begin =
        side == Side::Short ? std::upper_bound(entries.begin(), entries.end(), mark) - entries.begin() : 0;
    const std::size_t profit_end =
        side == Side::Short ? ne : std::lower_bound(entries.begin(), entries.end(), mark) - entries.begin();
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const std::int64_t alive_lo = side == Side::Long ? runs[k].first_alive : f.next[k];
        const std::int64_t alive_hi = side == Side::Long ? f.next[k] + 1 : runs[k].last_alive;
        const std::size_t lo = std::max(static_cast<std::size_t>(alive_lo), profit_begin);
        const std::size_t hi = std::min(static_cast<std::size_t>(alive_hi), profit_end);
        for (std::size_t e = lo; e < hi; ++e) {
            const std::size_t id = k * ne + e;
            if (!(f.left[id] > 0)) continue;
            const Cohort c = pop.cohort(side, k, e);
            consider(id, c.entry, c.qty * f.left[id], c.position_qty);
        }
    }
    for (std::size_t i = 0; i < extra.size(); ++i)  // free slots have qty 0
        consider(grid_size + i, extra[i].entry, extra[i].qty, extra[i].position_qty);
    if (side == Side::Short && crowd.open_short_.qty > 0) {
        const Cohort& c = crowd.opening_short();
        consider(grid_size + extra.size(), c.entry, c.qty, c.position_qty);
    }
    AdlShare done;
    if (!(total_qty > 0)) return done;
    // The same share of every position's quantity closes; the deficit of what it matches is spread over them,
    // none giving up more than its closed part's profit (at most `cap` in all).
    done.matched = std::min(qty, total_qty);
    const double closed = done.matched >= total_qty ? 1.0 : done.matched / total_qty;
    done.deficit = done.matched * (s * (price - mark));
    const double cap = closed * total_profit;
    done.haircut = std::min(std::max(done.deficit, 0.0), cap);
    if (design_ == AdlDesign::ProRata) {
        // Every position gives up the same share of its profit.
        const double rate = done.haircut / total_profit;
        for (AdlCandidate& c : candidates) c.haircut = rate * (c.qty * c.profit_per_unit);
    } else {
        // Water-filling: every position gives up the same amount, or its closed part's whole profit when that
        // is less: the level L with sum of n min(cap, L) = haircut, n a group's positions. It minimizes the
        // largest haircut and the Herfindahl index at once. From L = haircut / positions (below the answer),
        // each pass caps the groups under the level and spreads what is left over the others: the level only
        // rises, and it stops when no new group is capped (a few passes; a sort by cap settles a pathological
        // case).
        const auto cap_of = [&](const AdlCandidate& c) {
            return closed * c.profit_per_unit * c.position_qty;
        };
        double positions = 0;
        for (const AdlCandidate& c : candidates) positions += c.qty / c.position_qty;
        double level = done.haircut / positions;
        std::size_t capped = 0;
        for (int pass = 0;; ++pass) {
            double capped_haircut = 0, capped_positions = 0;
            std::size_t now_capped = 0;
            for (const AdlCandidate& c : candidates) {
                const double group_cap = cap_of(c);
                if (group_cap < level) {
                    capped_haircut += (c.qty / c.position_qty) * group_cap;
                    capped_positions += c.qty / c.position_qty;
                    ++now_capped;
                }
            }
            if (now_capped == capped) break;
            capped = now_capped;
            const double free = positions - capped_positions;
            if (!(free > 0) || capped == candidates.size()) {
                level = std::numeric_limits<double>::infinity();  // every group gives its whole cap
                break;
            }
            level = std::max(level, (done.haircut - capped_haircut) / free);
            if (pass == 64) {
                level = water_level_by_sort(candidates, closed, done.haircut, positions);
                break;
            }
        }
        for (AdlCandidate& c : candidates) c.haircut = (c.qty / c.position_qty) * std::min(cap_of(c), level);
    }
    if (checks_.on) check_share(crowd, side, qty, mark, done, total_profit, closed, t);
    // Close the share of every position and keep each one's haircut.
    const double keep = closed >= 1.0 ? 0.0 : 1.0 - closed;
    for (const AdlCandidate& c : candidates) {
        double entry = 0, leverage = 0;
        if (c.id < grid_size) {
            f.left[c.id] *= keep;
        } else {
            Cohort& cohort = c.id - grid_size < extra.size() ? extra[c.id - grid_size] : crowd.open_short_;
            cohort.qty *= keep;
            entry = cohort.entry;
            leverage = cohort.leverage;
        }
        record(side, c.id, grid_size, extra.size(), entry, leverage, c.haircut, c.qty / c.position_qty, true);
    }
    notional_ += done.matched * price;
    step_notional_ += done.matched * price;
    haircut_ += done.haircut;
    overshoot_ += std::max(0.0, done.haircut - std::max(0.0, done.deficit));
    return done;
}

void Adl::check_share(Crowd& crowd, Side side, double qty, double mark, const AdlShare& done,
                      double total_profit, double closed, double t) const {
    // Every position in profit is among the candidates, by brute force over the crowd: the same number and
    // quantity (pro-rata and min-max hit every one of them).
    const double s = side == Side::Short ? 1.0 : -1.0;
    std::size_t in_profit = 0;
    double in_profit_qty = 0;
    crowd.for_each_alive(side, [&](const Cohort& c, std::int64_t, std::size_t) {
        if (c.qty > 0 && s * (c.entry - mark) > 0) {
            ++in_profit;
            in_profit_qty += c.qty;
        }
    });
    const auto& candidates = buffers_.candidates;
    double total_qty = 0, allocated = 0;
    for (const AdlCandidate& c : candidates) {
        total_qty += c.qty;
        allocated += c.haircut;
    }
    if (in_profit != candidates.size() || std::abs(in_profit_qty - total_qty) > 1e-12 * total_qty)
        checks_.fail(t, "ADL left out a position in profit: " + std::to_string(in_profit) + " in profit, " +
                            std::to_string(candidates.size()) + " shared the deficit");
    // The haircut it books is the whole deficit of what it matched, unless the closed parts' profit is less.
    const double cap = closed * total_profit;
    const double covered = std::min(std::max(done.deficit, 0.0), cap);
    if (done.matched > qty * (1 + 1e-12) || std::abs(done.haircut - covered) > 1e-12 * std::max(1.0, covered))
        checks_.fail(t, "ADL covered " + std::to_string(done.haircut) + " of a deficit of " +
                            std::to_string(done.deficit) +
                            " (the closed parts' profit: " + std::to_string(cap) + ")");
    // The positions' haircuts add up to it, each within its closed part's profit (pro rata: in proportion).
    if (std::abs(allocated - done.haircut) > 1e-9 * std::max(1.0, done.haircut))
        checks_.fail(t, "ADL haircuts add up to " + std::to_string(allocated) + ", not the " +
                            std::to_string(done.haircut) + " it covered");
    const double rate = done.haircut / total_profit;
    for (const AdlCandidate& c : candidates) {
        const double profit = c.qty * c.profit_per_unit;
        // Relative, with the floor the other checks have: a round that closes a denormal share of the
        // positions (matched / total 1e-322) rounds its haircuts at the denormals' coarse steps.
        const bool within =
            c.haircut >= 0 && c.haircut <= closed * profit + 1e-12 * std::max(1.0, closed * profit);
        const bool in_proportion =
            design_ != AdlDesign::ProRata || std::abs(c.haircut - rate * profit) <= 1e-12 * rate * profit;
        if (!within || !in_proportion ||
            (design_ == AdlDesign::ProRata && done.haircut > 0 && !(c.haircut > 0)))
            checks_.fail(t, "ADL took " + std::to_string(c.haircut) + " from a position whose profit is " +
                                std::to_string(profit) +
                                " (its closed part's: " + std::to_string(closed * profit) + ")" +
                                (in_proportion ? "" : ", not its share of the deficit"));
    }
}

Adl::Round Adl::begin_round(Crowd& crowd, Side liquidated) {
    ++counters_.adl_rounds;
    const Side side = opposite(liquidated);
    SideBook& f = crowd.book(side);
    const auto& runs = crowd.runs(side);
    const std::size_t ne = crowd.pop_.entries.size(), grid_size = runs.size() * ne;
    if (f.left.empty()) {
        f.left.assign(grid_size, 1.0);
        f.emptied.assign(runs.size(), {0, 0});
        buffers_.grid_hits[static_cast<int>(side)].assign(grid_size, AdlHit{});
    }
    return {side, f, runs, crowd.pop_, ne, grid_size};
}

namespace {
/// Adds one record to the concentration's sums: its haircut, haircut^2 / positions, and the largest haircut
/// of one position. A group hit with less than one position's quantity counts as one position. Gains (the
/// queue closing at a bankruptcy price on the good side of the mark) are no haircut.
struct Concentration {
    double total = 0, square = 0, largest = 0;
    void add(const AdlHit& h) {
        if (!(h.haircut > 0)) return;
        const double n = std::max(1.0, h.positions);
        total += h.haircut;
        square += h.haircut * h.haircut / n;
        largest = std::max(largest, h.haircut / n);
    }
};
}  // namespace

void Adl::close(const AdlHit& hit) {
    Concentration c{closed_haircut_, closed_square_, closed_max_};
    c.add(hit);
    closed_haircut_ = c.total;
    closed_square_ = c.square;
    closed_max_ = c.largest;
}

void Adl::report(PathOutputs& out) const {
    out.adl_notional = notional_;
    out.adl_haircut = haircut_;
    out.adl_positions = positions_;
    out.adl_overshoot = overshoot_;
    Concentration c{closed_haircut_, closed_square_, closed_max_};
    for (int s = 0; s < 2; ++s) {
        for (const AdlHit& h : buffers_.grid_hits[s]) c.add(h);
        for (const AdlHit& h : buffers_.pool_hits[s]) c.add(h);
    }
    c.add(buffers_.opening_hit);
    const double none = std::numeric_limits<double>::quiet_NaN();
    out.adl_max_share = c.total > 0 ? c.largest / c.total : none;
    out.adl_hhi = c.total > 0 ? c.square / (c.total * c.total) : none;
}

}  // namespace wipeout::engine
