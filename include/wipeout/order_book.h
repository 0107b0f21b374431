#pragma once
// M3 order book with power-law depth and transient impact (Obizhaeva-Wang style), and the depth level M4
// evaporation acts on.
//
// Depth within relative distance x of the fundamental: D(x) = d (x / 1%)^beta on each side. The book's
// state is the signed consumed depth C (quote notional; > 0 when net selling walked the bids). The trade
// price is P = V (1 - x(C)) with x(C) = sign(C) 1% (|C| / d)^(1/beta). A market order walks from C to C + c;
// its fill is the volume-weighted average over the walk, in closed form. C decays at the resilience rate
// (refill), and a thinner book (smaller d) turns the same C into a deeper displacement.
//
// The engine asks for the displacement many times a step, so the book keeps it with the state it belongs to
// and recomputes it (one square root for beta = 2, none for beta = 1) only when C or d changes.
//
// With an order-book snapshot ([book] source) the power law gives way to the snapshot's own profile
// (BookProfile): D(x) = d u_side(x), u_side the side's cumulative depth per unit of the snapshot's d1,
// piecewise linear between its levels and continued past the deepest by a power law. d scales it as it scales
// the power law, so evaporation, regime and refill act on it unchanged.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace wipeout {

/// Deepest displacement a book can show: beyond it we assume unlimited depth, so P stays positive.
inline constexpr double kMaxBookDisplacement = 0.95;

/// A snapshot's depth profile (MODEL.md M3): per side (bids: C > 0, asks: C < 0), the cumulative depth u(x)
/// within relative distance x of the snapshot's mid, in units of its d1 (so a power-law book's u is
/// (x / 1%)^beta). Knots at the levels, linear in between (from u(0) = 0), and past the deepest level
/// (x_n, u_n) the tail u_n (x / x_n)^tail (continuous there; `tail` is the exponent of the snapshot's best
/// power-law fit), up to kMaxBookDisplacement. The inverse x(u) and the walk's integral of x over u are exact
/// on this profile: cumulative integrals at the knots and one binary search.
class BookProfile {
  public:
    /// Knots of each side: distances (ascending, > 0) and cumulative depth per unit (increasing, > 0).
    BookProfile(std::span<const double> bid_x, std::span<const double> bid_depth,
                std::span<const double> ask_x, std::span<const double> ask_depth, double tail_shape,
                double depth_1pct)
        : sides_{Side(bid_x, bid_depth), Side(ask_x, ask_depth)},
          depth_1pct_(depth_1pct),
          tail_(tail_shape),
          inv_tail_(1.0 / tail_shape),
          walk_factor_(1.0 / (1.0 + 1.0 / tail_shape)) {
        for (Side& s : sides_) s.finish(tail_, walk_factor_);
    }

    /// The snapshot's d1: the depth unit u is stated in (a run on the snapshot states every flow in it).
    double depth_1pct() const { return depth_1pct_; }
    /// The tail's exponent.
    double tail_shape() const { return tail_; }
    /// The levels of a side the profile walks (those within kMaxBookDisplacement).
    std::size_t levels(bool bids) const { return sides_[bids ? 0 : 1].x.size() - 1; }
    /// The deepest level's distance from the mid (where the tail starts).
    double deepest(bool bids) const { return sides_[bids ? 0 : 1].x.back(); }

    /// u(x): depth within distance x >= 0, per unit of d1 (constant beyond kMaxBookDisplacement).
    double depth_per_unit(bool bids, double x) const {
        const Side& s = sides_[bids ? 0 : 1];
        x = std::min(x, kMaxBookDisplacement);
        if (x >= s.x.back()) return s.u.back() * std::pow(x / s.x.back(), tail_);
        const std::size_t k = std::upper_bound(s.x.begin() + 1, s.x.end(), x) - s.x.begin();
        return s.u[k - 1] + (x - s.x[k - 1]) * (s.u[k] - s.u[k - 1]) / (s.x[k] - s.x[k - 1]);
    }
    /// x(u): the distance at which consumed depth u >= 0 (per unit of d1) puts the price; the cap beyond it.
    double displacement_per_unit(bool bids, double u) const {
        const Side& s = sides_[bids ? 0 : 1];
        if (u >= s.u_cap) return kMaxBookDisplacement;
        if (u >= s.u.back()) return s.x.back() * std::pow(u / s.u.back(), inv_tail_);
        const std::size_t k = std::upper_bound(s.u.begin() + 1, s.u.end(), u) - s.u.begin();
        return s.x[k - 1] + (u - s.u[k - 1]) * s.slope[k];
    }
    /// The integral of x(v) dv from 0 to u >= 0, given x = x(u).
    double walk_integral_per_unit(bool bids, double u, double x) const {
        const Side& s = sides_[bids ? 0 : 1];
        if (u >= s.u_cap) return s.area_cap + kMaxBookDisplacement * (u - s.u_cap);
        if (u >= s.u.back()) return s.area.back() + (u * x - s.u.back() * s.x.back()) * walk_factor_;
        const std::size_t k = std::upper_bound(s.u.begin() + 1, s.u.end(), u) - s.u.begin();
        return s.area[k - 1] + (u - s.u[k - 1]) * 0.5 * (s.x[k - 1] + x);
    }

