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
#include <algorithm>
#include <cmath>

namespace wipeout {

class OrderBook {
  public:
    /// Deepest displacement the book can show: beyond it we assume unlimited depth, so P stays positive.
    static constexpr double kMaxDisplacement = 0.95;

    OrderBook(double depth_1pct, double shape)
        : inv_shape_(1.0 / shape),
          walk_factor_(1.0 / (1.0 + 1.0 / shape)),
          cap_ratio_(std::pow(kMaxDisplacement / 0.01, shape)) {
        set_depth(depth_1pct);
    }

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
        const double u = std::min(std::abs(x), kMaxDisplacement) / 0.01;
        return std::copysign(inv_shape_ == 1.0   ? u
                             : inv_shape_ == 0.5 ? u * u
                                                 : std::pow(u, 1.0 / inv_shape_),
                             x);
    }

    /// Executes a market order of signed notional c (> 0 sells, < 0 buys), valued at the fundamental.
    /// Returns its volume-weighted average displacement; the fill price is V (1 - returned value).
    double execute(double c) {
        const double from = consumed_, from_x = displacement_;
        consumed_ += c;
        displacement_ = displacement_at(consumed_);
        return average(from, from_x, consumed_, displacement_);
    }

    /// Volume-weighted average displacement of a market order of signed notional c from the current state,
    /// without executing it; `end_displacement`, if given, receives the displacement it would leave.
    double preview(double c, double* end_displacement = nullptr) const {
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
    double displacement_at(double c) const {
        const double u = std::abs(c) * inv_depth_;
        double x = 0.01 * (inv_shape_ == 1.0   ? u
                           : inv_shape_ == 0.5 ? std::sqrt(u)
                                               : std::pow(u, inv_shape_));
        x = std::min(x, kMaxDisplacement);
        return std::copysign(x, c);
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
        if (std::abs(b - a) <= 1e-12 * (std::abs(a) + std::abs(b)) || b == a) return xb;
        return (walk_integral(b, xb) - walk_integral(a, xa)) / (b - a);
    }

    double inv_shape_;
    double walk_factor_;  // 1 / (1 + 1/beta)
    double cap_ratio_;    // (kMaxDisplacement / 1%)^beta: consumed depth at the cap, per unit of depth
    double depth_ = 0.0;
    double inv_depth_ = 0.0;
    double cap_consumed_ = 0.0;
    double consumed_ = 0.0;
    double displacement_ = 0.0;  // displacement_at(consumed_), kept with the state
};

}  // namespace wipeout
