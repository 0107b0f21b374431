#pragma once
// One path of a run replayed alone, as `wipeout path` and the Python module's wipeout.path give it: the same
// (scenario, seed, index) gives the same numbers as that row of the run's results file.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wipeout/cascade_engine.h"
#include "wipeout/path_outputs.h"
#include "wipeout/scenario.h"

namespace wipeout {

struct ReplayedPath {
    std::vector<double> parameters;  ///< the sampled values in parameter_specs() order (a choice as its index)
    PathOutputs outputs;
    PathTrace trace;  ///< every step's state; empty unless asked for
    std::size_t cohorts = 0;
};

/// Reads the files [run] names (tiers, history), samples path `index` of the run with master `seed` and runs
/// it, with its trace when `with_trace`. check_invariants: the engine checks them on every step
/// (InvariantViolation). Throws InputError for unreadable [run] files.
ReplayedPath replay_path(const Scenario& scenario, std::uint64_t seed, std::uint64_t index, bool check_invariants,
                         bool with_trace);

}  // namespace wipeout
