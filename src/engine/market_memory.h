#pragma once
// What the market remembers of its recent path: the traded log price, its slow average (M4's stress is the
// gap between them), the short sellers' momentum average (M12) and the dip buyers' memory of forced flow
// (M11).
#include <cmath>

#include "clock.h"

namespace wipeout::engine {

class MarketMemory {
  public:
    explicit MarketMemory(double reference_price)
        : log_trade_(std::log(reference_price)), stress_ema_(log_trade_), momentum_ema_(log_trade_) {}

    /// The step is over: the trade's log price now and the notional liquidated during the step.
    void update(double log_trade, double liquidated, const StepDecays& decays) {
        log_trade_ = log_trade;
        stress_ema_ += decays.stress_weight * (log_trade_ - stress_ema_);
        momentum_ema_ += decays.momentum_weight * (log_trade_ - momentum_ema_);
        flow_ = flow_ * decays.flow_keep + liquidated * (1.0 / kLiquidationFlowTimescale);
    }

    /// |log P - its slow average|: how far the price has run from where quotes were set.
    double stress() const { return std::abs(log_trade_ - stress_ema_); }
    /// log of the momentum average over P: > 0 when the price is falling.
    double momentum() const { return momentum_ema_ - log_trade_; }
    /// Forced notional per second, averaged over the last minute or so.
    double liquidation_flow() const { return flow_; }
    /// The forced notional that flow carries over a step as it decays (its exact integral over the step): so
    /// over a path the steps add up to what was liquidated, whatever their lengths.
    double liquidation_flow_over(const StepDecays& decays) const {
        return flow_ * kLiquidationFlowTimescale * (1.0 - decays.flow_keep);
    }

  private:
    double log_trade_, stress_ema_, momentum_ema_;
    double flow_ = 0;
};

}  // namespace wipeout::engine
