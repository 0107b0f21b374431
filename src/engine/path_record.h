#pragma once
// The path's record: what the outputs need of every step (and the full trace row when one is asked for), and
// the outputs that are read off the whole path's prices and liquidations once it is over.
#include <cstddef>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"

namespace wipeout::engine {

/// What the outputs need of each step.
struct StepRow {
    double time_s, fundamental, trade_price, index_price;
    double liquidated;  // long and short notional liquidated during the step
};

class PathRecord {
  public:
    struct Buffers {
        std::vector<StepRow> steps;
        std::vector<TraceRow> rows;
    };

    PathRecord(Buffers& buffers, bool tracing)
        : steps_(buffers.steps), rows_(buffers.rows), tracing_(tracing) {
        steps_.clear();
        rows_.clear();
    }

    bool tracing() const { return tracing_; }
    void add(const StepRow& row) { steps_.push_back(row); }
    void add_trace(const TraceRow& row) { rows_.push_back(row); }
    std::size_t steps() const { return steps_.size() - 1; }

    /// The price, bounce and tempo outputs of the path, and the liquidated share of `initial_oi`: read off
    /// the record. `o` must already hold the liquidated notionals.
    void summarize(const CascadeParams& p, double initial_oi, PathOutputs& o) const;

  private:
    std::vector<StepRow>& steps_;
    std::vector<TraceRow>& rows_;  // only when tracing
    bool tracing_;
};

}  // namespace wipeout::engine
