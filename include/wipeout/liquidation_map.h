#pragma once
// The liquidation map of a crowd (the "liquidation heatmap" of market-data vendors): at each price level the
// notional whose liquidation price lies there, longs below the reference price P0 and shorts above, its
// cumulative curves from P0 outward, and the cliff: the smallest move from P0 at which the cumulative forced
// flow exceeds the book's depth resting within that move (docs/model.md, "The liquidation map").
//
// A cohort's notional is qty x its liquidation price: the flow that hits the book when it triggers (not its
// notional at P0, which the open interest counts). Longs at or below 1x (liquidation price 0) never liquidate
// and shorts whose price is unbounded neither: they are left out of the map and counted. A map is a pure
// function of the crowd, P0, the bins and the depth; `wipeout liq-map` prints it and `wipeout run` stores the
// map of path 0's crowd in the results file (/liquidation_map, docs/results_format.md).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wipeout/crowd_population.h"
#include "wipeout/order_book.h"

namespace wipeout {

struct CascadeParams;
struct MarketInputs;
struct Population;
class Scenario;
namespace h5 {
class File;
}

/// Bins a map may have (`wipeout liq-map --bins`), and the default.
inline constexpr std::size_t kMaxLiquidationMapBins = 100000;
inline constexpr std::size_t kDefaultLiquidationMapBins = 200;
/// The default range: P0 times these.
inline constexpr double kLiquidationMapLow = 0.5, kLiquidationMapHigh = 1.5;

/// The depth a move from P0 meets at t = 0: the quote notional resting within the move on the side it walks
/// (a fall walks the bids, a rise the asks). Unlimited past the deepest displacement the engine's book shows
/// (kMaxBookDisplacement), as in the engine.
class BookDepth {
  public:
    /// D(m) = d1 (m / 1%)^beta on each side (MODEL.md M3).
    static BookDepth power_law(double depth_1pct, double shape);
    /// An order-book snapshot's profile, as the engine walks it (BookSnapshot::profile(): the snapshot's own
    /// depth_within between its levels, a power-law tail past the deepest), times `depth_1pct` per unit.
    static BookDepth profile(const BookProfile& profile, double depth_1pct);

    /// Quote notional within a move m >= 0 from P0, down (bids) or up (asks); +inf past kMaxBookDisplacement.
    double within(bool down, double move) const;
    bool from_profile() const { return profile_.has_value(); }
    double depth_1pct() const { return depth_1pct_; }
    double shape() const { return shape_; }  ///< the power law's beta, or the profile's tail exponent

