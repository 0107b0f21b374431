#pragma once
// M7-M8: the exchange's liquidation engine. On the mark it takes over whatever has crossed its liquidation
// price (a position in a high bracket only down to the bracket below: a partial cut), queues it in a backlog,
// and executes the backlog through the book within its throughput, in waves: fill, re-mark, trigger the next
// tier, within the step, until nothing new triggers or the step's capacity is spent. What an executed order
// leaves (surplus or shortfall) goes to settlement (M9-M10). Positions whose stop-loss the mark crossed are
// no liquidation: they close at market in the same round, outside the engine's throughput and the ledger.
#include <algorithm>
#include <cstddef>

#include "crowd.h"
#include "settlement.h"
#include "venues.h"
#include "wipeout/cascade_engine.h"
#include "wipeout/cascade_params.h"
#include "wipeout/order_book.h"
#include "wipeout/path_outputs.h"
#include "wipeout/population.h"
#include "wipeout/tiers.h"

namespace wipeout::engine {

/// Triggered positions waiting for the engine's throughput: aggregated, executed pro rata.
struct Backlog {
    double qty = 0, entry_value = 0, margin = 0;
    bool empty() const { return qty <= 0; }
};

class LiquidationEngine {
  public:
    LiquidationEngine(const CascadeParams& p, const TierTable& tiers, const GenericLiquidation& quotes,
                      double base_depth, EngineCounters& counters)
        : tiers_(tiers),
          quotes_(quotes),
          counters_(counters),
          enabled_(p.liquidation_enabled),
          partial_(p.partial_liquidation),
          capacity_per_s_(p.liquidation_capacity * base_depth),
          max_waves_(p.max_waves) {}

    /// One step's waves at the step's start time t. Marks on `venues`, fills through `book` (valued at V =
    /// `fundamental`), updates `trade` as fills move the book.
    void waves(double t, double dt, double fundamental, double& trade, SpotVenues& venues, OrderBook& book,
               Crowd& crowd, Settlement& settlement) {
        step_long_ = step_short_ = step_executed_net_sell_ = step_stopped_ = 0;
        step_waves_ = 0;
        const double mark = venues.remark(trade);
        if (long_backlog_.empty() && short_backlog_.empty() && !crossed(crowd, mark))
            return;  // the calm case
        run_waves(t, dt, fundamental, trade, venues, book, crowd, settlement);
    }

    // ---- what the crowd hands over (Crowd::take_crossed) ----
    bool cuts_partially(int tier) const { return partial_ && tier > 0; }
    /// Takes over one crossed cohort: closes it, or cuts it down a bracket and files the rest with the crowd.
    template <Side S>
    [[gnu::always_inline]] inline void take_over(const Cohort& cohort, double mark, Crowd& crowd);
    /// Positions with a stop-loss the mark crossed: `qty` closes at market this round (stops sell a long).
    template <Side S>
    void stop(double qty, double mark) {
        (S == Side::Long ? stop_long_ : stop_short_) += qty;
        (S == Side::Long ? tally_.stopped_long_notional : tally_.stopped_short_notional) += qty * mark;
        step_stopped_ += qty * mark;
    }
    /// Takes over a run's crossed block of `cohorts` grid cohorts, closed in full.
    template <Side S>
    void take_block(double qty, double entry_value, const CohortRun& run, std::size_t cohorts, double mark) {
        enqueue<S>(qty, entry_value, entry_value / run.leverage, entry_value / run.position_notional, mark);
        counters_.take_overs += cohorts;
        ++counters_.grid_blocks;
    }

    // ---- the step's and the path's tallies ----
    double step_liquidated_long() const { return step_long_; }
    double step_liquidated_short() const { return step_short_; }
    double step_liquidated() const { return step_long_ + step_short_; }
    /// What the step closed at market at stop-losses (notional at the mark).
    double step_stopped() const { return step_stopped_; }
    /// Forced flow the market sees: liquidations and the stop-losses' market orders.
    double step_forced() const { return step_long_ + step_short_ + step_stopped_; }
    /// Net forced selling the step executed through the book (notional at V; buying to close shorts counts
    /// negative): what moves V permanently (M3).
    double step_executed_net_sell() const { return step_executed_net_sell_; }
    int step_waves() const { return step_waves_; }
    /// Notional waiting for the engine's throughput, valued at V.
    double backlog(double fundamental) const {
        return (long_backlog_.qty + short_backlog_.qty) * fundamental;
    }
    bool backlog_empty() const { return long_backlog_.empty() && short_backlog_.empty(); }
    /// Traders' margin the engine has taken over, and what of it still waits in the backlog (the ledger).
    double margin_taken() const { return margin_taken_; }
    double backlog_margin() const { return long_backlog_.margin + short_backlog_.margin; }
    /// Liquidated notional so far (valued at the mark when taken over).
    double liquidated() const { return tally_.liquidated_long_notional + tally_.liquidated_short_notional; }
    /// Writes the liquidation outputs.
    void report(PathOutputs& out) const;