  private:
    struct Side {
        // Knots from (0, 0); slope[k] = dx/du on (u[k-1], u[k]); area[k] = the integral of x du up to u[k].
        std::vector<double> x{0.0}, u{0.0}, slope{0.0}, area{0.0};
        double u_cap = 0, area_cap = 0;  // consumed depth at kMaxBookDisplacement, and the integral up to it

        Side(std::span<const double> xs, std::span<const double> us) {
            for (std::size_t i = 0; i < xs.size() && i < us.size(); ++i) {
                if (xs[i] >= kMaxBookDisplacement) {  // the last knot: where the level crosses the cap
                    const double f = (kMaxBookDisplacement - x.back()) / (xs[i] - x.back());
                    add(kMaxBookDisplacement, u.back() + f * (us[i] - u.back()));
                    break;
                }
                add(xs[i], us[i]);
            }
            if (x.size() == 1) add(0.01, 1.0);  // no level at all: a linear book (the snapshot refuses this)
        }
        void add(double xi, double ui) {
            slope.push_back((xi - x.back()) / (ui - u.back()));
            area.push_back(area.back() + (ui - u.back()) * 0.5 * (x.back() + xi));
            x.push_back(xi);
            u.push_back(ui);
        }
        void finish(double tail, double walk_factor) {
            if (x.back() >= kMaxBookDisplacement) {
                u_cap = u.back();
                area_cap = area.back();
            } else {
                u_cap = u.back() * std::pow(kMaxBookDisplacement / x.back(), tail);
                area_cap = area.back() + (u_cap * kMaxBookDisplacement - u.back() * x.back()) * walk_factor;
            }
        }
    };
    Side sides_[2];
    double depth_1pct_, tail_, inv_tail_, walk_factor_;
};

class OrderBook {
  public:
    /// Deepest displacement the book can show: beyond it we assume unlimited depth, so P stays positive.
    static constexpr double kMaxDisplacement = kMaxBookDisplacement;

    OrderBook(double depth_1pct, double shape)
        : inv_shape_(1.0 / shape),
          walk_factor_(1.0 / (1.0 + 1.0 / shape)),
          cap_ratio_(std::pow(kMaxDisplacement / 0.01, shape)) {
        set_depth(depth_1pct);
    }
    /// A book with a snapshot's profile (which must outlive it): depth_1pct scales the profile's unit, as it
    /// scales d1 of the power law.
    OrderBook(double depth_1pct, const BookProfile& profile) : OrderBook(depth_1pct, profile.tail_shape()) {
        profile_ = &profile;
        // Neither of the power law's fast cases: displacement_at tests for the profile only where the power
        // law would call pow.
        inv_shape_ = std::numeric_limits<double>::quiet_NaN();
        set_depth(depth_1pct);
    }
    /// The snapshot's profile the book walks, or null for the power law.
    const BookProfile* profile() const { return profile_; }

    double depth() const { return depth_; }
    void set_depth(double depth_1pct) {
        depth_ = depth_1pct;
        inv_depth_ = 1.0 / depth_1pct;
        cap_consumed_ = depth_ * cap_ratio_;
        displacement_ = displacement_at(consumed_);
    }
    double consumed() const { return consumed_; }

    /// Signed relative displacement of the trade price below the fundamental.
    double displacement() const { return displacement_; }
    double price(double fundamental) const { return fundamental * (1.0 - displacement_); }

    /// Consumed depth that puts the price at displacement x (inverse of displacement_at).
    double consumed_at(double x) const { return depth_ * consumed_at_per_depth(x); }
    /// consumed_at(x) / depth(), a function of x alone (callers that need it every step keep it).
    double consumed_at_per_depth(double x) const {
        if (profile_ != nullptr) [[unlikely]]
            return std::copysign(profile_->depth_per_unit(x >= 0, std::abs(x)), x);
        const double u = std::min(std::abs(x), kMaxDisplacement) / 0.01;
        return std::copysign(inv_shape_ == 1.0   ? u
                             : inv_shape_ == 0.5 ? u * u
                                                 : std::pow(u, 1.0 / inv_shape_),
                             x);
    }

    /// Executes a market order of signed notional c (> 0 sells, < 0 buys), valued at the fundamental.
    /// Returns its volume-weighted average displacement; the fill price is V (1 - returned value).
    double execute(double c) {
        if (profile_ != nullptr) [[unlikely]]
            return profile_execute(c);
        const double from = consumed_, from_x = displacement_;
        consumed_ += c;
        displacement_ = displacement_at(consumed_);
        return average(from, from_x, consumed_, displacement_);
    }

