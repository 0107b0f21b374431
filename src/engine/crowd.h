#pragma once
// M6's crowd as the path sees it: every position not yet taken over, per side, with M7's trigger queue over
// them. The grid's cohorts are never materialized: each (leverage, size) run keeps a frontier (its next entry
// level to trigger) filed in the queue; explicit and re-entered cohorts (partial cuts' rests, M12's shorts)
// live in a pool of slots. ADL (adl.h) takes shares of positions from here.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "trigger_queue.h"
#include "wipeout/population.h"

namespace wipeout::engine {

/// One side's positions not yet taken over: the grid's frontier (each run's next entry level to trigger), the
/// explicit and re-entered cohorts in a pool of slots (a slot is reused once its cohort is taken over; a free
/// slot has qty 0, which every scan skips), and the queue over both. Queue items: run k is item k, pool slot
/// s is item runs + s.
struct SideBook {
    std::vector<std::int64_t> next;  // per run: next entry level to trigger
    std::vector<double> left;        // per grid cohort: share not taken by ADL (empty until ADL)
    // Per run: entry levels [first, second) that ADL has emptied, contiguous (empty until ADL). ADL takes a
    // run from its best score outward, so what it empties is mostly one stretch, kept out of later rounds.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> emptied;
    std::vector<Cohort> pool;
    std::vector<std::uint32_t> free;
    // The slots past `fixed` that add() ever opened, ascending (a group's slots are not among them): what ADL
    // scans for cohorts standing alone, without walking through the bands' slots.
    std::vector<std::uint32_t> loose;
    std::uint32_t runs = 0;
    /// Pool slots [0, fixed) hold the population's explicit cohorts (a position snapshot's) and are never
    /// reused, so ADL can bound them by group as it bounds the grid's runs: a group's cohorts keep their
    /// entries and leverages for the path (only their quantities fall). A renewal band's cohorts, filed
    /// together during the path, are such a group too (groups past fixed_groups, their slots flagged
    /// kGrouped).
    std::uint32_t fixed = 0;
    struct Group {
        std::uint32_t begin, end;
        double entry_lo, entry_hi, leverage;  // the group's extremes: leverage the highest
    };
    static constexpr std::uint32_t kGroupSize = 32;
    std::vector<Group> groups;
    std::size_t fixed_groups = 0;
    TriggerQueue queue;
    // What the population alone determines, saved after a build: the next path on the same population
    // restores it instead of filing every run again.
    struct Initial {
        std::vector<std::int64_t> next;
        std::vector<Cohort> pool;
        TriggerQueue::State queue;
    } initial;

