#pragma once
// M6 position population as cohorts: side x entry level x leverage level x size class, each with its exact
// liquidation price (M7). Built by quadrature of the sampled distributions (no random draws, no per-path
// sort: a bucket pass orders cohorts by liquidation price in O(cohorts)).
#include <cstdint>
#include <vector>

#include "wipeout/cascade_params.h"
#include "wipeout/margin.h"

namespace wipeout {

class TierTable;

/// A group of identical isolated positions. Margin is qty * entry / leverage (kept proportional through
/// partial closes and ADL, so a cohort's liquidation price only changes when its tier does).
struct Cohort {
    double liquidation_price;
    double entry;
    double qty;        ///< base units, all positions together
    double position_qty;  ///< one position's quantity (its notional picks the maintenance tier)
    double leverage;
    std::uint8_t size_class;
    std::uint8_t tier;
    std::uint16_t flags;  ///< kOpportunistic, ...

    double margin() const { return qty * entry / leverage; }
    double count() const { return qty / position_qty; }
    /// Price at which the margin is exactly spent.
    double bankruptcy_price(Side side) const {
        return side == Side::Long ? entry * (1.0 - 1.0 / leverage) : entry * (1.0 + 1.0 / leverage);
    }
};

inline constexpr std::uint16_t kOpportunistic = 1;  ///< an M12 short opened during the fall

/// Both sides, each ordered in the direction the market reaches them: longs by descending liquidation
/// price, shorts by ascending.
struct Population {
    std::vector<Cohort> longs;
    std::vector<Cohort> shorts;
    double long_oi = 0;   ///< quote notional at P0
    double short_oi = 0;
};

/// Per-path scratch for the build, reused so a path allocates nothing once grown.
struct PopulationScratch {
    std::vector<double> entries, entry_weights, leverages, leverage_weights, size_notional, size_weights;
    std::vector<double> ratio_long, ratio_short;       // liquidation price / entry per (leverage, size)
    std::vector<double> lev_long, lev_short;           // leverage after the tier's cap
    std::vector<std::uint8_t> tier_long, tier_short;
    std::vector<std::uint32_t> bucket_count;
    std::vector<Cohort> unsorted;
};

/// Builds the population of one path into `out` (cleared first).
void build_population(const CascadeParams& params, const TierTable& tiers, PopulationScratch& scratch,
                      Population& out);

/// Orders cohorts by liquidation price in the direction the market reaches them (descending for longs,
/// ascending for shorts), exactly, in O(n) for well-spread prices: a bucket pass and an insertion pass.
void order_for_trigger(std::vector<Cohort>& cohorts, Side side, double reference_price, PopulationScratch& scratch);

}  // namespace wipeout