    /// Volume-weighted average displacement of a market order of signed notional c from the current state,
    /// without executing it; `end_displacement`, if given, receives the displacement it would leave.
    double preview(double c, double* end_displacement = nullptr) const {
        if (profile_ != nullptr) [[unlikely]]
            return profile_preview(c, end_displacement);
        const double to = consumed_ + c;
        const double to_x = displacement_at(to);
        if (end_displacement) *end_displacement = to_x;
        return average(consumed_, displacement_, to, to_x);
    }
    /// Executes the order just previewed (same c, no change since), without walking it again.
    void commit(double c, double end_displacement) {
        consumed_ += c;
        displacement_ = end_displacement;
    }

    /// Volume-weighted average displacement of a walk from C = a to C = b, without executing it.
    double average_displacement(double a, double b) const {
        if (profile_ != nullptr) [[unlikely]]
            return profile_average(a, displacement_at(a), b, displacement_at(b));
        return average(a, displacement_at(a), b, displacement_at(b));
    }

    /// Refill: consumed depth decays by this factor (exp(-rho dt), precomputed by the caller).
    void decay(double factor) {
        consumed_ *= factor;
        displacement_ = displacement_at(consumed_);
    }
    /// set_depth(depth_1pct) and decay(factor) at once (one recomputation instead of two).
    void set_depth_and_decay(double depth_1pct, double factor) {
        consumed_ *= factor;
        set_depth(depth_1pct);
    }

  private:
    static constexpr double kTiny = 1e-12;  // a walk shorter than this (relative to |C|) fills at its end

    double displacement_at(double c) const {
        const double u = std::abs(c) * inv_depth_;
        double x = 0.01 * (inv_shape_ == 1.0     ? u
                           : inv_shape_ == 0.5   ? std::sqrt(u)
                           : profile_ == nullptr ? std::pow(u, inv_shape_)
                                                 : profile_percent(c, u));
        x = std::min(x, kMaxDisplacement);
        return std::copysign(x, c);
    }
    // The profile's walks, out of line, tested for once on entry (execute, preview) and in displacement_at
    // only where the power law would call pow: the power law's inlined code stays as it was but for one
    // predictable branch (+0.2-0.3% instructions per path under callgrind).
    [[gnu::noinline]] double profile_percent(double c, double u) const {
        return 100.0 * profile_->displacement_per_unit(c >= 0, u);
    }
    [[gnu::noinline]] double profile_execute(double c) {
        const double from = consumed_, from_x = displacement_;
        consumed_ += c;
        displacement_ = displacement_at(consumed_);
        return profile_average(from, from_x, consumed_, displacement_);
    }
    [[gnu::noinline]] double profile_preview(double c, double* end_displacement) const {
        const double to = consumed_ + c;
        const double to_x = displacement_at(to);
        if (end_displacement) *end_displacement = to_x;
        return profile_average(consumed_, displacement_, to, to_x);
    }
    double profile_average(double a, double xa, double b, double xb) const {
        if (std::abs(b - a) <= kTiny * (std::abs(a) + std::abs(b)) || b == a) return xb;
        const auto integral = [this](double c, double x) {
            return profile_->walk_integral_per_unit(c >= 0, std::abs(c) * inv_depth_, std::abs(x));
        };
        return depth_ * (integral(b, xb) - integral(a, xa)) / (b - a);
    }

    // Integral of x(c) dc from 0 to C (even in C), from C and x(C): below the cap it is
    // 1% d^(-1/beta) |C|^(1 + 1/beta) / (1 + 1/beta) = |C| |x(C)| / (1 + 1/beta); beyond it the displacement
    // stays at kMaxDisplacement.
    double walk_integral(double c, double x) const {
        const double ac = std::abs(c);
        if (ac <= cap_consumed_) return ac * std::abs(x) * walk_factor_;
        return kMaxDisplacement * (cap_consumed_ * walk_factor_ + (ac - cap_consumed_));
    }

    double average(double a, double xa, double b, double xb) const {
        if (std::abs(b - a) <= kTiny * (std::abs(a) + std::abs(b)) || b == a) return xb;
        return (walk_integral(b, xb) - walk_integral(a, xa)) / (b - a);
    }

    double inv_shape_;
    double walk_factor_;  // 1 / (1 + 1/beta)
    double cap_ratio_;    // (kMaxDisplacement / 1%)^beta: consumed depth at the cap, per unit of depth
    double depth_ = 0.0;
    double inv_depth_ = 0.0;
    double cap_consumed_ = 0.0;
    double consumed_ = 0.0;
    double displacement_ = 0.0;             // displacement_at(consumed_), kept with the state
    const BookProfile* profile_ = nullptr;  // a snapshot's profile instead of the power law
};

}  // namespace wipeout
