#pragma once
// M10: auto-deleveraging. Closes the opposite side's positions in profit, best-ranked first by the venue's
// score (wipeout/adl_ranking.h), at the liquidated position's bankruptcy price, with no book impact, until
// the quantity is matched or no position in profit is left.
#include <cstdint>
#include <utility>
#include <vector>

#include "crowd.h"
#include "invariants.h"
#include "wipeout/cascade_engine.h"
#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"

namespace wipeout::engine {

/// An entry of the ADL queue: a cohort (id: its grid id, or past the grid an extra cohort) under its score,
/// followed by the cohorts in ranked[lo, hi) when it heads an expanded run; or a grid run's entry levels
/// [lo, hi) in profit and not yet taken over (id: kAdlRun | run) under an upper bound of their scores.
struct AdlItem {
    double score;
    std::uint32_t id;
    std::uint32_t lo = 0, hi = 0;
};
inline constexpr std::uint32_t kAdlRun = std::uint32_t{1} << 31;

class Adl {
  public:
    /// Buffers a path reuses from the one before (never their values).
    struct Buffers {
        std::vector<AdlItem> queue;
        std::vector<std::pair<double, std::uint32_t>> ranked;  // expanded runs' cohorts, each run sorted
        std::vector<std::uint32_t> handed;  // cohorts handed out this round (only with invariant checks)
    };

    Adl(const CascadeParams& p, Buffers& buffers, EngineCounters& counters, InvariantChecks checks)
        : ranking_(p.adl_ranking), buffers_(buffers), counters_(counters), checks_(checks) {}

    /// Deleverages `qty` of the side opposite `liquidated` at `price` (the bankruptcy price), ranked at
    /// `mark`, in the step that started at t. Returns the quantity it could match.
    [[gnu::noinline]] double deleverage(Crowd& crowd, Side liquidated, double qty, double price, double mark,
                                        double t);

    /// Notional deleveraged in the current step, and a new step.
    double step_notional() const { return step_notional_; }
    void begin_step() { step_notional_ = 0; }
    void report(PathOutputs& out) const {
        out.adl_notional = notional_;
        out.adl_haircut = haircut_;
        out.adl_positions = positions_;
    }

  private:
    AdlRanking ranking_;
    Buffers& buffers_;
    EngineCounters& counters_;
    InvariantChecks checks_;
    double notional_ = 0, haircut_ = 0, positions_ = 0, step_notional_ = 0;
};

}  // namespace wipeout::engine
