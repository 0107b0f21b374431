#include "liquidation_engine.h"

namespace wipeout::engine {

void LiquidationEngine::run_waves(double t, double dt, double fundamental, double& trade, SpotVenues& venues,
                                  OrderBook& book, Crowd& crowd, Settlement& settlement) {
    double capacity = capacity_per_s_ * dt;
    int rounds = 0;
    bool capped = false;
    for (bool first = true;; first = false) {
        const double mark = first ? venues.mark() : venues.remark(trade);
        const double triggered = enabled_ && crowd.crossed_by(mark) ? trigger(crowd, mark) : 0.0;
        if (triggered > 0) ++step_waves_;
        // Stop-losses fill at once, and the price they move may cross more: another round re-marks.
        const bool stopped = execute_stops(fundamental, book);
        if (stopped) trade = book.price(fundamental);
        if ((backlog_empty() || capacity <= 0) && !stopped) break;
        if (rounds++ >= max_waves_) {
            capped = true;
            break;
        }
        capacity -= execute_backlog(Side::Long, capacity, t, fundamental, mark, settlement);
        capacity -= execute_backlog(Side::Short, capacity, t, fundamental, mark, settlement);
        trade = book.price(fundamental);
    }
    // Whatever the mark has crossed is in the engine's hands by the end of the step: both exits above follow
    // a trigger at the step's last mark with no fill since (and a partial cut's rest is never left crossed).
    if (capped && !backlog_empty()) ++tally_.wave_cap_hits;
    tally_.n_waves += step_waves_;
    tally_.max_waves_in_step = std::max(tally_.max_waves_in_step, static_cast<double>(step_waves_));
    tally_.max_backlog = std::max(tally_.max_backlog, backlog(fundamental));
}

double LiquidationEngine::trigger(Crowd& crowd, double mark) {
    const double before = step_long_ + step_short_;
    if (crowd.longs_crossed_by(mark)) crowd.take_crossed<Side::Long>(mark, *this);
    if (crowd.shorts_crossed_by(mark)) crowd.take_crossed<Side::Short>(mark, *this);
    return step_long_ + step_short_ - before;
}

double LiquidationEngine::execute_backlog(Side side, double capacity, double t, double fundamental,
                                          double mark, Settlement& settlement) {
    Backlog& b = side == Side::Long ? long_backlog_ : short_backlog_;
    if (b.empty() || capacity <= 0) return 0;
    const double notional = b.qty * fundamental;
    const double share = std::min(1.0, capacity / notional);
    const double qty = share * b.qty, entry_value = share * b.entry_value, margin = share * b.margin;
    if (share >= 1.0) {
        b = Backlog{};
    } else {
        b.qty -= qty;
        b.entry_value -= entry_value;
        b.margin -= margin;
    }
    settlement.settle(side, qty, entry_value, margin, t, fundamental, mark);
    step_executed_net_sell_ += side == Side::Long ? share * notional : -share * notional;
    return share * notional;
}

bool LiquidationEngine::execute_stops(double fundamental, OrderBook& book) {
    if (stop_long_ == 0 && stop_short_ == 0) return false;
    const double sell = (stop_long_ - stop_short_) * fundamental;  // notional at V, > 0 sells
    book.execute(sell);
    step_executed_net_sell_ += sell;  // forced flow as a liquidation's is: M3's permanent impact
    stop_long_ = stop_short_ = 0;
    return true;
}

void LiquidationEngine::report(PathOutputs& out) const {
    out.liquidated_long_notional = tally_.liquidated_long_notional;
    out.liquidated_short_notional = tally_.liquidated_short_notional;
    out.liquidated_long_count = tally_.liquidated_long_count;
    out.liquidated_short_count = tally_.liquidated_short_count;
    out.trader_margin_lost_long = tally_.margin_lost_long;
    out.trader_margin_lost_short = tally_.margin_lost_short;
    out.trader_margin_lost = tally_.margin_lost_long + tally_.margin_lost_short;
    out.n_waves = tally_.n_waves;
    out.max_waves_in_step = tally_.max_waves_in_step;
    out.wave_cap_hits = tally_.wave_cap_hits;
    out.max_backlog = tally_.max_backlog;
    out.stopped_long_notional = tally_.stopped_long_notional;
    out.stopped_short_notional = tally_.stopped_short_notional;
}

}  // namespace wipeout::engine