    void add(const Cohort& c, double key) {
        std::uint32_t slot;
        if (free.empty()) {
            slot = static_cast<std::uint32_t>(pool.size());
            pool.push_back(c);
            loose.push_back(slot);
        } else {
            slot = free.back();
            free.pop_back();
            pool[slot] = c;
        }
        // A grouped cohort's partial-cut rest stands alone.
        pool[slot].flags &= static_cast<std::uint16_t>(~kGrouped);
        queue.insert(runs + slot, key);
    }
    /// Files `n` cohorts that share an entry, make(0) .. make(n - 1), as one group on side S, in fresh slots
    /// (never reused: the group stays put).
    template <Side S, class Make>
    void add_group(std::size_t n, Make make) {
        const auto begin = static_cast<std::uint32_t>(pool.size());
        Group g{begin, begin, 0, 0, 0};
        for (std::size_t i = 0; i < n; ++i) {
            Cohort c = make(i);
            c.flags |= kGrouped;
            if (i == 0) g.entry_lo = g.entry_hi = c.entry;
            g.leverage = std::max(g.leverage, c.leverage);
            pool.push_back(c);
            queue.insert(runs + g.end++, trigger_key<S>(c.liquidation_price));
        }
        if (g.end > begin) groups.push_back(g);
    }
    /// Removes the cohort in `slot` from the pool and returns it.
    Cohort release(std::uint32_t slot) {
        Cohort c = pool[slot];
        pool[slot].qty = 0;
        if (slot >= fixed && !(c.flags & kGrouped)) free.push_back(slot);
        return c;
    }
};

/// The crowd's renewal during the path (history.renewal): the opening flow that built the crowd goes on at
/// the price of the moment, split over the leverage levels as it was (each level with its heaviest size
/// class). M11's dip buyers on the perp open their longs the same way. While the price stays within kBand of
/// where a band opened, the flow accumulates into one entry; when the price leaves the band or the band's
/// first liquidation price is crossed, the band becomes one cohort per level, filed with the others. A band
/// still opening is not yet in ADL's queue: its entry is within kBand of the mark, so it holds almost no
/// profit to rank.
struct Renewal {
    static constexpr double kBand = 0.005;
    static constexpr double kLevelRatio = 1.2;  // explicit cohorts' leverages: levels this far apart
    struct Level {
        double ratio, leverage, position_notional, share;
        std::uint8_t tier, size_class;
    };
    std::span<const Level> levels;  // the crowd's (in its buffers); empty: no renewal on this side
    double notional_per_s = 0;
    double highest_ratio = 0, lowest_ratio = 0;  // the levels' extremes: the band's first liquidation price
    double anchor = 0, qty = 0, entry_value = 0;  // the band now opening
};

class Crowd {
  public:
    /// What a path's crowd reuses from the path before (never its values).
    struct Buffers {
        SideBook longs, shorts;
        std::uint64_t version = 0;  // population version the books' saved initial states belong to (0: none)
        // Per side: the renewal's leverage levels and the population version they belong to (0: none).
        std::pair<std::vector<Renewal::Level>, std::uint64_t> renewal_levels[2];
    };

    /// The path's crowd: `population` at t = 0 (restored from `buffers` when the path before had the same
    /// population version). M12's shorts are opened with one position's notional `short_position_notional`.
    Crowd(const Population& population, Buffers& buffers, std::uint64_t population_version,
          double reference_price, double short_position_notional);

    /// Whether the mark has crossed anything: two comparisons (and one for the M12 shorts still opening, and one
    /// per side for a renewal band still opening).
    bool crossed_by(double mark) const { return longs_crossed_by(mark) || shorts_crossed_by(mark); }
    bool longs_crossed_by(double mark) const {
        return longs_.queue.max_key() >= trigger_key<Side::Long>(mark) ||
               (renewal_[0].qty > 0 && mark <= renewal_first_liquidation(Side::Long));
    }
    bool shorts_crossed_by(double mark) const {
        return shorts_.queue.max_key() >= trigger_key<Side::Short>(mark) ||
               (open_short_.qty > 0 && mark >= open_short_.liquidation_price) ||
               (renewal_[1].qty > 0 && mark >= renewal_first_liquidation(Side::Short));
    }

    /// The crowd's renewal (history.renewal): new positions opened at `price` during a step of dt.
    void renew(double dt, double price) {
        for (const Side side : {Side::Long, Side::Short}) {
            const Renewal& r = renewal_[side == Side::Long ? 0 : 1];
            if (r.levels.empty() || r.notional_per_s == 0) continue;
            const double notional = r.notional_per_s * dt;
            join_band(side, notional / price, notional, price);
        }
    }
    /// M11's dip buyers on the perp: `qty` of new longs at `price`, with the crowd's own leverage mix (the
    /// traders who built it, buying the dip). They join the long side's renewal band (set_renewal sets its
    /// levels up). False when the crowd has no longs, hence no mix to open them with: nothing opens.
    bool open_longs(double qty, double price) {
        if (renewal_[0].levels.empty()) return false;
        join_band(Side::Long, qty, qty * price, price);
        return true;
    }
    /// Sets up the renewal of one side: `notional_per_s` of new positions split over the leverage levels of
    /// the population's runs as their weights are (of its explicit cohorts' notional when it has no runs: a
    /// position snapshot's, grouped into levels a factor kLevelRatio apart).
    void set_renewal(Side side, double notional_per_s);

    /// Hands every position of side S the mark has crossed to `engine`: a grid run's crossed block at once
    /// (engine.take_block) when the engine closes it whole, else cohort by cohort (engine.take_over, which
    /// may file a partial cut's rest back with file()).
    template <Side S, class Engine>
    [[gnu::always_inline]] inline void take_crossed(double mark, Engine& engine);

