#pragma once
// The adaptive clock: a fine step while anything moves the book, a growing one when all is calm, landing
// exactly on the moments the shock and the outputs need. It also keeps every factor that depends on the step
// length alone (the mechanisms' decays), cached by length: the clock keeps coming back to the same few
// lengths (the active step, and the calm ramp 2, 4, ... up to the longest step).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "regime.h"
#include "wipeout/cascade_params.h"

namespace wipeout::engine {

inline constexpr double kLiquidationFlowTimescale = 60.0;  // s: the dip buyers' memory of forced selling

/// 1 - exp(-dt / tau), the weight an EMA with time constant tau gives a step of length dt.
inline double ema_weight(double dt, double tau) {
    return -std::expm1(-dt / tau);
}

/// Every factor of one step length: refill and depth recovery (M3, M4), the venues' decay and noise and the
/// mark's basis (M5), the stress and momentum memories and the dip buyers' memory of forced flow.
struct StepDecays {
    double dt = -1;
    double refill = 1, depth_recovery = 1;
    double venue_keep = 1, venue_noise = 0;
    double basis_weight = 0, stress_weight = 0, momentum_weight = 0, flow_keep = 1;
};

class Clock {
  public:
    Clock(const CascadeParams& p, const Regime& regime)
        : dt_active_(p.dt_active_s),
          dt_growth_(p.dt_growth),
          dt_max_(p.dt_max_s),
          resilience_(p.book_resilience_per_s),
          depth_recovery_timescale_(p.depth_recovery_timescale_s),
          venue_rate_(p.arbitrage_rate_per_s * regime.arbitrage + p.spot_anchor_rate_per_s),
          venue_noise_(p.venue_noise),
          basis_timescale_(p.mark_basis_timescale_s),
          stress_timescale_(p.stress_timescale_s),
          momentum_timescale_(p.short_momentum_timescale_s),
          milestones_{p.shock_start_s, p.shock_start_s + p.shock_duration_s, p.shock_start_s + 3600.0,
                      p.shock_start_s + 14400.0, p.horizon_s} {
        std::sort(milestones_.begin(), milestones_.end());
    }

    /// The length of the step that starts at `t`: the active step while anything moves, else the last step
    /// grown by the growth factor up to the longest; never past the next milestone.
    double next_dt(double t, bool active) {
        const double previous = stepped_ ? t - previous_t_ : dt_active_;
        double dt = active ? dt_active_ : std::min(previous * dt_growth_, dt_max_);
        while (next_milestone_ < milestones_.size() && !(milestones_[next_milestone_] > t + 1e-9))
            ++next_milestone_;
        if (next_milestone_ < milestones_.size() && t + dt > milestones_[next_milestone_])
            dt = milestones_[next_milestone_] - t;
        return std::max(dt, 1e-6);
    }
    /// The step that started at `t` is done.
    void stepped(double t) {
        previous_t_ = t;
        stepped_ = true;
    }

    /// The decays of a step of length dt.
    const StepDecays& decays(double dt) {
        if (current_ != nullptr && dt == current_->dt) return *current_;
        for (std::size_t i = 0; i < used_; ++i) {
            if (slots_[i].dt == dt) return *(current_ = &slots_[i]);
        }
        StepDecays& d = slots_[next_];
        next_ = (next_ + 1) % kSlots;
        used_ = std::max(used_, next_ == 0 ? kSlots : next_);
        current_ = &d;
        d.dt = dt;
        d.refill = std::exp(-resilience_ * dt);
        d.depth_recovery = std::exp(-dt / depth_recovery_timescale_);
        d.venue_keep = std::exp(-venue_rate_ * dt);
        d.venue_noise = venue_noise_ * std::sqrt(std::max(0.0, -std::expm1(-2.0 * venue_rate_ * dt)));
        d.basis_weight = ema_weight(dt, basis_timescale_);
        d.stress_weight = ema_weight(dt, stress_timescale_);
        d.momentum_weight = ema_weight(dt, momentum_timescale_);
        d.flow_keep = std::exp(-dt / kLiquidationFlowTimescale);
        return d;
    }

  private:
    static constexpr std::size_t kSlots = 16;
    double dt_active_, dt_growth_, dt_max_;
    double resilience_, depth_recovery_timescale_, venue_rate_, venue_noise_;
    double basis_timescale_, stress_timescale_, momentum_timescale_;
    std::array<double, 5> milestones_;  // sorted
    std::size_t next_milestone_ = 0;
    double previous_t_ = 0;  // start of the previous step
    bool stepped_ = false;
    std::array<StepDecays, kSlots> slots_{};
    std::size_t used_ = 0, next_ = 0;
    const StepDecays* current_ = nullptr;
};

}  // namespace wipeout::engine
