#pragma once
// M5: the spot venues, the index over them and the perp's mark. Each venue's log gap to V closes toward the
// perp's gap at the arbitrage rate and decays at its own anchor rate (an exact Ornstein-Uhlenbeck update with
// stationary noise); the index aggregates the venues; the mark follows the venue's rule.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "clock.h"
#include "fast_math.h"
#include "regime.h"
#include "wipeout/cascade_params.h"
#include "wipeout/order_book.h"
#include "wipeout/random.h"

namespace wipeout::engine {

inline double median3(double a, double b, double c) {
    return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

class SpotVenues {
  public:
    static constexpr int kMaxVenues = 16;

    SpotVenues(const CascadeParams& p, const Regime& regime, std::uint64_t seed, std::uint64_t path_index)
        : rng_(seed, path_index, StreamId::Market),
          count_(std::clamp(p.spot_venues, 1, kMaxVenues)),
          aggregation_(p.index_aggregation),
          mark_rule_(p.mark_rule),
          funding_basis_(p.funding_basis),
          index_(p.reference_price),
          mark_(p.reference_price) {
        const double kappa = p.arbitrage_rate_per_s * regime.arbitrage,
                     rate = kappa + p.spot_anchor_rate_per_s;
        pull_ = rate > 0 ? kappa / rate : 0.0;
    }

    /// One step: the venues follow the perp (the book's displacement from V), the index and the basis update.
    [[gnu::always_inline]] inline void update(const OrderBook& book, double fundamental, double trade,
                                              const StepDecays& decays);

    double index() const { return index_; }
    /// Recomputes the mark from the index, the basis and the trade price, and returns it.
    double remark(double trade) {
        switch (mark_rule_) {
            case MarkRule::Index:
                return mark_ = index_;
            case MarkRule::Last:
                return mark_ = trade;
            case MarkRule::Median:
                break;
        }
        return mark_ = median3(index_ * (1.0 + funding_basis_), index_ + basis_ema_, trade);
    }
    /// The mark as last computed.
    double mark() const { return mark_; }
    /// log(P / V) for the book at `displacement`: the value update() took, unless a fill moved the book
    /// since.
    double perp_gap(double displacement) const {
        return displacement == displacement_ ? perp_gap_ : detail::log1p_near_zero(-displacement);
    }

  private:
    RandomStream rng_;           // the Market stream: the venues' noise
    detail::FastNormal normal_;  // boost's normal variates, common case inlined
    int count_;
    IndexAggregation aggregation_;
    MarkRule mark_rule_;
    double funding_basis_, pull_ = 0;
    std::array<double, kMaxVenues> venues_{};  // log(S_k / V)
    double index_, mark_, basis_ema_ = 0;
    double displacement_ = 0, perp_gap_ = 0;  // what update() saw
};

void SpotVenues::update(const OrderBook& book, double fundamental, double trade, const StepDecays& decays) {
    displacement_ = book.displacement();
    perp_gap_ = detail::log1p_near_zero(-displacement_);  // log(P / V)
    const double target = pull_ * perp_gap_;
    const double keep = decays.venue_keep, noise = decays.venue_noise;
    const int k = count_;
    const auto step_venue = [&](int i) __attribute__((always_inline)) {
        venues_[i] = target + (venues_[i] - target) * keep + (noise > 0 ? noise * normal_(rng_) : 0.0);
    };
    if (k == 3) {  // the default, unrolled: a loop of three trips is a branch to mispredict every step
        step_venue(0);
        step_venue(1);
        step_venue(2);
    } else {
        for (int i = 0; i < k; ++i) step_venue(i);
    }
    if (aggregation_ == IndexAggregation::Mean) {
        double sum = 0;
        for (int i = 0; i < k; ++i) sum += std::exp(venues_[i]);
        index_ = fundamental * sum / k;
    } else if (k == 3) {
        index_ = fundamental * detail::exp_near_zero(median3(venues_[0], venues_[1], venues_[2]));
    } else {
        std::array<double, kMaxVenues> gaps;
        std::copy(venues_.begin(), venues_.begin() + k, gaps.begin());
        std::sort(gaps.begin(), gaps.begin() + k);
        index_ = k % 2 ? fundamental * std::exp(gaps[k / 2])
                       : 0.5 * fundamental * (std::exp(gaps[k / 2 - 1]) + std::exp(gaps[k / 2]));
    }
    basis_ema_ += decays.basis_weight * ((trade - index_) - basis_ema_);
}

}  // namespace wipeout::engine