    /// Files a cohort (a partial cut's rest) to trigger at its liquidation price.
    template <Side S>
    void file(const Cohort& c) {
        book(S).add(c, trigger_key<S>(c.liquidation_price));
    }

    /// M12: `qty` of new shorts opened at `price`. Shorts opened within `band` (relative) of the cohort still
    /// opening join it; past the band that cohort is complete and joins the others.
    void open_shorts(double qty, double price, double band, double leverage, double liquidation_ratio) {
        Cohort& open = open_short_;
        if (open.qty > 0 && std::abs(open.entry - price) >= band * price) {
            file<Side::Short>(opening_short());
            open.qty = 0;
        }
        open.entry = open.qty > 0 ? (open.entry * open.qty + price * qty) / (open.qty + qty) : price;
        open.qty += qty;
        open.leverage = leverage;
        open.liquidation_price = open.entry * liquidation_ratio;
        open.flags = kOpportunistic;  // position_qty: set by opening_short() when the cohort is read
    }

    /// visit(cohort, grid id or -1, pool index) for every position not taken over (free slots have qty 0).
    template <class Visit>
    void for_each_alive(Side side, Visit&& visit);

  private:
    friend class Adl;
    SideBook& book(Side side) { return side == Side::Long ? longs_ : shorts_; }
    const std::vector<CohortRun>& runs(Side side) const {
        return side == Side::Long ? pop_.long_runs : pop_.short_runs;
    }
    void init(Side side, bool reuse, double reference_price);
    /// The M12 cohort still opening, its position quantity brought up to date (not kept every step: a
    /// division).
    Cohort& opening_short() {
        open_short_.position_qty = short_position_notional_ / open_short_.entry;
        return open_short_;
    }
    template <Side S, class Engine>
    [[gnu::always_inline]] inline void take_grid_run(std::uint32_t run, double mark, Engine& engine);
    double renewal_first_liquidation(Side side) const {
        const Renewal& r = renewal_[side == Side::Long ? 0 : 1];
        return r.entry_value / r.qty * (side == Side::Long ? r.highest_ratio : r.lowest_ratio);
    }
    void file_renewal(Side side);
    /// `qty` of new positions worth `value` at `price` join the side's band; a band the price has left is
    /// complete and joins the others first.
    void join_band(Side side, double qty, double value, double price) {
        Renewal& r = renewal_[side == Side::Long ? 0 : 1];
        if (r.qty > 0 && std::abs(price - r.anchor) >= Renewal::kBand * r.anchor) file_renewal(side);
        if (r.qty == 0) r.anchor = price;
        r.qty += qty;
        r.entry_value += value;
    }

