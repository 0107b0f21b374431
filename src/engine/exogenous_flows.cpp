#include "exogenous_flows.h"

#include <limits>

#include "wipeout/error.h"
#include "wipeout/margin.h"

namespace wipeout::engine {

ExogenousFlows::ExogenousFlows(const CascadeParams& p, const TierTable& tiers, const Regime& regime,
                               const MarketDepth& depth, double open_interest)
    : shorts_enabled_(p.shorts_enabled),
      buyers_enabled_(p.buyers_enabled),
      buyer_intensity_(p.buyer_intensity_per_s),
      reservation_(p.buyer_reservation),
      flush_(p.buyer_flush_flow * depth.base()),
      reservation_per_depth_(depth.book().consumed_at_per_depth(p.buyer_reservation)),
      // The model states the flow rates per 1% of momentum or discount.
      short_flow_per_momentum_(p.short_intensity_per_s * depth.base() * 100.0),
      buyer_flow_per_discount_(p.buyer_intensity_per_s * regime.buyers * depth.base() * 100.0),
      cascade_share_(p.short_cascade_share),
      perp_share_(p.buyer_perp_share),
      limited_(p.buyer_budget > 0),
      budget_(p.buyer_budget * open_interest) {
    // M12's shorts: a position of kShortPositionMultiple smallest sizes at the leverage the scenario asks
    // for, within its bracket's maximum; their liquidation price as a ratio of their entry.
    const double notional = std::min(kShortPositionMultiple * p.size_min, 0.999 * tiers.max_notional());
    const double leverage =
        std::min(p.short_leverage, tiers[tiers.index_for_notional(notional)].max_leverage);
    short_notional_ = notional;
    short_leverage_ = leverage;
    try {
        const double e = p.reference_price;
        const auto q = isolated_liquidation({Side::Short, e, notional / e, notional / leverage}, tiers,
                                            {p.liquidation_fee, Venue::Generic});
        short_ratio_ = q.liquidates ? q.liquidation_price / e : std::numeric_limits<double>::infinity();
    } catch (const InputError&) {
        short_ratio_ = 0.0;  // such a short cannot be opened: M12 has no one to act
    }
}

}  // namespace wipeout::engine
