#pragma once
// The perp's book and its depth: M2's regime sets the base depth, M4's market makers pull quotes at once when
// stress exceeds what they sit through and come back slowly, M3's consumed depth refills, and the permanent
// part of forced flow's impact moves V.
#include <algorithm>
#include <cmath>

#include "clock.h"
#include "fast_math.h"
#include "regime.h"
#include "wipeout/cascade_params.h"
#include "wipeout/order_book.h"

namespace wipeout::engine {

class MarketDepth {
  public:
    /// With `profile` (an order-book snapshot's, outliving the path) the book walks it instead of the power
    /// law of book.shape; p.depth_1pct is then the snapshot's d1 (CascadeEngine sets it).
    MarketDepth(const CascadeParams& p, const Regime& regime, const BookProfile* profile = nullptr)
        : book_(profile != nullptr ? OrderBook(p.depth_1pct, *profile)
                                   : OrderBook(p.depth_1pct, p.book_shape)),
          base_(p.depth_1pct),
          regime_(regime.depth),
          evaporation_(p.evaporation_enabled),
          threshold_(p.evaporation_threshold),
          rate_(p.evaporation_rate),
          floor_(p.evaporation_floor),
          refill_(p.book_refill_enabled),
          permanent_per_notional_(p.permanent_impact / p.depth_1pct) {
        book_.set_depth(base_ * regime_);
        depth_ = book_.depth();
    }

    /// One step: `stress` is |log P - its slow average| (M4's trigger), the decays those of the step.
    void update(double stress, const StepDecays& decays) {
        double target = base_ * regime_;
        if (evaporation_) {
            // Quotes stay through ordinary moves (threshold) and are pulled as stress exceeds them.
            const double excess = stress - threshold_;
            if (excess > 0) target *= std::max(floor_, detail::exp_near_zero(-rate_ * excess));
        }
        depth_ = target < depth_ ? target : target + (depth_ - target) * decays.depth_recovery;
        book_.set_depth_and_decay(depth_, refill_ ? decays.refill : 1.0);
    }

    /// M3's permanent impact (book.permanent_impact, Obizhaeva and Wang 2013): V's log move for `net_sell`
    /// (notional) of forced flow executed through the book; 0 when off. Information the forced flow reveals
    /// (a crowd that had to sell) stays in the price; the rest of the impact refills.
    double permanent_log_move(double net_sell) const { return -permanent_per_notional_ * net_sell; }

    OrderBook& book() { return book_; }
    const OrderBook& book() const { return book_; }
    /// d1 before regime and evaporation: the unit every flow of the model is stated in.
    double base() const { return base_; }
    /// d1 now, after regime and evaporation.
    double current() const { return depth_; }

  private:
    OrderBook book_;
    double base_, regime_;
    bool evaporation_;
    double threshold_, rate_, floor_;
    bool refill_;
    double permanent_per_notional_;  // lambda / d1
    double depth_ = 0;
};

}  // namespace wipeout::engine