  private:
    bool crossed(const Crowd& crowd, double mark) const { return enabled_ && crowd.crossed_by(mark); }
    [[gnu::noinline]] void run_waves(double t, double dt, double fundamental, double& trade,
                                     SpotVenues& venues, OrderBook& book, Crowd& crowd,
                                     Settlement& settlement);
    /// Takes over whatever the mark has crossed; returns the notional.
    double trigger(Crowd& crowd, double mark);
    double execute_backlog(Side side, double capacity, double t, double fundamental, double mark,
                           Settlement& settlement);
    /// Sends the round's crossed stop-losses to the book at market; false when there were none.
    bool execute_stops(double fundamental, OrderBook& book);
    template <Side S>
    [[gnu::always_inline]] inline void enqueue(double qty, double entry_value, double margin, double count,
                                               double mark);

    const TierTable& tiers_;
    const GenericLiquidation& quotes_;
    EngineCounters& counters_;
    bool enabled_, partial_;
    double capacity_per_s_;
    int max_waves_;
    Backlog long_backlog_, short_backlog_;
    double stop_long_ = 0, stop_short_ = 0;  // the round's crossed stop-losses, quantity
    double step_stopped_ = 0;
    double margin_taken_ = 0;
    double step_long_ = 0, step_short_ = 0, step_executed_net_sell_ = 0;
    int step_waves_ = 0;
    struct Tally {
        double liquidated_long_notional = 0, liquidated_short_notional = 0;
        double liquidated_long_count = 0, liquidated_short_count = 0;
        double margin_lost_long = 0, margin_lost_short = 0;
        double n_waves = 0, max_waves_in_step = 0, wave_cap_hits = 0, max_backlog = 0;
        double stopped_long_notional = 0, stopped_short_notional = 0;
    } tally_;
};

template <Side S>
void LiquidationEngine::enqueue(double qty, double entry_value, double margin, double count, double mark) {
    Backlog& b = S == Side::Long ? long_backlog_ : short_backlog_;
    b.qty += qty;
    b.entry_value += entry_value;
    b.margin += margin;
    margin_taken_ += margin;
    const double notional = qty * mark;
    if constexpr (S == Side::Long) {
        tally_.margin_lost_long += margin;
        tally_.liquidated_long_notional += notional;
        tally_.liquidated_long_count += count;
        step_long_ += notional;
    } else {
        tally_.margin_lost_short += margin;
        tally_.liquidated_short_notional += notional;
        tally_.liquidated_short_count += count;
        step_short_ += notional;
    }
}

template <Side S>
void LiquidationEngine::take_over(const Cohort& c, double mark, Crowd& crowd) {
    if (c.qty <= 0) return;  // emptied by ADL
    if (c.flags & kStop) {
        stop<S>(c.qty, mark);
        return;
    }
    ++counters_.take_overs;
    // M8 partial liquidation: a position in a high bracket is cut to the bracket below and keeps its rest,
    // whose lower maintenance rate puts its liquidation price further away.
    if (partial_ && c.tier > 0) {
        const double position_notional = c.position_qty * mark;
        const double target = tiers_[c.tier - 1].notional_cap * (1.0 - 1e-9);
        const double close = std::clamp(1.0 - target / position_notional, 0.0, 1.0);
        if (close > 0 && close < 1) {
            const double rest_qty = c.qty * (1.0 - close);
            const double rest_position_qty = c.position_qty * (1.0 - close);
            // The margin module's generic quote of the rest, without its exceptions: invalid where
            // isolated_liquidation would throw (the rest would itself be past liquidation: close it all).
            const GenericLiquidation::Quote q = quotes_.quote(S, c.entry, rest_position_qty, c.leverage);
            const bool crossed = S == Side::Long ? mark <= q.price : mark >= q.price;
            if (q.liquidates() && !crossed && q.tier < c.tier) {
                const double qty = c.qty - rest_qty;
                enqueue<S>(qty, qty * c.entry, qty * c.entry / c.leverage, qty / c.position_qty, mark);
                // Built field by field: a whole-struct copy here compiled to a slow `rep movs`.
                const Cohort rest{q.price,
                                  c.entry,
                                  rest_qty,
                                  rest_position_qty,
                                  c.leverage,
                                  c.size_class,
                                  static_cast<std::uint8_t>(q.tier),
                                  c.flags};
                crowd.file<S>(rest);
                ++counters_.partial_cuts;
                return;
            }
        }
    }
    enqueue<S>(c.qty, c.qty * c.entry, c.qty * c.entry / c.leverage, c.qty / c.position_qty, mark);
}

}  // namespace wipeout::engine
