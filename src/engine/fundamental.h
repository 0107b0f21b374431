#pragma once
// M1's fundamental value V: background diffusion and jumps, plus the shock's permanent part.
#include <cmath>
#include <cstdint>
#include <limits>

#include "fast_math.h"
#include "wipeout/random.h"

namespace wipeout::engine {

inline constexpr double kSecondsPerYear = 365.0 * 86400.0;
inline constexpr double kSecondsPerDay = 86400.0;

/// The fundamental's random part as a function of time alone, not of the adaptive clock: diffusion values at
/// fixed nodes from their own stream, a Brownian bridge between nodes (one substream per interval), jumps
/// at arrival times. So two scenarios that step differently still see the same fundamental path (common
/// random numbers), and a finer clock refines the path instead of redrawing it.
class FundamentalPath {
  public:
    static constexpr double kNodeSpacing = 300.0;  // s

    FundamentalPath(double volatility_annual, double jump_rate_per_day, double jump_stdev, std::uint64_t seed,
                    std::uint64_t path_index)
        : sigma_(volatility_annual / std::sqrt(kSecondsPerYear)),
          jump_rate_(jump_rate_per_day / kSecondsPerDay),
          jump_stdev_(jump_stdev),
          seed_(seed),
          path_index_(path_index),
          nodes_(seed, path_index, StreamId::Fundamental),
          bridge_(seed, path_index, StreamId::Bridge, 0),
          jumps_(seed, path_index, StreamId::Jumps) {
        next_node_value_ = node_step();
        if (jump_rate_ > 0) next_jump_ = exponential(jumps_) / jump_rate_;
    }

    /// Log change of the fundamental's random part from the current time to `to` (> current time).
    [[gnu::always_inline]] double advance(double to) {
        double change = 0;
        while (now_ < to) {
            const double node_time = node_time_;
            const double until = std::min(to, node_time);
            double value;
            if (until >= node_time) {
                value = next_node_value_;
                ++interval_;
                node_time_ = static_cast<double>(interval_ + 1) * kNodeSpacing;
                node_value_ = next_node_value_;
                next_node_value_ = node_value_ + node_step();
                bridge_ready_ =
                    false;  // the interval's stream is made when first sampled: long steps skip many
            } else if (sigma_ > 0) {
                // Bridge from (now, current) to (node, next node value).
                if (!bridge_ready_) {
                    bridge_ = RandomStream(seed_, path_index_, StreamId::Bridge, interval_);
                    bridge_ready_ = true;
                }
                const double span = node_time - now_, part = until - now_, inv_span = 1.0 / span;
                const double mean = current_ + part * inv_span * (next_node_value_ - current_);
                const double sd = sigma_ * std::sqrt(part * (span - part) * inv_span);
                value = mean + sd * normal_(bridge_);
            } else {
                value = current_ + (until - now_) / (node_time - now_) * (next_node_value_ - current_);
            }
            change += value - current_;
            current_ = value;
            now_ = until;
        }
        while (jump_rate_ > 0 && next_jump_ <= to) {
            change += jump_stdev_ * normal_(jumps_);
            next_jump_ += exponential(jumps_) / jump_rate_;
        }
        return change;
    }

  private:
    double node_step() {
        return sigma_ > 0 ? -0.5 * sigma_ * sigma_ * kNodeSpacing +
                                sigma_ * std::sqrt(kNodeSpacing) * normal_(nodes_)
                          : 0.0;
    }
    static double exponential(RandomStream& rng) { return -std::log1p(-rng.uniform()); }

    double sigma_, jump_rate_, jump_stdev_;
    std::uint64_t seed_, path_index_;
    RandomStream nodes_, bridge_, jumps_;
    detail::FastNormal normal_;  // boost's normal variates, common case inlined
    std::uint64_t interval_ = 0;
    bool bridge_ready_ = true;         // bridge_ is interval_'s stream
    double node_time_ = kNodeSpacing;  // end of the current interval
    double now_ = 0, current_ = 0, node_value_ = 0, next_node_value_ = 0;
    double next_jump_ = std::numeric_limits<double>::infinity();
};

/// V and log V along the path.
class Fundamental {
  public:
    Fundamental(double reference_price, double volatility_annual, double jump_rate_per_day, double jump_stdev,
                std::uint64_t seed, std::uint64_t path_index)
        : path_(volatility_annual, jump_rate_per_day, jump_stdev, seed, path_index),
          value_(reference_price),
          log_value_(std::log(reference_price)) {}

    /// Moves V to time `to`; `permanent_log_move` is the shock's permanent part in this step (0: none).
    [[gnu::always_inline]] void move(double to, double permanent_log_move) {
        double log_move = path_.advance(to);
        if (permanent_log_move != 0) log_move += permanent_log_move;
        if (log_move != 0) {
            value_ *= detail::exp_near_zero(log_move);
            log_value_ += log_move;
        }
    }
    double value() const { return value_; }
    double log_value() const { return log_value_; }

  private:
    FundamentalPath path_;
    double value_, log_value_;
};

}  // namespace wipeout::engine