    const Population& pop_;
    Buffers& buffers_;
    std::uint64_t version_;
    SideBook& longs_;
    SideBook& shorts_;
    Cohort open_short_{};  // M12 shorts still accumulating in the current price band (qty 0: none)
    double short_position_notional_;
    std::array<Renewal, 2> renewal_;  // longs, shorts
};

template <Side S, class Engine>
void Crowd::take_grid_run(std::uint32_t k, double mark, Engine& engine) {
    // Every crossed cohort of run k at once (longs from their highest entry down, shorts from the lowest up);
    // the run goes back into the queue under its first cohort not crossed.
    SideBook& b = book(S);
    const CohortRun& run = (S == Side::Long ? pop_.long_runs : pop_.short_runs)[k];
    const double* entries = pop_.entries.data();
    constexpr std::int64_t step = S == Side::Long ? -1 : 1;
    const std::int64_t end = S == Side::Long ? static_cast<std::int64_t>(run.first_alive) - 1
                                             : static_cast<std::int64_t>(run.last_alive);
    const std::int64_t from = b.next[k];
    std::int64_t to = from + step;
    const double mark_key = trigger_key<S>(mark);
    for (; to != end; to += step) {
        const double key = trigger_key<S>(entries[to] * run.ratio);
        if (key < mark_key) {
            b.queue.insert(k, key);
            break;
        }
    }
    b.next[k] = to;

    if ((engine.cuts_partially(run.tier) && !run.stop) || !b.left.empty()) {
        // Partial cuts (each cohort's rest has its own liquidation price) and ADL shares: cohort by cohort.
        const std::size_t ne = pop_.entries.size();
        for (std::int64_t e = from; e != to; e += step) {
            Cohort c = pop_.cohort(S, k, static_cast<std::size_t>(e));
            if (!b.left.empty()) c.qty *= b.left[k * ne + static_cast<std::size_t>(e)];
            engine.template take_over<S>(c, mark, *this);
        }
        return;
    }
    // Closed in full: a run's cohorts differ only in their entry, so quantity and entry value are sums over
    // the entry weights, and the crossed block is one take-over.
    const double per_weight =
        (S == Side::Long ? pop_.long_qty_per_weight : pop_.short_qty_per_weight) * run.weight;
    const auto& rows = S == Side::Long ? pop_.long_rows : pop_.short_rows;
    const double* weights = rows.empty() ? pop_.entry_weights.data() : rows.data() + k * pop_.entries.size();
    double qty = 0, entry_value = 0;
    if (run.removed == 0) {
        for (std::int64_t e = from; e != to; e += step) {
            const double q = per_weight * weights[e];
            qty += q;
            entry_value += q * entries[e];
        }
    } else {  // a crowd shaped by its history: what the past extremes left at each entry
        const double* removal = (S == Side::Long ? pop_.long_removal : pop_.short_removal).data();
        for (std::int64_t e = from; e != to; e += step) {
            const double q = per_weight * (weights[e] - run.removed * removal[e]);
            qty += q;
            entry_value += q * entries[e];
        }
    }
    if (qty <= 0) return;
    if (run.stop) {
        engine.template stop<S>(qty, mark);
        return;
    }
    engine.template take_block<S>(qty, entry_value, run, static_cast<std::size_t>(step * (to - from)), mark);
}

template <Side S, class Engine>
void Crowd::take_crossed(double mark, Engine& engine) {
    const Renewal& r = renewal_[S == Side::Long ? 0 : 1];
    if (r.qty > 0 && (S == Side::Long ? mark <= renewal_first_liquidation(S) : mark >= renewal_first_liquidation(S)))
        file_renewal(S);  // the band's cohorts join the queue, which takes the crossed ones below
    SideBook& b = book(S);
    b.queue.take_at_or_above(
        trigger_key<S>(mark), [&](std::uint32_t item) __attribute__((always_inline)) {
            if (item < b.runs) {
                take_grid_run<S>(item, mark, engine);
            } else {
                engine.template take_over<S>(b.release(item - b.runs), mark, *this);
            }
        });
    if (S == Side::Short && open_short_.qty > 0 && mark >= open_short_.liquidation_price) {
        const Cohort c = opening_short();
        open_short_.qty = 0;
        engine.template take_over<S>(c, mark, *this);
    }
}

template <class Visit>
void Crowd::for_each_alive(Side side, Visit&& visit) {
    const SideBook& b = book(side);
    const auto& rs = runs(side);
    const std::size_t ne = pop_.entries.size();
    for (std::size_t k = 0; k < rs.size(); ++k) {
        const auto& run = rs[k];
        const std::int64_t lo = side == Side::Long ? run.first_alive : b.next[k];
        const std::int64_t hi = side == Side::Long ? b.next[k] + 1 : run.last_alive;
        for (std::int64_t e = lo; e < hi; ++e) {
            Cohort c = pop_.cohort(side, k, static_cast<std::size_t>(e));
            const std::size_t id = k * ne + static_cast<std::size_t>(e);
            if (!b.left.empty()) c.qty *= b.left[id];
            visit(c, static_cast<std::int64_t>(id), std::size_t{0});
        }
    }
    // Free slots have qty 0: the visitors skip them.
    auto& pool = book(side).pool;
    for (std::size_t i = 0; i < pool.size(); ++i) visit(pool[i], std::int64_t{-1}, i);
    if (side == Side::Short && open_short_.qty > 0) visit(opening_short(), std::int64_t{-1}, pool.size());
}

}  // namespace wipeout::engine
