// One path replayed alone (wipeout/replay.h): what `wipeout path` and wipeout.path compute.
#include "wipeout/replay.h"

#include "wipeout/market_inputs.h"
#include "wipeout/parameter.h"

namespace wipeout {

ReplayedPath replay_path(const Scenario& scenario, std::uint64_t seed, std::uint64_t index, bool check_invariants,
                         bool with_trace) {
    const MarketInputs inputs = MarketInputs::load(scenario.run());
    ReplayedPath r;
    r.parameters.resize(parameter_specs().size());
    const CascadeParams params = scenario.sample(seed, index, r.parameters);
    CascadeEngine engine(inputs, EngineOptions{check_invariants});
    r.outputs = engine.run(params, seed, index, with_trace ? &r.trace : nullptr);
    r.cohorts = engine.last_cohort_count();
    return r;
}

}  // namespace wipeout
