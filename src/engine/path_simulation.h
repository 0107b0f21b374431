#pragma once
// One path of MODEL.md's story: the mechanisms, each in its own unit, and the step that calls them in the
// order of docs/model.md ("Order within a step"). Lives for one path; the buffers outlive it.
#include <cstdint>

#include "adl.h"
#include "clock.h"
#include "crowd.h"
#include "exogenous_flows.h"
#include "fundamental.h"
#include "invariants.h"
#include "liquidation_engine.h"
#include "market_depth.h"
#include "market_memory.h"
#include "path_record.h"
#include "regime.h"
#include "settlement.h"
#include "shock.h"
#include "venues.h"
#include "wipeout/cascade_engine.h"
#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"
#include "wipeout/population.h"
#include "wipeout/tiers.h"

namespace wipeout::engine {

/// What a path reuses from the one before: grown buffers and the crowd's saved initial state, never values.
struct PathBuffers {
    Crowd::Buffers crowd;
    Adl::Buffers adl;
    PathRecord::Buffers record;
};

class PathSimulation {
  public:
    /// Path `path_index` of the run with master `seed` on `population` (whose version tells the crowd when it
    /// can restore its initial state from the buffers instead of building it); `book`: an order-book
    /// snapshot's profile the book walks instead of the power law (null: none).
    PathSimulation(const CascadeParams& p, const TierTable& tiers, const GenericLiquidation& quotes,
                   const EngineOptions& options, const BookProfile* book, const Population& population,
                   std::uint64_t population_version, PathBuffers& buffers, EngineCounters& counters,
                   std::uint64_t seed, std::uint64_t path_index, bool tracing);

    PathOutputs run();
    /// After run(): whether fund_needed came from this path's own ledger (else it is NaN, and an unlimited
    /// fund's re-run of the path gives it: Settlement::fund_needed_known).
    bool fund_needed_known() const { return settlement_.fund_needed_known(); }

  private:
    /// One step of length dt from t.
    [[gnu::always_inline]] inline void step(double t, double dt);
    [[gnu::always_inline]] inline void record(double t, double backlog);
    void check_invariants(double t);
    double conservation_residual() const;
    PathOutputs finish();

    const CascadeParams& p_;  // cold use only: what a step reads is copied into the units
    EngineCounters& counters_;
    InvariantChecks checks_;
    double horizon_, quiet_move_;
    double initial_oi_;

    Regime regime_;  // M2
    Clock clock_;
    Fundamental fundamental_;   // M1: V
    Shock shock_;               // M1: the shock
    MarketDepth depth_;         // M2-M4: the book and its depth
    MarketMemory memory_;       // stress, momentum and forced flow remembered
    SpotVenues venues_;         // M5: spot venues, index, mark
    ExogenousFlows flows_;      // M1 transient flow, M11 dip buyers, M12 opportunistic shorts
    Crowd crowd_;               // M6-M7: positions not yet taken over, and their triggers
    Adl adl_;                   // M10
    Settlement settlement_;     // M9-M10: fills, the insurance fund, hand-off to ADL, the ledger
    LiquidationEngine engine_;  // M7-M8: take-overs, backlog, waves
    PathRecord record_;         // outputs read off the path
    double trade_;              // P: the perp's last trade price
    double forced_log_move_ = 0;  // M3: the permanent impact of the last step's forced flow, V's next move
};

}  // namespace wipeout::engine
