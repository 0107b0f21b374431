#pragma once
// M10: auto-deleveraging, with no book impact. The queue (adl.design = queue) closes the opposite side's
// positions in profit, best-ranked first by the venue's score (wipeout/adl_ranking.h), at the liquidated
// position's bankruptcy price, until the quantity is matched or no position in profit is left. The other
// designs close every position in profit by the same share of its quantity and spread the deficit at the mark
// over them: pro rata to their profit, or water-filled (the smallest largest haircut). docs/model.md, M10.
#include <cstdint>
#include <utility>
#include <vector>

#include "crowd.h"
#include "invariants.h"
#include "wipeout/cascade_engine.h"
#include "wipeout/cascade_params.h"
#include "wipeout/path_outputs.h"

namespace wipeout::engine {

/// An entry of the ADL queue, under its score: a cohort (id: its grid id, or past the grid a pool slot), or a
/// stand-in for cohorts not yet scored.
/// - A grid cohort heads a stretch of its run whose scores fall in the direction `step` (+1 or -1) within
///   entry levels [lo, hi).
/// - A pool slot of an expanded group is followed by the group's cohorts in ranked[lo, hi).
/// - Not `exact`: a grid run's levels [lo, hi) in profit and not yet taken over (id: the run's grid id at lo)
///   under an upper bound of their scores.
/// - A group of the pool's fixed slots (id: kAdlGroup | group) under an upper bound of its cohorts' scores.
struct AdlItem {
    double score;
    std::uint32_t id;
    std::uint32_t lo = 0, hi = 0;
    std::int8_t step = 0;
    bool exact = true;
};
/// A group of the pool's fixed slots (SideBook::groups), under an upper bound of its cohorts' scores.
inline constexpr std::uint32_t kAdlGroup = std::uint32_t{1} << 30;

/// One position group's haircut over the path (a cohort: grid id, pool slot or the M12 cohort still opening),
/// for the concentration outputs: the haircut and how many positions took it.
struct AdlHit {
    double haircut = 0, positions = 0;
    double entry = 0, leverage = 0;  // a pool slot's cohort, to tell a reused slot from the same cohort
};

/// A position in profit that a pro-rata or min-max round shares the deficit over.
struct AdlCandidate {
    std::uint32_t id;  // as AdlItem
    double qty, position_qty, profit_per_unit;
    double haircut;  // this round's
};

/// What a pro-rata or min-max round did: the quantity matched, the deficit at the mark of what it matched
/// (negative when the mark is above the bankruptcy price) and the haircut that covered it.
struct AdlShare {
    double matched = 0, deficit = 0, haircut = 0;
};

class Adl {
  public:
    /// Buffers a path reuses from the one before (never their values).
    struct Buffers {
        std::vector<AdlItem> queue;
        std::vector<std::pair<double, std::uint32_t>> ranked;  // expanded groups' cohorts, each group sorted
        std::vector<std::uint32_t> handed;     // cohorts handed out this round (only with invariant checks)
        std::vector<AdlCandidate> candidates;  // pro-rata, min-max: this round's positions in profit
        std::vector<AdlHit> grid_hits[2], pool_hits[2];  // per side (Side as index): the concentration's
        AdlHit opening_hit;                              // records, empty until ADL
    };

    Adl(const CascadeParams& p, Buffers& buffers, EngineCounters& counters, InvariantChecks checks)
        : ranking_(p.adl_ranking),
          design_(p.adl_design),
          buffers_(buffers),
          counters_(counters),
          checks_(checks) {
        for (auto* hits :
             {&buffers.grid_hits[0], &buffers.grid_hits[1], &buffers.pool_hits[0], &buffers.pool_hits[1]})
            hits->clear();
        buffers.opening_hit = {};
    }

    AdlDesign design() const { return design_; }

    /// Deleverages `qty` of the side opposite `liquidated` at `price` (the bankruptcy price), ranked at
    /// `mark`, in the step that started at t. Returns the quantity it could match.
    [[gnu::noinline]] double deleverage(Crowd& crowd, Side liquidated, double qty, double price, double mark,
                                        double t);
    /// Pro-rata and min-max: closes up to `qty` of the side opposite `liquidated`, taking the same share of
    /// every position in profit, and spreads the deficit of what it matched (the loss beyond the liquidated
    /// position's margin had it closed at `mark`, `price` being its bankruptcy price) over them, no position
    /// giving up more than the profit of its closed part. What that cannot cover is left to the caller.
    [[gnu::noinline]] AdlShare share(Crowd& crowd, Side liquidated, double qty, double price, double mark,
                                     double t);

    /// Notional deleveraged in the current step, and a new step.
    double step_notional() const { return step_notional_; }
    void begin_step() { step_notional_ = 0; }
    /// Writes the ADL outputs.
    void report(PathOutputs& out) const;

  private:
    /// What one round works on: the side opposite the liquidated one, its positions and the grid's size.
    struct Round {
        Side side;
        SideBook& book;
        const std::vector<CohortRun>& runs;
        const Population& pop;
        std::size_t ne, grid_size;
    };
    /// Starts a round against the side opposite `liquidated`; on the first on that side of the path, what ADL
    /// takes is tracked from then on.
    Round begin_round(Crowd& crowd, Side liquidated);
    /// Adds a round's haircut of cohort `id` (grid_size: where the pool's ids start) to its record;
    /// `positions` are those hit, new ones (the queue closes them) or the same each round (`same_positions`:
    /// the other designs reduce every position of the cohort).
    [[gnu::always_inline]] inline void record(Side side, std::uint32_t id, std::size_t grid_size,
                                              std::size_t pool_size, double entry, double leverage,
                                              double haircut, double positions, bool same_positions);
    /// A record whose cohort is gone (its pool slot reused) joins the closed sums.
    void close(const AdlHit& hit);
    /// Under --check: the round hit every position in profit and covered what it must (docs/model.md).
    void check_share(Crowd& crowd, Side side, double qty, double mark, const AdlShare& done,
                     double total_profit, double closed, double t) const;

    AdlRanking ranking_;
    AdlDesign design_;
    Buffers& buffers_;
    EngineCounters& counters_;
    InvariantChecks checks_;
    double notional_ = 0, haircut_ = 0, positions_ = 0, step_notional_ = 0, overshoot_ = 0;
    // records closed before the path's end (a pool slot reused by another cohort): sums over them of the
    // haircut, of haircut^2 / positions, and the largest haircut per position
    double closed_haircut_ = 0, closed_square_ = 0, closed_max_ = 0;
};

}  // namespace wipeout::engine
