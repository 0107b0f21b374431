#pragma once
// M6 position population as cohorts: side x entry level x leverage level x size class, each with its exact
// liquidation price (M7). Built by quadrature of the sampled distributions: a cohort's weight is the
// probability mass of its cell, so a path's population costs no random draws and carries no sampling noise.
//
// The grid is never materialized. For one (leverage, size) pair the liquidation price is entry x a fixed
// ratio (a size class fixes the notional, hence the bracket at the liquidation price), so the pair's cohorts
// over the ascending entry levels form a run already ordered by liquidation price. The engine merges the
// runs lazily with a heap: building a path's population is O(entries + runs), not O(cohorts).
#include <array>
#include <cstdint>
#include <vector>

#include "wipeout/cascade_params.h"
#include "wipeout/margin.h"

namespace wipeout {

class TierTable;

/// A group of identical isolated positions. Margin is qty * entry / leverage, kept proportional through
/// partial closes and ADL, so a cohort's liquidation price only changes when its bracket does.
struct Cohort {
    double liquidation_price;
    double entry;
    double qty;           ///< base units, all positions together
    double position_qty;  ///< one position's quantity (its notional picks the maintenance bracket)
    double leverage;
    std::uint8_t size_class;
    std::uint8_t tier;
    std::uint16_t flags;  ///< kOpportunistic, ...

    double margin() const { return qty * entry / leverage; }
    double count() const { return qty / position_qty; }
};

inline constexpr std::uint16_t kOpportunistic = 1;  ///< an M12 short opened during the fall

/// The cohorts of one (leverage, size) pair on one side.
struct CohortRun {
    double ratio;              ///< liquidation price / entry
    double leverage;           ///< after the bracket's cap
    double position_notional;  ///< one position's notional at entry
    double weight;             ///< leverage mass x size mass
    std::uint8_t tier;
    std::uint8_t size_class;
    std::uint32_t first_alive;  ///< entries [first_alive, last_alive) exist at t = 0
    std::uint32_t last_alive;
};

struct Population {
    std::vector<double> entries;        ///< ascending entry levels, shared by both sides
    std::vector<double> entry_weights;  ///< their probability masses
    std::vector<CohortRun> long_runs, short_runs;
    double long_qty_per_weight = 0;  ///< base units per unit of cohort weight
    double short_qty_per_weight = 0;
    /// Explicit cohorts in any order: a position snapshot or a test's hand-built book. They trigger
    /// alongside the grid's.
    std::vector<Cohort> longs, shorts;
    double long_oi = 0;  ///< quote notional at P0 (grid and explicit together)
    double short_oi = 0;

    /// The grid cohort at entry level e of run r.
    Cohort cohort(Side side, std::size_t run, std::size_t e) const {
        const CohortRun& k = (side == Side::Long ? long_runs : short_runs)[run];
        const double scale = side == Side::Long ? long_qty_per_weight : short_qty_per_weight;
        return Cohort{entries[e] * k.ratio,
                      entries[e],
                      scale * k.weight * entry_weights[e],
                      k.position_notional / entries[e],
                      k.leverage,
                      k.size_class,
                      k.tier,
                      0};
    }
    std::size_t cohort_count() const;
};

/// The margin module's isolated liquidation quote under the generic convention (isolated_liquidation with
/// Venue::Generic, MODEL.md M7), specialised to what the engine asks for every partial liquidation: a
/// position of `qty` opened at `entry` with margin qty * entry / leverage. The same bracket walk and the
/// same floating-point operations, so the same bits; what isolated_liquidation would reject with an
/// InputError comes back as valid = false instead of an exception (tests/test_engine_perf.cpp checks both
/// against the margin module).
class GenericLiquidation {
  public:
    struct Quote {
        bool valid = false;       ///< isolated_liquidation would accept the position
        bool liquidates = false;  ///< false: a long at or below 1x, never liquidated
        double price = 0;         ///< liquidation price (0 when it never liquidates)
        int tier = 0;             ///< bracket the maintenance margin is taken from
    };

    GenericLiquidation() = default;
    GenericLiquidation(const TierTable& tiers, double fee);
    Quote quote(Side side, double entry, double qty, double leverage) const;

  private:
    struct Bracket {
        double floor, cap, max_leverage, maint_amount;
        double long_denominator, short_denominator;  // 1 -/+ (mmr + fee)
        bool long_solvable;                          // mmr + fee < 1
    };
    std::vector<Bracket> brackets_;
    double fee_ = 0;
    double max_notional_ = 0;
    bool fee_valid_ = false;
};

/// Scratch reused across paths so a path allocates nothing once grown; it also caches the liquidation
/// ratios, which only change when the leverage levels, size classes or fee do.
struct PopulationScratch {
    std::vector<double> leverages, log_leverages, leverage_weights, size_notional, size_weights;
    std::vector<double> weight_prefix;  // prefix sums of the entry weights: a run's mass is one subtraction
    std::vector<double> boundary_cdf;   // leverage cells' boundaries, log-normal CDF
    // Each stage is a pure function of a few parameters, kept with them until they change (a scenario samples
    // a few parameters per path; the rest of the build is then reused, which changes no value).
    std::array<double, 5> entry_key{};
    std::array<double, 4> leverage_key{};
    std::array<double, 3> size_key{};
    bool entry_valid = false, leverage_valid = false, size_valid = false;
    std::vector<double> cached_entries, cached_entry_weights;
    std::vector<double> cached_leverages, cached_sizes;
    double cached_fee = -1;
    const TierTable* cached_tiers = nullptr;
    std::vector<CohortRun> ratio_long,
        ratio_short;  // per (leverage, size); weight unset; leverage 0 = infeasible
};

/// Builds the population of one path into `out`.
void build_population(const CascadeParams& params, const TierTable& tiers, PopulationScratch& scratch,
                      Population& out);

}  // namespace wipeout
