#pragma once
// The per-path cascade engine: one fully specified path in, that path's outputs out. No I/O.
// One engine per thread: it owns scratch buffers that it reuses from path to path, so a path allocates
// nothing once the buffers have grown to size.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"
#include "wipeout/population.h"

namespace wipeout {

class TierTable;
class PriceHistory;
struct MarketInputs;

/// One row of a path's time series (written by `wipeout path --trace` and run's /trajectories).
struct TraceRow {
    double time_s;
    double fundamental;     ///< V
    double trade_price;     ///< P
    double index_price;     ///< S
    double mark_price;      ///< M
    double bid_depth_1pct;  ///< d1(t): current depth within 1% on each side after evaporation and regime
    double liquidation_backlog;  ///< notional waiting for the engine's throughput
    double liquidated_long;      ///< notional of longs liquidated during this step
    double liquidated_short;
    double fund_balance;
    double adl_notional;         ///< notional auto-deleveraged during this step
    double waves;                ///< trigger-and-fill rounds that liquidated something during this step
};

/// Column names of TraceRow, in order.
std::span<const std::string_view> trace_columns();

/// A row's values in trace_columns() order.
inline std::array<double, 12> trace_values(const TraceRow& r) {
    return {r.time_s, r.fundamental, r.trade_price, r.index_price, r.mark_price, r.bid_depth_1pct,
            r.liquidation_backlog, r.liquidated_long, r.liquidated_short, r.fund_balance, r.adl_notional, r.waves};
}

struct PathTrace {
    std::vector<TraceRow> rows;
};

/// Thrown by a path run with invariant checks on: names the invariant, the time and the numbers.
class InvariantViolation : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct EngineOptions {
    bool check_invariants = false;  ///< check money conservation, ADL order and liquidation completeness each step
};

/// What the last path cost in units of work: the cost model's drivers (docs/performance.md).
struct EngineCounters {
    std::size_t cohorts = 0;       ///< cohorts in the path's population, grid and explicit
    std::size_t steps = 0;         ///< clock steps
    std::size_t take_overs = 0;    ///< cohorts the liquidation engine took over (a partial cut counts once)
    std::size_t partial_cuts = 0;  ///< take-overs that cut a position down a bracket instead of closing it
    std::size_t grid_blocks = 0;   ///< runs of crossed grid cohorts taken over in one aggregated step
    std::size_t adl_rounds = 0;    ///< shortfalls sent to ADL (each ranks the opposite side once)
    std::size_t fund_reruns = 0;   ///< 1 when fund_needed took a re-run of the path with an unlimited fund
};

class CascadeEngine {
public:
    /// `tiers` is the maintenance-margin bracket table every cohort's liquidation price uses. The engine
    /// keeps its own copy.
    explicit CascadeEngine(const TierTable& tiers, EngineOptions options = {});
    /// With a price history: the crowd of every path with history.enabled is the one its bars leave (M6).
    CascadeEngine(const TierTable& tiers, const PriceHistory* history, EngineOptions options = {});
    /// With everything a run reads: the tiers, the price history, and the snapshots of positions (which replace
    /// the parametric crowd of every path) and of the order book.
    explicit CascadeEngine(const MarketInputs& inputs, EngineOptions options = {});
    ~CascadeEngine();
    CascadeEngine(CascadeEngine&&) noexcept;
    CascadeEngine& operator=(CascadeEngine&&) noexcept;

    /// Runs path `path_index` of the run with master `seed`: a pure function of (params, seed, path_index).
    /// With a trace, every step's state is appended to it.
    PathOutputs run(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                    PathTrace* trace = nullptr);

    /// Runs a path on a population you supply (a position snapshot, or a test's hand-built book) instead of
    /// the one the parameters describe. Cohorts must be ordered as build_population orders them.
    PathOutputs run(const CascadeParams& params, const Population& population, std::uint64_t seed,
                    std::uint64_t path_index, PathTrace* trace = nullptr);

    /// Number of cohorts the last run built (for cost accounting).
    std::size_t last_cohort_count() const;
    /// Work counters of the last run (for cost accounting).
    const EngineCounters& last_counters() const;

private:
    PathOutputs simulate(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index, PathTrace* trace);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wipeout
