#include "adl.h"

#include <algorithm>
#include <limits>
#include <string>

#include "wipeout/adl_ranking.h"

namespace wipeout::engine {

namespace {
Side opposite(Side s) {
    return s == Side::Long ? Side::Short : Side::Long;
}
}  // namespace

double Adl::deleverage(Crowd& crowd, Side liquidated, double qty, double price, double mark, double t) {
    // The opposite side's positions in profit, best-ranked first, closed at the liquidated position's
    // bankruptcy price. No book impact. Returns the quantity it could match.
    auto& queue = buffers_.queue;
    auto& ranked = buffers_.ranked;
    auto& handed = buffers_.handed;
    ++counters_.adl_rounds;
    const Side side = opposite(liquidated);
    SideBook& f = crowd.book(side);
    const auto& runs = crowd.runs(side);
    const Population& pop = crowd.pop_;
    const auto& entries = pop.entries;
    const std::size_t ne = entries.size();
    const std::size_t grid_size = runs.size() * ne;
    if (f.left.empty()) {  // first ADL on this side: track what it takes
        f.left.assign(grid_size, 1.0);
        f.emptied.assign(runs.size(), {0, 0});
    }
    auto& extra = f.pool;
    const auto score = [&](const Cohort& c) {
        return adl_score_unchecked(ranking_, side, c.entry, mark, c.qty, c.margin());
    };
    const auto in_profit = [&](double entry) { return side == Side::Short ? entry > mark : entry < mark; };
    queue.clear();
    for (std::size_t i = 0; i < extra.size(); ++i) {  // free slots have qty 0
        const Cohort& c = extra[i];
        if (c.qty > 0 && in_profit(c.entry))
            queue.push_back({score(c), static_cast<std::uint32_t>(grid_size + i)});
    }
    if (side == Side::Short && crowd.open_short_.qty > 0 && in_profit(crowd.open_short_.entry))
        queue.push_back({score(crowd.opening_short()), static_cast<std::uint32_t>(grid_size + extra.size())});
    // The grid enters as runs, each under an upper bound of its cohorts' scores, replaced by its cohorts when
    // it reaches the top of the queue: the queue pops exactly the order of scoring every cohort (highest
    // score first, ties by id) while scoring only the runs that come near the top. (Splitting a run around
    // its maximum instead scores fewer cohorts but measured twice as slow: the cohorts ADL has emptied sit at
    // the top, and every round would split through them again.) A run's levels here: in profit, not yet
    // taken over.
    const std::size_t profit_begin =
        side == Side::Short ? std::upper_bound(entries.begin(), entries.end(), mark) - entries.begin() : 0;
    const std::size_t profit_end =
        side == Side::Short ? ne : std::lower_bound(entries.begin(), entries.end(), mark) - entries.begin();
    const auto add_run = [&](std::size_t k, std::size_t lo, std::size_t hi) {
        if (lo >= hi) return;
        // A leverage level's size classes usually share their levels, hence their bound.
        const AdlItem* last = queue.empty() ? nullptr : &queue.back();
        const double bound =
            last != nullptr && (last->id & kAdlRun) && last->lo == lo && last->hi == hi &&
                    runs[last->id & ~kAdlRun].leverage == runs[k].leverage
                ? last->score
                : adl_score_bound(ranking_, side, runs[k].leverage, entries[lo], entries[hi - 1], mark);
        queue.push_back({bound, kAdlRun | static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(lo),
                         static_cast<std::uint32_t>(hi)});
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
    // Highest score first; ties by position in the book, so the order never depends on anything but the path.
    const auto worse = [](const AdlItem& a, const AdlItem& b) {
        return a.score < b.score || (a.score == b.score && a.id > b.id);
    };
    const auto push = [&](const AdlItem& item) {
        queue.push_back(item);
        std::push_heap(queue.begin(), queue.end(), worse);
    };
    // The head of an expanded run's ranked cohorts [at, end), carrying the rest.
    const auto next_ranked = [&](std::size_t at, std::size_t end) {
        return AdlItem{ranked[at].first, ranked[at].second, static_cast<std::uint32_t>(at + 1),
                       static_cast<std::uint32_t>(end)};
    };
    std::make_heap(queue.begin(), queue.end(), worse);
    ranked.clear();
    handed.clear();
    AdlItem last_handed{std::numeric_limits<double>::infinity(), 0};
    double matched = 0;
    while (matched < qty && !queue.empty()) {
        std::pop_heap(queue.begin(), queue.end(), worse);
        const AdlItem top = queue.back();
        queue.pop_back();
        if (top.id & kAdlRun) {  // replaced by its cohorts, ranked, entering the queue one at a time
            const std::size_t k = top.id & ~kAdlRun, begin = ranked.size();
            for (std::size_t e = top.lo; e < top.hi; ++e) {
                Cohort c = pop.cohort(side, k, e);
                c.qty *= f.left[k * ne + e];
                if (c.qty > 0) ranked.emplace_back(score(c), static_cast<std::uint32_t>(k * ne + e));
            }
            const std::size_t end = ranked.size();
            if (begin == end) continue;
            std::sort(ranked.begin() + begin, ranked.end(), [&](const auto& a, const auto& b) {
                return worse({b.first, b.second}, {a.first, a.second});
            });
            push(next_ranked(begin, end));
            continue;
        }
        if (top.lo < top.hi) push(next_ranked(top.lo, top.hi));  // the next cohort of its run
        const std::uint32_t id = top.id;
        if (checks_.on) {
            handed.push_back(id);
            last_handed = top;
        }
        double take, position_qty;
        if (id < grid_size) {
            const Cohort base = pop.cohort(side, id / ne, id % ne);
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
        }
        matched += take;
        positions_ += take / position_qty;
        // The counterparty closes at the bankruptcy price instead of the mark: the profit it gives up.
        haircut_ += take * (side == Side::Short ? price - mark : mark - price);
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
    return matched;
}

}  // namespace wipeout::engine
