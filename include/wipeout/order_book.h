#pragma once
// M3 order book with power-law depth and transient impact (Obizhaeva-Wang style), and the depth level M4
// evaporation acts on.
//
// Depth within relative distance x of the fundamental: D(x) = d (x / 1%)^beta on each side. The book's
// state is the signed consumed depth C (quote notional; > 0 when net selling walked the bids). The trade
// price is P = V (1 - x(C)) with x(C) = sign(C) 1% (|C| / d)^(1/beta). A market order walks from C to C + c;
// its fill is the volume-weighted average over the walk, in closed form. C decays at the resilience rate
// (refill), and a thinner book (smaller d) turns the same C into a deeper displacement.
#include <algorithm>
#include <cmath>

namespace wipeout {

class OrderBook {
public:
    /// Deepest displacement the book can show: beyond it we assume unlimited depth, so P stays positive.
    static constexpr double kMaxDisplacement = 0.95;

    OrderBook(double depth_1pct, double shape)
        : inv_shape_(1.0 / shape), cap_ratio_(std::pow(kMaxDisplacement / 0.01, shape)) {
        set_depth(depth_1pct);
    }

    double depth() const { return depth_; }
    void set_depth(double depth_1pct) {
        depth_ = depth_1pct;
        cap_consumed_ = depth_ * cap_ratio_;
    }
    double consumed() const { return consumed_; }

    /// Signed relative displacement of the trade price below the fundamental.
    double displacement() const { return displacement_at(consumed_); }
    double price(double fundamental) const { return fundamental * (1.0 - displacement()); }

    /// Consumed depth that puts the price at displacement x (inverse of displacement_at).
    double consumed_at(double x) const {
        const double u = std::min(std::abs(x), kMaxDisplacement) / 0.01;
        return std::copysign(depth_ * (inv_shape_ == 1.0 ? u : inv_shape_ == 0.5 ? u * u : std::pow(u, 1.0 / inv_shape_)), x);
    }

    /// Executes a market order of signed notional c (> 0 sells, < 0 buys), valued at the fundamental.
    /// Returns its volume-weighted average displacement; the fill price is V (1 - returned value).
    double execute(double c) {
        const double from = consumed_;
        consumed_ += c;
        return average_displacement(from, consumed_);
    }

    /// Volume-weighted average displacement of a walk from C = a to C = b, without executing it.
    double average_displacement(double a, double b) const {
        if (std::abs(b - a) <= 1e-12 * (std::abs(a) + std::abs(b)) || b == a) return displacement_at(b);
        return (walk_integral(b) - walk_integral(a)) / (b - a);
    }

    /// Refill: consumed depth decays by this factor (exp(-rho dt), precomputed by the caller).
    void decay(double factor) { consumed_ *= factor; }

private:
    double displacement_at(double c) const {
        const double u = std::abs(c) / depth_;
        double x = 0.01 * (inv_shape_ == 1.0 ? u : inv_shape_ == 0.5 ? std::sqrt(u) : std::pow(u, inv_shape_));
        x = std::min(x, kMaxDisplacement);
        return std::copysign(x, c);
    }

    // Integral of x(c) dc from 0 to C (even in C): 1% d^(-1/beta) |C|^(1 + 1/beta) / (1 + 1/beta), with the
    // displacement capped at kMaxDisplacement beyond the cap's consumed depth.
    double walk_integral(double c) const {
        const double ac = std::abs(c);
        const double cap = cap_consumed_;
        const double below = std::min(ac, cap);
        const double u = below / depth_;
        const double pw = inv_shape_ == 1.0 ? u * u : inv_shape_ == 0.5 ? u * std::sqrt(u) : std::pow(u, 1.0 + inv_shape_);
        double integral = 0.01 * depth_ * pw / (1.0 + inv_shape_);
        if (ac > cap) integral += kMaxDisplacement * (ac - cap);
        return integral;
    }

    double inv_shape_;
    double cap_ratio_;     // (kMaxDisplacement / 1%)^beta: consumed depth at the cap, per unit of depth
    double depth_ = 0.0;
    double cap_consumed_ = 0.0;
    double consumed_ = 0.0;
};

}  // namespace wipeout
