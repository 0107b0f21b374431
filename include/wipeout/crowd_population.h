#pragma once
// Which crowd a path of a scenario starts with (MODEL.md M6), in one place: a position snapshot's cohorts
// when the scenario has one ([positions] source), else the crowd the positions.* parameters describe, shaped
// by the market's history when history.enabled (the [run] history's bars when given, else a Brownian
// history). Used by `wipeout liq-map` and the liquidation map a run writes; the engine makes the same choice
// per path (src/engine/cascade_engine.cpp, which caches each kind of crowd between paths).
#include <cstdint>
#include <string_view>

#include "wipeout/position_snapshot.h"

namespace wipeout {

struct CascadeParams;
struct MarketInputs;
struct Population;
struct PopulationScratch;

/// Where a crowd came from.
enum class CrowdSource : std::uint8_t {
    Grid,         ///< the positions.* distributions by quadrature
    History,      ///< what a Brownian price history with the history.* parameters leaves
    HistoryBars,  ///< what the [run] history's bars leave
    Snapshot,     ///< a position snapshot's cohorts
};
/// "grid", "history", "history-bars", "snapshot".
std::string_view crowd_source_name(CrowdSource source);

struct CrowdBuild {
    CrowdSource source = CrowdSource::Grid;
    PositionSnapshot::Summary snapshot;  ///< what the snapshot's build kept (source Snapshot only)
};

/// Builds into `out` the crowd a path with `params` starts with: `inputs.positions` built with the path's
/// liquidation fee, reference price and positions.oi_scale when the scenario has a snapshot, else
/// build_population with `inputs.tiers` and `inputs.history_or_null()`, its open interest stated in the
/// order-book snapshot's d1 when the scenario has one (book.depth_1pct then unused, as in the engine). Throws
/// what they throw.
CrowdBuild build_crowd_population(const CascadeParams& params, const MarketInputs& inputs,
                                  PopulationScratch& scratch, Population& out);

}  // namespace wipeout
