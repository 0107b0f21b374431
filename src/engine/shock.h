#pragma once
// M1's macro shock: a move of size s from t0 over tau, a share phi of it permanent (V falls by phi s), the
// transient rest arriving as sell flow sized to move a normal static book by (1 - phi) s.
#include <algorithm>
#include <cmath>

#include "wipeout/cascade_params.h"
#include "wipeout/order_book.h"

namespace wipeout::engine {

class Shock {
  public:
    /// `profile`: the order-book snapshot's, whose depth within (1 - phi) s sizes the flow instead of the
    /// power law's (null: none).
    Shock(const CascadeParams& p, double base_depth, const BookProfile* profile = nullptr)
        : enabled_(p.shock_enabled),
          size_(p.shock_size),
          permanent_share_(p.shock_permanent_share),
          start_(p.shock_start_s),
          duration_(p.shock_duration_s),
          base_depth_(base_depth),
          depth_multiple_(transient_depth(p, profile)),
          log_move_(std::log1p(-p.shock_permanent_share * p.shock_size)) {}

    /// The share of the shock that falls in the step [t, t + dt).
    double share_in(double t, double dt) const {
        if (!enabled_) return 0.0;
        if (duration_ > 0)
            return std::max(0.0, std::min(t + dt, start_ + duration_) - std::max(t, start_)) / duration_;
        return t <= start_ && start_ < t + dt ? 1.0 : 0.0;
    }
    /// Whether the shock is still unfolding at t (the clock stays fine while it does).
    bool under_way(double t) const { return enabled_ && t >= start_ - 1e-9 && t < start_ + duration_ - 1e-9; }

    /// The transient sell flow (notional at V) of a step holding `share` of the shock.
    double sell_flow(double share) const {
        return share > 0 && size_ > 0 ? share * base_depth_ * depth_multiple_ : 0.0;
    }
    /// The permanent log move of V in a step holding `share` of the shock (0: none).
    double permanent_log_move(double share) const {
        return share != 0 && permanent_share_ > 0 && size_ > 0 ? share * log_move_ : 0.0;
    }

  private:
    /// The depth, per unit of d1, within the shock's transient move (the flow that moves a static book by it).
    static double transient_depth(const CascadeParams& p, const BookProfile* profile) {
        const double move = (1.0 - p.shock_permanent_share) * p.shock_size;
        return profile != nullptr ? profile->depth_per_unit(true, move) : std::pow(move / 0.01, p.book_shape);
    }

    bool enabled_;
    double size_, permanent_share_, start_, duration_;
    double base_depth_, depth_multiple_, log_move_;
};

}  // namespace wipeout::engine