  private:
    double depth_1pct_ = 0, shape_ = 1;
    std::optional<BookProfile> profile_;
};

struct LiquidationMapBin {
    double price;  ///< the bin's centre; the bin holds liquidation prices in [low, high) (the last one: high
                   ///< too)
    double low, high;
    double long_liquidated;   ///< quote notional (qty x liquidation price) of the longs liquidated in the bin
    double short_liquidated;  ///< and of the shorts
    double long_cumulative;   ///< longs liquidated by a fall from P0 to `low` (0 where low >= P0)
    double short_cumulative;  ///< shorts liquidated by a rise from P0 to `high` (0 where high <= P0)
    double bid_depth;         ///< depth within the fall from P0 to `low` (0 where low >= P0)
    double ask_depth;         ///< depth within the rise from P0 to `high` (0 where high <= P0)
};

/// Where the cumulative forced flow of one side first exceeds the depth within the move: the smallest move m
/// (within the map's range) with F(m) > D(m), F(m) the notional of the side's cohorts whose liquidation price
/// a move of m reaches. F steps up at cohorts' prices and D grows continuously, so m is a cohort's move.
/// Past it the forced flow feeds the move, up to its reach: the smallest move beyond m at which the depth has
/// caught up with what the move has liquidated, D(reach) = F(reach). A crowd dense at P0 on a square-root book
/// (D ~ m^2 against F ~ m) has its cliff at once, a hair from P0; its reach says how far a nudge runs.
struct LiquidationCliff {
    static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    bool found = false;     ///< false: none within the range (the numbers NaN)
    double move = kNone;    ///< relative move from P0, > 0 (down for the longs' cliff, up for the shorts')
    double price = kNone;   ///< P0 (1 -/+ move): the liquidation price of the cohort where F crosses D
    double forced = kNone;  ///< F(move): the cumulative forced notional there
    double depth = kNone;   ///< D(move)
    /// Where D catches up with F again (the range's cohorts counted, those past its far end not: a lower bound
    /// when the reach is past the range); at most the book's deepest displacement.
    double reach = kNone;
    double reach_price = kNone;   ///< P0 (1 -/+ reach)
    double reach_forced = kNone;  ///< F(reach) = D(reach): what the move liquidates on its own
};

/// One side's totals.
struct LiquidationMapSide {
    double open_interest = 0;  ///< qty x P0 over every cohort of the side (mapped or not)
    double notional = 0;       ///< qty x liquidation price over the side's liquidating cohorts
    double in_range = 0;       ///< of which in the map's bins
    double before_range = 0;   ///< between P0 and the range (P0 outside the range): in the cumulative curves
    double beyond_range = 0;   ///< past the range's far end from P0
    std::size_t cohorts = 0;   ///< liquidating cohorts
    std::size_t never_cohorts = 0;  ///< cohorts that never liquidate (longs at or below 1x)
    double never_open_interest = 0;
    std::size_t crossed_cohorts = 0;  ///< at or past their liquidation price at P0 (none in a built crowd)
    double crossed_open_interest = 0;
};

struct LiquidationMap {
    double reference_price = 0;
    double low = 0, high = 0;  ///< the range the bins divide equally
    std::vector<LiquidationMapBin> bins;
    LiquidationMapSide longs, shorts;
    LiquidationCliff cliff_down;  ///< the longs' (a fall)
    LiquidationCliff cliff_up;    ///< the shorts' (a rise)
};

/// The prices [low, high) a map divides into `bins` equal bins.
struct LiquidationMapRange {
    double low;
    double high;
    std::size_t bins = kDefaultLiquidationMapBins;
};

/// The map of `crowd` (its grid cohorts, Population::cohort, and its explicit ones) around `reference_price`.
/// Throws InputError for a reference price that is not positive and finite, a range that is not finite with
/// 0 <= low < high, or bins outside [1, kMaxLiquidationMapBins].
LiquidationMap liquidation_map(const Population& crowd, double reference_price,
                               const LiquidationMapRange& range, const BookDepth& depth);

/// The depth a path with `params` starts with: the order-book snapshot's profile at its d1 when the scenario
/// has one, else the power law of book.depth_1pct and book.shape; times the air pocket's depth factor when
/// the path is in one (M2), as the engine's book at t = 0.
BookDepth book_depth_at_start(const CascadeParams& params, const MarketInputs& inputs);

/// The map of one path's crowd of a scenario, and what it was made of.
struct CrowdLiquidationMap {
    LiquidationMap map;
    CrowdBuild crowd;
    std::uint64_t seed = 0;
    std::uint64_t path = 0;
    std::string crowd_text;  ///< the crowd in words ("the positions.* grid", "position snapshot FILE", ...)
    std::string
        book_text;  ///< the book in words ("power law d1 = ..., beta = ...", "order-book snapshot FILE")
};

/// The map of the crowd path `path` of `scenario` starts with under master `seed` (Scenario::sample, then
/// build_crowd_population and book_depth_at_start), over `prices` (default: P0 x [0.5, 1.5]) in `bins` bins.
CrowdLiquidationMap crowd_liquidation_map(const Scenario& scenario, const MarketInputs& inputs,
                                          std::uint64_t seed, std::uint64_t path,
                                          std::optional<std::pair<double, double>> prices,
                                          std::size_t bins = kDefaultLiquidationMapBins);

/// The map as the group /liquidation_map of a results file (docs/results_format.md): one dataset per column
/// (price, long_liquidated, short_liquidated, long_cumulative, short_cumulative, bid_depth, ask_depth) and
/// the reference price, range, cliffs, totals and provenance as attributes.
void write_liquidation_map(const h5::File& file, const CrowdLiquidationMap& map);

}  // namespace wipeout
