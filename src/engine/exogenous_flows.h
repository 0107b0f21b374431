#pragma once
// The flows that are not forced: M1's transient shock flow (its size from shock.h), M12's opportunistic
// shorts selling into downward momentum, and M11's dip buyers buying the discount to V beyond their
// reservation, damped while liquidations flow. Two of them open positions: M12's shorts, and the share of
// M11's buyers who buy the perp with leverage rather than spot. M11's buyers spend a finite capital.
#include <algorithm>

#include "crowd.h"
#include "market_depth.h"
#include "market_memory.h"
#include "regime.h"
#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"
#include "wipeout/tiers.h"

namespace wipeout::engine {

class ExogenousFlows {
  public:
    static constexpr double kShortBand = 0.0025;            // M12 shorts opened within 0.25% share a cohort
    static constexpr double kShortPositionMultiple = 10.0;  // their position notional, in units of size_min

    /// `open_interest`: the crowd's at t = 0 (notional), which M11's capital is a multiple of.
    ExogenousFlows(const CascadeParams& p, const TierTable& tiers, const Regime& regime,
                   const MarketDepth& depth, double open_interest);

    /// The notional (valued at V) of the positions a step's flows opened.
    struct Opened {
        double shorts = 0;  // M12
        double longs = 0;   // M11's buyers on the perp
    };

    /// One step's flows into the book: `shock_flow` is the shock's transient sell notional (at V) in this
    /// step. Returns what they opened: M12's shorts for open_shorts(), M11's longs for Crowd::open_longs().
    Opened trade(const StepDecays& decays, double shock_flow, const MarketMemory& memory,
                 MarketDepth& depth) {
        const double dt = decays.dt;
        OrderBook& book = depth.book();
        double sell = shock_flow;  // notional valued at V, > 0 sells
        Opened opened;
        // M12: new shorts sell into downward momentum.
        double& new_shorts = opened.shorts;
        if (shorts_enabled_ && short_ratio_ > 1.0) {
            const double momentum = memory.momentum();
            if (momentum > 0) {
                // Shorts sell into the fall, and more so while a cascade is seen in progress (seed 000): a
                // share of the forced flow the step shows.
                new_shorts = short_flow_per_momentum_ * momentum * dt +
                             cascade_share_ * memory.liquidation_flow_over(decays);
                sell += new_shorts;
            }
        }
        // M11: dip buyers buy the discount to V beyond their reservation, damped while liquidations flow.
        if (buyers_enabled_ && buyer_intensity_ > 0) {
            const double discount = book.displacement() - reservation_;
            if (discount > 0) {
                const double damping =
                    flush_ / (flush_ + memory.liquidation_flow());  // 1 / (1 + flow / flush)
                double buy = buyer_flow_per_discount_ * discount * damping * dt;
                // Their capital is finite (buyers.budget): the most eager spend first, so the flow falls as
                // it is spent, in proportion to what is left.
                if (limited_)
                    buy = spent_ < budget_ ? std::min(buy * (1.0 - spent_ / budget_), budget_ - spent_) : 0.0;
                // Never buy past the reservation within one step, whatever dt: keeps long calm steps stable.
                buy = std::max(std::min(buy, book.consumed() - depth.current() * reservation_per_depth_), 0.0);
                sell -= buy;
                spent_ += buy;
                opened.longs = perp_share_ * buy;  // those who buy the perp with leverage: long from now on
            }
        }
        if (sell != 0) book.execute(sell);
        return opened;
    }

    /// M12: the step's new shorts (`notional` at V = `fundamental`) are opened at the step's price `trade`.
    void open_shorts(double notional, double fundamental, double trade, Crowd& crowd) {
        const double qty = notional / fundamental;
        opened_notional_ += qty * trade;
        crowd.open_shorts(qty, trade, kShortBand, short_leverage_, short_ratio_);
    }

    /// M11: the step's buyers on the perp (`notional` at V = `fundamental`) are long from the step's price
    /// `trade`, with the crowd's leverage mix.
    void open_longs(double notional, double fundamental, double trade, Crowd& crowd) {
        const double qty = notional / fundamental;
        if (crowd.open_longs(qty, trade)) dip_long_notional_ += qty * trade;
    }

    /// One M12 short's notional at entry.
    double short_position_notional() const { return short_notional_; }
    void report(PathOutputs& out) const {
        out.opportunistic_short_notional = opened_notional_;
        out.dip_long_notional = dip_long_notional_;
    }

  private:
    bool shorts_enabled_, buyers_enabled_;
    double buyer_intensity_, reservation_, flush_, reservation_per_depth_;
    double short_flow_per_momentum_, buyer_flow_per_discount_;  // per unit of momentum or discount
    double cascade_share_;  // M12's new short flow per unit of liquidation flow while the price falls
    double perp_share_;     // M11's share of buyers on the perp
    bool limited_;          // M11's capital is finite (buyers.budget > 0) ...
    double budget_;         // ... this much over the path, notional at V
    double spent_ = 0;      // and what of it they spent
    double short_ratio_ = 0, short_notional_ = 0, short_leverage_ = 1;  // M12: liquidation price / entry, ...
    double opened_notional_ = 0, dip_long_notional_ = 0;  // M12's shorts and M11's longs opened, at entry
};

}  // namespace wipeout::engine
