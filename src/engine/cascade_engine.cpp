// The cascade engine: one path of MODEL.md's story, mechanism by mechanism (docs/model.md has the
// equations). A step of the adaptive clock: fundamental (M1) -> depth (M2, M4) -> refill (M3) ->
// exogenous flow: shock, opportunistic shorts, dip buyers (M1, M12, M11) -> spot venues, index, mark (M5)
// -> liquidation waves through the book, the fund and ADL (M7-M10) -> stress and momentum.
#include "wipeout/cascade_engine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <sstream>

#include "fast_math.h"

#include "wipeout/adl_ranking.h"
#include "wipeout/error.h"
#include "wipeout/insurance_fund.h"
#include "wipeout/margin.h"
#include "wipeout/order_book.h"
#include "wipeout/population.h"
#include "wipeout/random.h"
#include "wipeout/tiers.h"

namespace wipeout {

std::span<const std::string_view> trace_columns() {
    static constexpr std::array<std::string_view, 12> kColumns{
        "time_s",           "fundamental",    "trade_price",         "index_price",
        "mark_price",       "bid_depth_1pct", "liquidation_backlog", "liquidated_long",
        "liquidated_short", "fund_balance",   "adl_notional",        "waves"};
    return kColumns;
}

namespace {

constexpr double kSecondsPerYear = 365.0 * 86400.0;
constexpr double kSecondsPerDay = 86400.0;
constexpr double kLiquidationFlowTimescale = 60.0;  // s: the dip buyers' memory of forced selling
constexpr double kShortBand = 0.0025;               // M12 shorts opened within 0.25% share a cohort
constexpr double kShortPositionMultiple = 10.0;     // their position notional, in units of size_min

Side opposite(Side s) {
    return s == Side::Long ? Side::Short : Side::Long;
}

/// The key an item is filed under: its liquidation price for a long, minus it for a short, so that on both
/// sides a greater key triggers sooner and "the mark crossed it" reads key >= key(mark).
template <Side S>
constexpr double trigger_key(double price) {
    return S == Side::Long ? price : -price;
}

/// Everything on one side not yet triggered, bucketed by key, so that finding what the mark has crossed costs
/// O(1) per item taken (heaps over ~10^2 runs and ~10^2 re-entered cohorts cost O(log n) sifts per take-over,
/// then the largest share of a path). An item is one of the grid's runs, filed under its next cohort, or one
/// explicit or re-entered cohort. Buckets are ~0.012% of P0 wide over prices in [0, 2 P0] (clamped beyond):
/// a bucket above the mark's is crossed whole, and in the mark's own bucket each key decides. Lists keep
/// insertion order, so the order of take-overs depends on nothing but the path.
class TriggerQueue {
  public:
    static constexpr int kBuckets = 1 << 12;

    void reset(Side side, double reference_price, std::size_t items) {
        scale_ = kBuckets / (2.0 * reference_price);
        offset_ = side == Side::Long ? 0.0 : kBuckets;  // short keys are in [-2 P0, 0]
        head_.resize(kBuckets);  // valid only where the bucket's bit is set: nothing to clear per path
        best_.resize(kBuckets);
        bits_.fill(0);
        top_ = -1;
        max_key_ = -std::numeric_limits<double>::infinity();
        next_.resize(items);
        key_.resize(items);
    }

    /// The queue as it stands, to be restored later (a path's initial queue depends on the population alone).
    struct State {
        double scale = 0, offset = 0, max_key = 0;
        int top = -1;
        std::array<std::uint64_t, kBuckets / 64> bits{};
        std::vector<std::int32_t> buckets, heads;  // the non-empty buckets and their first items
        std::vector<double> bests;
        std::vector<std::int32_t> next;  // items' links and keys
        std::vector<double> key;
    };
    void save(State& state, std::size_t items) const {
        state.scale = scale_;
        state.offset = offset_;
        state.max_key = max_key_;
        state.top = top_;
        state.bits = bits_;
        state.buckets.clear();
        state.heads.clear();
        state.bests.clear();
        for (std::size_t word = 0; word < bits_.size(); ++word) {
            for (std::uint64_t w = bits_[word]; w != 0; w &= w - 1) {
                const std::size_t b = word * 64 + static_cast<std::size_t>(std::countr_zero(w));
                state.buckets.push_back(static_cast<std::int32_t>(b));
                state.heads.push_back(head_[b]);
                state.bests.push_back(best_[b]);
            }
        }
        state.next.assign(next_.begin(), next_.begin() + static_cast<std::ptrdiff_t>(items));
        state.key.assign(key_.begin(), key_.begin() + static_cast<std::ptrdiff_t>(items));
    }
    /// Back to a saved state; items beyond it keep their room (stale links that nothing points to).
    void restore(const State& state) {
        scale_ = state.scale;
        offset_ = state.offset;
        max_key_ = state.max_key;
        top_ = state.top;
        bits_ = state.bits;
        for (std::size_t i = 0; i < state.buckets.size(); ++i) {
            const auto b = static_cast<std::size_t>(state.buckets[i]);
            head_[b] = state.heads[i];
            best_[b] = state.bests[i];
        }
        std::copy(state.next.begin(), state.next.end(), next_.begin());
        std::copy(state.key.begin(), state.key.end(), key_.begin());
    }

    /// Files `item` under `key`; items beyond the size given to reset() grow the queue.
    [[gnu::always_inline]] void insert(std::uint32_t item, double key) {
        if (item >= next_.size()) {
            next_.resize(2 * (item + 1));
            key_.resize(2 * (item + 1));
        }
        key_[item] = key;
        link(static_cast<std::int32_t>(item), bucket(key), key);
    }

    /// The greatest key filed (-infinity when empty): "anything crossed?" is one comparison.
    double max_key() const { return max_key_; }

    /// Removes every item filed at or above `key` and calls take(item) for each; take may file items again (a
    /// run's next cohort, a partial cut's rest), never at or above `key`.
    template <class Take>
    void take_at_or_above(double key, Take&& take) {
        const int mark_bucket = bucket(key);
        while (top_ >= mark_bucket) {
            const int b = top_;
            const auto ub = static_cast<std::size_t>(b);
            if (b == mark_bucket && best_[ub] < key) break;
            std::int32_t item = head_[ub];
            clear(b);
            while (item >= 0) {
                const auto i = static_cast<std::size_t>(item);
                const std::int32_t following = next_[i];
                if (key_[i] >= key) {
                    take(static_cast<std::uint32_t>(item));
                } else {
                    link(item, b, key_[i]);  // only in the mark's own bucket
                }
                item = following;
            }
            top_ = highest_at_or_below(b);
            if (b == mark_bucket) break;
        }
        max_key_ =
            top_ >= 0 ? best_[static_cast<std::size_t>(top_)] : -std::numeric_limits<double>::infinity();
    }

  private:
    int bucket(double key) const {
        // Non-decreasing in the key, which is all the exactness needs; clamped at both ends.
        const double x = key * scale_ + offset_;
        if (!(x >= 0.0)) return 0;
        if (x >= kBuckets - 1) return kBuckets - 1;
        return static_cast<int>(x);
    }
    void link(std::int32_t item, int b, double key) {
        const auto ub = static_cast<std::size_t>(b);
        const std::size_t word = ub >> 6;
        const std::uint64_t bit = std::uint64_t{1} << (ub & 63);
        if (bits_[word] & bit) {
            next_[static_cast<std::size_t>(item)] = head_[ub];
            best_[ub] = std::max(best_[ub], key);
        } else {
            next_[static_cast<std::size_t>(item)] = -1;
            best_[ub] = key;
            bits_[word] |= bit;
        }
        head_[ub] = item;
        top_ = std::max(top_, b);
        max_key_ = std::max(max_key_, key);
    }
    void clear(int b) {
        const auto ub = static_cast<std::size_t>(b);
        bits_[ub >> 6] &= ~(std::uint64_t{1} << (ub & 63));
    }
    int highest_at_or_below(int b) const {
        const auto ub = static_cast<std::size_t>(b);
        std::size_t word = ub >> 6;
        std::uint64_t bits = bits_[word] & (~std::uint64_t{0} >> (63 - (ub & 63)));
        while (bits == 0) {  // 64 words at most; the next item is usually in this word or the one below
            if (word == 0) return -1;
            bits = bits_[--word];
        }
        return static_cast<int>(word * 64 + 63 - static_cast<std::size_t>(std::countl_zero(bits)));
    }

    double scale_ = 1.0, offset_ = 0.0;  // bucket = key * scale + offset
    std::vector<std::int32_t> head_;     // per bucket: first item (valid where the bucket's bit is set)
    std::vector<double> best_;           // per bucket: its greatest key (same)
    std::vector<std::int32_t> next_;     // per item: the next in its bucket, -1 at the end
    std::vector<double> key_;            // per item
    std::array<std::uint64_t, kBuckets / 64> bits_{};            // non-empty buckets
    int top_ = -1;                                               // highest non-empty bucket
    double max_key_ = -std::numeric_limits<double>::infinity();  // best_[top_]
};

/// One side's positions not yet taken over: the grid's frontier (each run's next entry level to trigger), the
/// explicit and re-entered cohorts in a pool of slots (a slot is reused once its cohort is taken over; a free
/// slot has qty 0, which every scan skips), and the queue over both. Queue items: run k is item k, pool slot
/// s is item runs + s.
struct SideBook {
    std::vector<std::int64_t> next;  // per run: next entry level to trigger
    std::vector<double> left;        // per grid cohort: share not taken by ADL (empty until ADL)
    // Per run: entry levels [first, second) that ADL has emptied, contiguous (empty until ADL). ADL takes a
    // run from its best score outward, so what it empties is mostly one stretch, kept out of later rounds.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> emptied;
    std::vector<Cohort> pool;
    std::vector<std::uint32_t> free;
    std::uint32_t runs = 0;
    TriggerQueue queue;
    // What the population alone determines, saved after a build: the next path on the same population
    // restores it instead of filing every run again.
    struct Initial {
        std::vector<std::int64_t> next;
        std::vector<Cohort> pool;
        TriggerQueue::State queue;
    } initial;

    void add(const Cohort& c, double key) {
        std::uint32_t slot;
        if (free.empty()) {
            slot = static_cast<std::uint32_t>(pool.size());
            pool.push_back(c);
        } else {
            slot = free.back();
            free.pop_back();
            pool[slot] = c;
        }
        queue.insert(runs + slot, key);
    }
    /// Removes the cohort in `slot` from the pool and returns it.
    Cohort release(std::uint32_t slot) {
        Cohort c = pool[slot];
        pool[slot].qty = 0;
        free.push_back(slot);
        return c;
    }
};

/// Triggered positions waiting for the engine's throughput: aggregated, executed pro rata.
struct Backlog {
    double qty = 0, entry_value = 0, margin = 0;
    bool empty() const { return qty <= 0; }
};

double median3(double a, double b, double c) {
    return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

double mark_price(const CascadeParams& p, double index, double basis_ema, double trade) {
    switch (p.mark_rule) {
        case MarkRule::Index:
            return index;
        case MarkRule::Last:
            return trade;
        case MarkRule::Median:
            break;
    }
    return median3(index * (1.0 + p.funding_basis), index + basis_ema, trade);
}

/// 1 - exp(-dt / tau), the weight an EMA with time constant tau gives a step of length dt.
double ema_weight(double dt, double tau) {
    return -std::expm1(-dt / tau);
}

/// The fundamental's random part as a function of time alone, not of the adaptive clock: diffusion values at
/// fixed nodes from their own stream, a Brownian bridge between nodes (one substream per interval), jumps
/// at arrival times. So two scenarios that step differently still see the same fundamental path (common
/// random numbers), and a finer clock refines the path instead of redrawing it.
class FundamentalPath {
  public:
    static constexpr double kNodeSpacing = 300.0;  // s

    FundamentalPath(double volatility_annual, double jump_rate_per_day, double jump_stdev, std::uint64_t seed,
                    std::uint64_t path_index)
        : sigma_(volatility_annual / std::sqrt(kSecondsPerYear)),
          jump_rate_(jump_rate_per_day / kSecondsPerDay),
          jump_stdev_(jump_stdev),
          seed_(seed),
          path_index_(path_index),
          nodes_(seed, path_index, StreamId::Fundamental),
          bridge_(seed, path_index, StreamId::Bridge, 0),
          jumps_(seed, path_index, StreamId::Jumps) {
        next_node_value_ = node_step();
        if (jump_rate_ > 0) next_jump_ = exponential(jumps_) / jump_rate_;
    }

    /// Log change of the fundamental's random part from the current time to `to` (> current time).
    double advance(double to) {
        double change = 0;
        while (now_ < to) {
            const double node_time = node_time_;
            const double until = std::min(to, node_time);
            double value;
            if (until >= node_time) {
                value = next_node_value_;
                ++interval_;
                node_time_ = static_cast<double>(interval_ + 1) * kNodeSpacing;
                node_value_ = next_node_value_;
                next_node_value_ = node_value_ + node_step();
                bridge_ready_ =
                    false;  // the interval's stream is made when first sampled: long steps skip many
            } else if (sigma_ > 0) {
                // Bridge from (now, current) to (node, next node value).
                if (!bridge_ready_) {
                    bridge_ = RandomStream(seed_, path_index_, StreamId::Bridge, interval_);
                    bridge_ready_ = true;
                }
                const double span = node_time - now_, part = until - now_, inv_span = 1.0 / span;
                const double mean = current_ + part * inv_span * (next_node_value_ - current_);
                const double sd = sigma_ * std::sqrt(part * (span - part) * inv_span);
                value = mean + sd * normal_(bridge_);
            } else {
                value = current_ + (until - now_) / (node_time - now_) * (next_node_value_ - current_);
            }
            change += value - current_;
            current_ = value;
            now_ = until;
        }
        while (jump_rate_ > 0 && next_jump_ <= to) {
            change += jump_stdev_ * normal_(jumps_);
            next_jump_ += exponential(jumps_) / jump_rate_;
        }
        return change;
    }

  private:
    double node_step() {
        return sigma_ > 0 ? -0.5 * sigma_ * sigma_ * kNodeSpacing +
                                sigma_ * std::sqrt(kNodeSpacing) * normal_(nodes_)
                          : 0.0;
    }
    static double exponential(RandomStream& rng) { return -std::log1p(-rng.uniform()); }

    double sigma_, jump_rate_, jump_stdev_;
    std::uint64_t seed_, path_index_;
    RandomStream nodes_, bridge_, jumps_;
    detail::FastNormal normal_;  // boost's normal variates, common case inlined
    std::uint64_t interval_ = 0;
    bool bridge_ready_ = true;         // bridge_ is interval_'s stream
    double node_time_ = kNodeSpacing;  // end of the current interval
    double now_ = 0, current_ = 0, node_value_ = 0, next_node_value_ = 0;
    double next_jump_ = std::numeric_limits<double>::infinity();
};

/// Every factor that depends on the step length only: recomputed when dt changes, and cached per path by dt,
/// since the clock keeps coming back to the same few lengths (1 s, and the calm ramp 2, 4, ... 900 s).
struct Decays {
    double dt = -1;
    double refill = 1, depth_recovery = 1;
    double venue_keep = 1, venue_noise = 0;
    double basis_weight = 0, stress_weight = 0, momentum_weight = 0, flow_keep = 1;
};

struct DecayCache {
    static constexpr std::size_t kSlots = 16;
    std::array<Decays, kSlots> slots{};
    std::size_t used = 0, next = 0;
};

}  // namespace

/// What the outputs need of each step (a TraceRow is kept too only when a trace is asked for).
struct StepRow {
    double time_s, fundamental, trade_price, index_price;
    double liquidated;  // long and short notional liquidated during the step
};

/// Buffers a path reuses from the previous one (never its values: every path starts them afresh).
/// An entry of the ADL queue: a cohort (id: its grid id, or past the grid an extra cohort) under its score,
/// followed by the cohorts in adl_ranked[lo, hi) when it heads an expanded run; or a grid run's entry levels
/// [lo, hi) in profit and not yet taken over (id: kAdlRun | run) under an upper bound of their scores.
struct AdlItem {
    double score;
    std::uint32_t id;
    std::uint32_t lo = 0, hi = 0;
};
constexpr std::uint32_t kAdlRun = std::uint32_t{1} << 31;

struct PathBuffers {
    std::vector<StepRow> steps;
    std::vector<TraceRow> rows;
    std::vector<AdlItem> adl_queue;
    std::vector<std::pair<double, std::uint32_t>> adl_ranked;  // expanded runs' cohorts, each run sorted
    SideBook longs, shorts;
    std::uint64_t books_version =
        0;  // population version the books' saved initial states belong to (0: none)
};

struct CascadeEngine::Impl {
    TierTable tiers;
    EngineOptions options;
    PopulationScratch scratch;
    Population population;
    PathBuffers buffers;
    GenericLiquidation liquidation;  // for the fee it was built with
    double liquidation_fee = -1;
    std::size_t cohort_count = 0;
    EngineCounters counters;
    std::array<std::uint64_t, 17> population_key{};  // the parameters `population` was built from
    bool population_built = false;
    std::uint64_t population_version = 0;  // changes whenever `population` does

    Impl(const TierTable& t, EngineOptions o) : tiers(t), options(o) {}
};

CascadeEngine::CascadeEngine(const TierTable& tiers, EngineOptions options)
    : impl_(std::make_unique<Impl>(tiers, options)) {}
CascadeEngine::~CascadeEngine() = default;
CascadeEngine::CascadeEngine(CascadeEngine&&) noexcept = default;
CascadeEngine& CascadeEngine::operator=(CascadeEngine&&) noexcept = default;
std::size_t CascadeEngine::last_cohort_count() const {
    return impl_->cohort_count;
}
const EngineCounters& CascadeEngine::last_counters() const {
    return impl_->counters;
}

namespace {

/// Every parameter build_population reads, bit for bit: the population is a pure function of these (and of
/// the engine's tier table), so a path whose key equals the last one's reuses it as it is.
std::array<std::uint64_t, 17> population_key(const CascadeParams& p) {
    const double fields[17] = {p.reference_price,
                               p.entry_dispersion,
                               static_cast<double>(p.entry_bins),
                               p.round_share,
                               p.round_step,
                               static_cast<double>(p.leverage_bins),
                               p.max_leverage,
                               p.leverage_median,
                               p.leverage_sigma,
                               static_cast<double>(p.size_classes),
                               p.size_tail,
                               p.size_min,
                               p.liquidation_fee,
                               p.clearance,
                               p.oi_to_depth,
                               p.depth_1pct,
                               p.long_share};
    std::array<std::uint64_t, 17> key;
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = std::bit_cast<std::uint64_t>(fields[i]);
    return key;
}

}  // namespace

PathOutputs CascadeEngine::run(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                               PathTrace* trace) {
    const auto key = population_key(params);
    if (!impl_->population_built || impl_->population_key != key) {
        build_population(params, impl_->tiers, impl_->scratch, impl_->population);
        impl_->population_key = key;
        impl_->population_built = true;
        impl_->cohort_count = impl_->population.cohort_count();
        ++impl_->population_version;
    }
    return simulate(params, seed, path_index, trace);
}

PathOutputs CascadeEngine::run(const CascadeParams& params, const Population& population, std::uint64_t seed,
                               std::uint64_t path_index, PathTrace* trace) {
    impl_->population = population;
    impl_->population_built = false;  // not the parameters' own
    impl_->cohort_count = impl_->population.cohort_count();
    ++impl_->population_version;
    return simulate(params, seed, path_index, trace);
}

namespace {

/// One path's simulation state and its mechanisms. Lives for one path; the engine's Impl keeps the buffers.
class PathSimulation {
  public:
    PathSimulation(const CascadeParams& p, const TierTable& tiers, const GenericLiquidation& liquidation,
                   const EngineOptions& options, const Population& pop, PathBuffers& buffers,
                   EngineCounters& counters, std::uint64_t seed, std::uint64_t path_index, bool tracing,
                   std::uint64_t population_version)
        : p_(p),
          tiers_(tiers),
          liquidation_(liquidation),
          options_(options),
          pop_(pop),
          longs_(buffers.longs),
          shorts_(buffers.shorts),
          steps_(buffers.steps),
          rows_(buffers.rows),
          adl_queue_(buffers.adl_queue),
          adl_ranked_(buffers.adl_ranked),
          counters_(counters),
          tracing_(tracing),
          rng_(seed, path_index, StreamId::Market),
          fundamental_path_(p.volatility_annual, p.jump_rate_per_day, p.jump_stdev, seed, path_index),
          path_index_(path_index),
          base_depth_(p.depth_1pct),
          book_(p.depth_1pct, p.book_shape),
          fund_((pop.long_oi + pop.short_oi) * p.fund_to_oi, p.fund_enabled),
          initial_oi_(pop.long_oi + pop.short_oi) {
        const bool reuse = population_version != 0 && buffers.books_version == population_version;
        init_book(Side::Long, reuse);
        init_book(Side::Short, reuse);
        buffers.books_version = population_version;
        steps_.clear();
        rows_.clear();
        fundamental_ = p.reference_price;
        trade_ = index_ = mark_ = p.reference_price;
        venues_.fill(0.0);
        stress_ema_ = momentum_ema_ = log_trade_ = std::log(p.reference_price);
        regime_depth_ = (p.regime_enabled && p.air_pocket) ? p.regime_depth_factor : 1.0;
        regime_arbitrage_ = (p.regime_enabled && p.air_pocket) ? p.regime_arbitrage_factor : 1.0;
        regime_buyers_ = (p.regime_enabled && p.air_pocket) ? p.regime_buyer_factor : 1.0;
        book_.set_depth(base_depth_ * regime_depth_);
        depth_ = book_.depth();
        opportunistic_ratio_ = opportunistic_short_ratio();
        // Per-path constants of the shock: its transient flow rate and its permanent log move.
        shock_depth_multiple_ = std::pow((1.0 - p.shock_permanent_share) * p.shock_size / 0.01, p.book_shape);
        shock_log_move_ = std::log1p(-p.shock_permanent_share * p.shock_size);
        const double kappa = p.arbitrage_rate_per_s * regime_arbitrage_,
                     rate = kappa + p.spot_anchor_rate_per_s;
        index_pull_ = rate > 0 ? kappa / rate : 0.0;
        buyer_flush_ = p.buyer_flush_flow * base_depth_;
        reservation_per_depth_ = book_.consumed_at_per_depth(p.buyer_reservation);
        // Flow rates per unit of momentum or discount (the model states them per 1%).
        short_flow_per_momentum_ = p.short_intensity_per_s * base_depth_ * 100.0;
        buyer_flow_per_discount_ = p.buyer_intensity_per_s * regime_buyers_ * base_depth_ * 100.0;
        milestones_ = {p.shock_start_s, p.shock_start_s + p.shock_duration_s, p.shock_start_s + 3600.0,
                       p.shock_start_s + 14400.0, p.horizon_s};
        std::sort(milestones_.begin(), milestones_.end());
        log_fundamental_ = std::log(p.reference_price);
        counters_ = EngineCounters{};
    }

    PathOutputs run();

  private:
    // ---- one step ----
    double choose_dt(double t, bool active);
    void update_decays(double dt);
    void move_fundamental(double t, double dt);
    void update_depth();
    void exogenous_flow(double dt);
    [[gnu::always_inline]] inline void update_index();
    void liquidation_waves(double dt);
    void update_stress();

    // ---- liquidation engine (M7, M8) ----
    /// Whether the mark has crossed anything: two comparisons (and one for the M12 shorts still opening).
    bool would_trigger(double mark) const {
        return p_.liquidation_enabled && (longs_.queue.max_key() >= trigger_key<Side::Long>(mark) ||
                                          shorts_.queue.max_key() >= trigger_key<Side::Short>(mark) ||
                                          (open_short_.qty > 0 && mark >= open_short_.liquidation_price));
    }
    /// Takes over whatever the mark has crossed; returns the notional. The common answer, nothing, is decided
    /// inline.
    double trigger(double mark) { return would_trigger(mark) ? take_all_crossed(mark) : 0.0; }
    [[gnu::noinline]] double take_all_crossed(double mark);
    template <Side S>
    void take_crossed(double mark);
    template <Side S>
    void take_grid_run(std::uint32_t run, double mark);
    template <Side S>
    void take_over(const Cohort& cohort, double mark);
    template <Side S>
    void enqueue(double qty, double entry_value, double margin, double count, double mark);
    double execute_backlog(Side side, double capacity);
    void settle(Side side, double qty, double entry_value, double margin);
    double fill(Side side, double qty, double entry_value, double margin, double part);
    void absorb(double equity);
    void mark_fund_depleted();
    [[gnu::noinline]] double deleverage(Side liquidated, double qty, double price);  // rare: kept out of settle

    // ---- what is not yet taken over ----
    void init_book(Side side, bool reuse);
    SideBook& book(Side side) { return side == Side::Long ? longs_ : shorts_; }
    template <class Visit>
    void for_each_alive(Side side, Visit&& visit);  // visit(Cohort&, grid id or -1, extra index)

    // ---- helpers ----
    double opportunistic_short_ratio();

    double fill_price(Side side, double qty) const;
    void check_invariants(double t);
    double conservation_residual() const;  // money conservation, relative (output and --check)
    [[noreturn]] void violation(double t, const std::string& what) const;
    PathOutputs finish();

    const CascadeParams p_;  // a copy: a reference would be reloaded after every store to a double (aliasing)
    const TierTable& tiers_;
    const GenericLiquidation& liquidation_;
    const EngineOptions& options_;
    const Population& pop_;
    SideBook& longs_;
    SideBook& shorts_;
    Cohort open_short_{};  // M12 shorts still accumulating in the current price band (qty 0: none)
    /// open_short_ with its position quantity brought up to date (not kept every step: a division).
    Cohort& open_short() {
        open_short_.position_qty = opportunistic_notional_ / open_short_.entry;
        return open_short_;
    }
    std::vector<StepRow>& steps_;
    std::vector<TraceRow>& rows_;  // only when tracing
    std::vector<AdlItem>& adl_queue_;
    std::vector<std::pair<double, std::uint32_t>>& adl_ranked_;
    std::vector<std::uint32_t> adl_handed_;  // cohorts handed to ADL this round (only with invariant checks)
    EngineCounters& counters_;
    bool tracing_;
    RandomStream rng_;           // the Market stream: the venues' noise
    detail::FastNormal normal_;  // boost's normal variates, common case inlined
    FundamentalPath fundamental_path_;
    std::uint64_t path_index_;

    // market state
    double base_depth_;
    OrderBook book_;
    double depth_ = 0;
    double fundamental_ = 0, trade_ = 0, index_ = 0, mark_ = 0, basis_ema_ = 0;
    std::array<double, 16> venues_{};  // log(S_k / V)
    double stress_ema_ = 0, momentum_ema_ = 0, liquidation_flow_ = 0;
    double regime_depth_ = 1, regime_arbitrage_ = 1, regime_buyers_ = 1;
    double opportunistic_ratio_ = 0, opportunistic_notional_ = 0, opportunistic_leverage_ = 1;
    double log_trade_ = 0;
    double log_fundamental_ = 0, index_displacement_ = 0, perp_gap_ = 0;  // log V; what update_index saw
    double shock_depth_multiple_ = 0, shock_log_move_ = 0, index_pull_ = 0, buyer_flush_ = 0;
    double short_flow_per_momentum_ = 0, buyer_flow_per_discount_ = 0;
    double reservation_per_depth_ = 0;    // consumed depth at the buyers' reservation, per unit of depth
    std::array<double, 5> milestones_{};  // sorted
    std::size_t next_milestone_ = 0;
    double previous_t_ = 0;           // time at the start of the previous step
    double shock_share_ = 0;          // share of the shock in the current step
    const Decays* decays_ = nullptr;  // the current step's, in decay_cache_
    DecayCache decay_cache_;

    // liquidation engine state
    Backlog long_backlog_, short_backlog_;
    InsuranceFund fund_;
    double initial_oi_;

    // per-step tallies
    double step_liq_long_ = 0, step_liq_short_ = 0, step_adl_ = 0;
    int step_waves_ = 0;

    // ledger (money conservation)
    double margin_taken_ = 0, transfers_book_ = 0, transfers_adl_ = 0, exchange_revenue_ = 0;

    PathOutputs out_;
    double fund_depletion_time_ = -1;
};

double PathSimulation::opportunistic_short_ratio() {
    const double notional = std::min(kShortPositionMultiple * p_.size_min, 0.999 * tiers_.max_notional());
    const double leverage =
        std::min(p_.short_leverage, tiers_[tiers_.index_for_notional(notional)].max_leverage);
    opportunistic_notional_ = notional;
    opportunistic_leverage_ = leverage;
    try {
        const double e = p_.reference_price;
        const auto q = isolated_liquidation({Side::Short, e, notional / e, notional / leverage}, tiers_,
                                            {p_.liquidation_fee, Venue::Generic});
        return q.liquidates ? q.liquidation_price / e : std::numeric_limits<double>::infinity();
    } catch (const InputError&) {
        return 0.0;  // such a short cannot be opened: M12 has no one to act
    }
}

double PathSimulation::choose_dt(double t, bool active) {
    const double previous = steps_.size() >= 2 ? t - previous_t_ : p_.dt_active_s;
    double dt = active ? p_.dt_active_s : std::min(previous * p_.dt_growth, p_.dt_max_s);
    // Land exactly on the moments the outputs and the shock need: the next one ahead (they are sorted).
    while (next_milestone_ < milestones_.size() && !(milestones_[next_milestone_] > t + 1e-9))
        ++next_milestone_;
    if (next_milestone_ < milestones_.size() && t + dt > milestones_[next_milestone_])
        dt = milestones_[next_milestone_] - t;
    return std::max(dt, 1e-6);
}

void PathSimulation::update_decays(double dt) {
    if (decays_ != nullptr && dt == decays_->dt) return;
    DecayCache& cache = decay_cache_;
    for (std::size_t i = 0; i < cache.used; ++i) {
        if (cache.slots[i].dt == dt) {
            decays_ = &cache.slots[i];
            return;
        }
    }
    Decays& d = cache.slots[cache.next];
    cache.next = (cache.next + 1) % DecayCache::kSlots;
    cache.used = std::max(cache.used, cache.next == 0 ? DecayCache::kSlots : cache.next);
    decays_ = &d;
    d.dt = dt;
    d.refill = std::exp(-p_.book_resilience_per_s * dt);
    d.depth_recovery = std::exp(-dt / p_.depth_recovery_timescale_s);
    const double rate = p_.arbitrage_rate_per_s * regime_arbitrage_ + p_.spot_anchor_rate_per_s;
    d.venue_keep = std::exp(-rate * dt);
    d.venue_noise = p_.venue_noise * std::sqrt(std::max(0.0, -std::expm1(-2.0 * rate * dt)));
    d.basis_weight = ema_weight(dt, p_.mark_basis_timescale_s);
    d.stress_weight = ema_weight(dt, p_.stress_timescale_s);
    d.momentum_weight = ema_weight(dt, p_.short_momentum_timescale_s);
    d.flow_keep = std::exp(-dt / kLiquidationFlowTimescale);
}

void PathSimulation::move_fundamental(double t, double dt) {
    double log_move = fundamental_path_.advance(t + dt);
    if (shock_share_ != 0 && p_.shock_permanent_share > 0 && p_.shock_size > 0)
        log_move += shock_share_ * shock_log_move_;
    if (log_move != 0) {
        fundamental_ *= detail::exp_near_zero(log_move);
        log_fundamental_ += log_move;
    }
}

void PathSimulation::update_depth() {
    // M4: market makers pull quotes at once when stress rises and come back slowly when it abates.
    double target = base_depth_ * regime_depth_;
    if (p_.evaporation_enabled) {
        // Quotes stay through ordinary moves (threshold) and are pulled as stress exceeds them.
        const double excess = std::abs(log_trade_ - stress_ema_) - p_.evaporation_threshold;
        if (excess > 0)
            target *= std::max(p_.evaporation_floor, detail::exp_near_zero(-p_.evaporation_rate * excess));
    }
    depth_ = target < depth_ ? target : target + (depth_ - target) * decays_->depth_recovery;
    // M3: consumed depth refills.
    book_.set_depth_and_decay(depth_, p_.book_refill_enabled ? decays_->refill : 1.0);
}

void PathSimulation::exogenous_flow(double dt) {
    double sell = 0;  // notional valued at V, > 0 sells
    // M1: the transient part of the shock arrives as sell flow sized to move a normal static book by (1 -
    // phi) s.
    if (shock_share_ > 0 && p_.shock_size > 0) sell += shock_share_ * base_depth_ * shock_depth_multiple_;
    // M12: new shorts sell into downward momentum.
    double new_short_notional = 0;
    if (p_.shorts_enabled && opportunistic_ratio_ > 1.0) {
        const double momentum = momentum_ema_ - log_trade_;
        if (momentum > 0) {
            new_short_notional = short_flow_per_momentum_ * momentum * dt;
            sell += new_short_notional;
        }
    }
    // M11: dip buyers buy the discount to V beyond their reservation, damped while liquidations flow.
    if (p_.buyers_enabled && p_.buyer_intensity_per_s > 0) {
        const double discount = book_.displacement() - p_.buyer_reservation;
        if (discount > 0) {
            const double damping =
                buyer_flush_ / (buyer_flush_ + liquidation_flow_);  // 1 / (1 + flow / flush)
            double buy = buyer_flow_per_discount_ * discount * damping * dt;
            // Never buy past the reservation within one step, whatever dt: keeps long calm steps stable.
            buy = std::min(buy, book_.consumed() - depth_ * reservation_per_depth_);
            sell -= std::max(buy, 0.0);
        }
    }
    if (sell != 0) book_.execute(sell);
    trade_ = book_.price(fundamental_);
    if (new_short_notional > 0) {
        // Opened at the step's price; shorts opened within a narrow band share one cohort.
        const double qty = new_short_notional / fundamental_;
        out_.opportunistic_short_notional += qty * trade_;
        Cohort& open = open_short_;
        if (open.qty > 0 && std::abs(open.entry - trade_) >= kShortBand * trade_) {
            // The price left the band: that cohort is complete and joins the others.
            book(Side::Short).add(open_short(), trigger_key<Side::Short>(open.liquidation_price));
            open.qty = 0;
        }
        open.entry = open.qty > 0 ? (open.entry * open.qty + trade_ * qty) / (open.qty + qty) : trade_;
        open.qty += qty;
        open.leverage = opportunistic_leverage_;
        open.liquidation_price = open.entry * opportunistic_ratio_;
        open.flags = kOpportunistic;  // position_qty: set by open_short() when the cohort is read
    }
}

void PathSimulation::update_index() {
    // M5: each spot venue's log gap to V closes toward the perp's gap at the arbitrage rate and decays at its
    // own anchor rate; exact Ornstein-Uhlenbeck update with stationary noise venue_noise.
    index_displacement_ = book_.displacement();
    const double perp_gap = detail::log1p_near_zero(-index_displacement_);  // log(P / V)
    perp_gap_ = perp_gap;
    const double target = index_pull_ * perp_gap;
    const double keep = decays_->venue_keep, noise = decays_->venue_noise;
    const int k = std::clamp(p_.spot_venues, 1, static_cast<int>(venues_.size()));
    const auto step_venue = [&](int i) __attribute__((always_inline)) {
        venues_[i] = target + (venues_[i] - target) * keep + (noise > 0 ? noise * normal_(rng_) : 0.0);
    };
    if (k == 3) {  // the default, unrolled: a loop of three trips is a branch to mispredict every step
        step_venue(0);
        step_venue(1);
        step_venue(2);
    } else {
        for (int i = 0; i < k; ++i) step_venue(i);
    }
    if (p_.index_aggregation == IndexAggregation::Mean) {
        double sum = 0;
        for (int i = 0; i < k; ++i) sum += std::exp(venues_[i]);
        index_ = fundamental_ * sum / k;
    } else if (k == 3) {
        index_ = fundamental_ * detail::exp_near_zero(median3(venues_[0], venues_[1], venues_[2]));
    } else {
        std::array<double, 16> gaps;
        std::copy(venues_.begin(), venues_.begin() + k, gaps.begin());
        std::sort(gaps.begin(), gaps.begin() + k);
        index_ = k % 2 ? fundamental_ * std::exp(gaps[k / 2])
                       : 0.5 * fundamental_ * (std::exp(gaps[k / 2 - 1]) + std::exp(gaps[k / 2]));
    }
    basis_ema_ += decays_->basis_weight * ((trade_ - index_) - basis_ema_);
}

double PathSimulation::fill_price(Side side, double qty) const {
    // A long's liquidation sells (walks the bids), a short's buys.
    return fundamental_ * (1.0 - book_.preview((side == Side::Long ? 1.0 : -1.0) * qty * fundamental_));
}

template <Side S>
void PathSimulation::enqueue(double qty, double entry_value, double margin, double count, double mark) {
    Backlog& b = S == Side::Long ? long_backlog_ : short_backlog_;
    b.qty += qty;
    b.entry_value += entry_value;
    b.margin += margin;
    margin_taken_ += margin;
    const double notional = qty * mark;
    if constexpr (S == Side::Long) {
        out_.trader_margin_lost_long += margin;
        out_.liquidated_long_notional += notional;
        out_.liquidated_long_count += count;
        step_liq_long_ += notional;
    } else {
        out_.trader_margin_lost_short += margin;
        out_.liquidated_short_notional += notional;
        out_.liquidated_short_count += count;
        step_liq_short_ += notional;
    }
}

template <Side S>
void PathSimulation::take_over(const Cohort& c, double mark) {
    if (c.qty <= 0) return;  // emptied by ADL
    ++counters_.take_overs;
    // M8 partial liquidation: a position in a high bracket is cut to the bracket below and keeps its rest,
    // whose lower maintenance rate puts its liquidation price further away.
    if (p_.partial_liquidation && c.tier > 0) {
        const double position_notional = c.position_qty * mark;
        const double target = tiers_[c.tier - 1].notional_cap * (1.0 - 1e-9);
        const double close = std::clamp(1.0 - target / position_notional, 0.0, 1.0);
        if (close > 0 && close < 1) {
            const double rest_qty = c.qty * (1.0 - close);
            const double rest_position_qty = c.position_qty * (1.0 - close);
            // The margin module's generic quote of the rest, without its exceptions: invalid where
            // isolated_liquidation would throw (the rest would itself be past liquidation: close it all).
            const GenericLiquidation::Quote q = liquidation_.quote(S, c.entry, rest_position_qty, c.leverage);
            const bool crossed = S == Side::Long ? mark <= q.price : mark >= q.price;
            if (q.liquidates() && !crossed && q.tier < c.tier) {
                const double qty = c.qty - rest_qty;
                enqueue<S>(qty, qty * c.entry, qty * c.entry / c.leverage, qty / c.position_qty, mark);
                // Built field by field: a whole-struct copy here compiled to a slow `rep movs`.
                const Cohort rest{q.price,
                                  c.entry,
                                  rest_qty,
                                  rest_position_qty,
                                  c.leverage,
                                  c.size_class,
                                  static_cast<std::uint8_t>(q.tier),
                                  c.flags};
                book(S).add(rest, trigger_key<S>(q.price));
                ++counters_.partial_cuts;
                return;
            }
        }
    }
    enqueue<S>(c.qty, c.qty * c.entry, c.qty * c.entry / c.leverage, c.qty / c.position_qty, mark);
}

template <Side S>
void PathSimulation::take_grid_run(std::uint32_t k, double mark) {
    // Every crossed cohort of run k at once (longs from their highest entry down, shorts from the lowest up);
    // the run goes back into the queue under its first cohort not crossed.
    SideBook& b = book(S);
    const CohortRun& run = (S == Side::Long ? pop_.long_runs : pop_.short_runs)[k];
    const double* entries = pop_.entries.data();
    constexpr std::int64_t step = S == Side::Long ? -1 : 1;
    const std::int64_t end = S == Side::Long ? static_cast<std::int64_t>(run.first_alive) - 1
                                             : static_cast<std::int64_t>(run.last_alive);
    const std::int64_t from = b.next[k];
    std::int64_t to = from + step;
    const double mark_key = trigger_key<S>(mark);
    for (; to != end; to += step) {
        const double key = trigger_key<S>(entries[to] * run.ratio);
        if (key < mark_key) {
            b.queue.insert(k, key);
            break;
        }
    }
    b.next[k] = to;

    if ((p_.partial_liquidation && run.tier > 0) || !b.left.empty()) {
        // Partial cuts (each cohort's rest has its own liquidation price) and ADL shares: cohort by cohort.
        const std::size_t ne = pop_.entries.size();
        for (std::int64_t e = from; e != to; e += step) {
            Cohort c = pop_.cohort(S, k, static_cast<std::size_t>(e));
            if (!b.left.empty()) c.qty *= b.left[k * ne + static_cast<std::size_t>(e)];
            take_over<S>(c, mark);
        }
        return;
    }
    // Closed in full: a run's cohorts differ only in their entry, so quantity, entry value, margin and
    // position count are sums over the entry weights, and the crossed block is one take-over.
    const double per_weight =
        (S == Side::Long ? pop_.long_qty_per_weight : pop_.short_qty_per_weight) * run.weight;
    const double* weights = pop_.entry_weights.data();
    double qty = 0, entry_value = 0;
    for (std::int64_t e = from; e != to; e += step) {
        const double q = per_weight * weights[e];
        qty += q;
        entry_value += q * entries[e];
    }
    if (qty <= 0) return;
    enqueue<S>(qty, entry_value, entry_value / run.leverage, entry_value / run.position_notional, mark);
    counters_.take_overs += static_cast<std::size_t>(step * (to - from));
    ++counters_.grid_blocks;
}

void PathSimulation::init_book(Side side, bool reuse) {
    SideBook& b = book(side);
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    const auto& cohorts = side == Side::Long ? pop_.longs : pop_.shorts;
    const double sign = side == Side::Long ? 1.0 : -1.0;
    b.left.clear();
    b.emptied.clear();
    b.free.clear();
    if (reuse) {  // the same population as the path before: its initial book, as saved
        b.next.assign(b.initial.next.begin(), b.initial.next.end());
        b.pool.assign(b.initial.pool.begin(), b.initial.pool.end());
        b.queue.restore(b.initial.queue);
        return;
    }
    b.runs = static_cast<std::uint32_t>(runs.size());
    b.queue.reset(side, p_.reference_price, 2 * (runs.size() + cohorts.size()) + 64);
    b.next.resize(runs.size());
    b.pool.clear();
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& run = runs[k];
        // Longs trigger from their highest entry down, shorts from their lowest up.
        b.next[k] = side == Side::Long ? static_cast<std::int64_t>(run.last_alive) - 1 : run.first_alive;
        b.queue.insert(static_cast<std::uint32_t>(k),
                       sign * (pop_.entries[static_cast<std::size_t>(b.next[k])] * run.ratio));
    }
    // Explicit cohorts join the pool.
    for (const Cohort& c : cohorts) b.add(c, sign * c.liquidation_price);
    b.initial.next.assign(b.next.begin(), b.next.end());
    b.initial.pool.assign(b.pool.begin(), b.pool.end());
    b.queue.save(b.initial.queue, runs.size() + cohorts.size());
}

template <class Visit>
void PathSimulation::for_each_alive(Side side, Visit&& visit) {
    const SideBook& b = book(side);
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    const std::size_t ne = pop_.entries.size();
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& run = runs[k];
        const std::int64_t lo = side == Side::Long ? run.first_alive : b.next[k];
        const std::int64_t hi = side == Side::Long ? b.next[k] + 1 : run.last_alive;
        for (std::int64_t e = lo; e < hi; ++e) {
            Cohort c = pop_.cohort(side, k, static_cast<std::size_t>(e));
            const std::size_t id = k * ne + static_cast<std::size_t>(e);
            if (!b.left.empty()) c.qty *= b.left[id];
            visit(c, static_cast<std::int64_t>(id), std::size_t{0});
        }
    }
    // Free slots have qty 0: the visitors skip them.
    auto& pool = book(side).pool;
    for (std::size_t i = 0; i < pool.size(); ++i) visit(pool[i], std::int64_t{-1}, i);
    if (side == Side::Short && open_short_.qty > 0) visit(open_short(), std::int64_t{-1}, pool.size());
}

template <Side S>
void PathSimulation::take_crossed(double mark) {
    SideBook& b = book(S);
    b.queue.take_at_or_above(trigger_key<S>(mark), [&](std::uint32_t item) {
        if (item < b.runs) {
            take_grid_run<S>(item, mark);
        } else {
            take_over<S>(b.release(item - b.runs), mark);
        }
    });
    if (S == Side::Short && open_short_.qty > 0 && mark >= open_short_.liquidation_price) {
        const Cohort c = open_short();
        open_short_.qty = 0;
        take_over<S>(c, mark);
    }
}

double PathSimulation::take_all_crossed(double mark) {
    const double before = step_liq_long_ + step_liq_short_;
    if (longs_.queue.max_key() >= trigger_key<Side::Long>(mark)) take_crossed<Side::Long>(mark);
    if (shorts_.queue.max_key() >= trigger_key<Side::Short>(mark) ||
        (open_short_.qty > 0 && mark >= open_short_.liquidation_price)) {
        take_crossed<Side::Short>(mark);
    }
    return step_liq_long_ + step_liq_short_ - before;
}

double PathSimulation::deleverage(Side liquidated, double qty, double price) {
    // M10: close opposite positions in profit, best-ranked first, at the liquidated position's bankruptcy
    // price. No book impact. Returns the quantity it could match.
    if (options_.check_invariants && fund_.enabled() &&
        fund_.available() > 1e-9 * std::max(1.0, fund_.initial())) {
        violation(steps_.empty() ? 0.0 : steps_.back().time_s,
                  "ADL while the insurance fund still holds " + std::to_string(fund_.balance()));
    }
    ++counters_.adl_rounds;
    const Side side = opposite(liquidated);
    SideBook& f = book(side);
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    const auto& entries = pop_.entries;
    const std::size_t ne = entries.size();
    const std::size_t grid_size = runs.size() * ne;
    if (f.left.empty()) {  // first ADL on this side: track what it takes
        f.left.assign(grid_size, 1.0);
        f.emptied.assign(runs.size(), {0, 0});
    }
    auto& extra = f.pool;
    const auto score = [&](const Cohort& c) {
        return adl_score_unchecked(p_.adl_ranking, side, c.entry, mark_, c.qty, c.margin());
    };
    const auto in_profit = [&](double entry) { return side == Side::Short ? entry > mark_ : entry < mark_; };
    adl_queue_.clear();
    for (std::size_t i = 0; i < extra.size(); ++i) {  // free slots have qty 0
        const Cohort& c = extra[i];
        if (c.qty > 0 && in_profit(c.entry))
            adl_queue_.push_back({score(c), static_cast<std::uint32_t>(grid_size + i)});
    }
    if (side == Side::Short && open_short_.qty > 0 && in_profit(open_short_.entry))
        adl_queue_.push_back({score(open_short()), static_cast<std::uint32_t>(grid_size + extra.size())});
    // The grid enters as runs, each under an upper bound of its cohorts' scores, replaced by its cohorts when it
    // reaches the top of the queue: the queue pops exactly the order of scoring every cohort (highest score
    // first, ties by id) while scoring only the runs that come near the top. (Splitting a run around its
    // maximum instead scores fewer cohorts but measured twice as slow: the cohorts ADL has emptied sit at
    // the top, and every round would split through them again.) A run's levels here: in profit, not yet
    // taken over.
    const std::size_t profit_begin =
        side == Side::Short ? std::upper_bound(entries.begin(), entries.end(), mark_) - entries.begin() : 0;
    const std::size_t profit_end =
        side == Side::Short ? ne : std::lower_bound(entries.begin(), entries.end(), mark_) - entries.begin();
    const auto add_run = [&](std::size_t k, std::size_t lo, std::size_t hi) {
        if (lo >= hi) return;
        // A leverage level's size classes usually share their levels, hence their bound.
        const AdlItem* last = adl_queue_.empty() ? nullptr : &adl_queue_.back();
        const double bound =
            last != nullptr && (last->id & kAdlRun) && last->lo == lo && last->hi == hi &&
                    runs[last->id & ~kAdlRun].leverage == runs[k].leverage
                ? last->score
                : adl_score_bound(p_.adl_ranking, side, runs[k].leverage, entries[lo], entries[hi - 1], mark_);
        adl_queue_.push_back({bound, kAdlRun | static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(lo),
                              static_cast<std::uint32_t>(hi)});
    };
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const std::int64_t alive_lo = side == Side::Long ? runs[k].first_alive : f.next[k];
        const std::int64_t alive_hi = side == Side::Long ? f.next[k] + 1 : runs[k].last_alive;
        const std::size_t lo = std::max(static_cast<std::size_t>(alive_lo), profit_begin);
        const std::size_t hi = std::min(static_cast<std::size_t>(alive_hi), profit_end);
        const auto [empty_lo, empty_hi] = f.emptied[k];
        if (empty_lo == empty_hi) {
            add_run(k, lo, hi);
        } else {
            add_run(k, lo, std::min<std::size_t>(hi, empty_lo));
            add_run(k, std::max<std::size_t>(lo, empty_hi), hi);
        }
    }
    // Highest score first; ties by position in the book, so the order never depends on anything but the path.
    const auto worse = [](const AdlItem& a, const AdlItem& b) {
        return a.score < b.score || (a.score == b.score && a.id > b.id);
    };
    const auto push = [&](const AdlItem& item) {
        adl_queue_.push_back(item);
        std::push_heap(adl_queue_.begin(), adl_queue_.end(), worse);
    };
    // The head of an expanded run's ranked cohorts [at, end), carrying the rest.
    const auto next_ranked = [&](std::size_t at, std::size_t end) {
        return AdlItem{adl_ranked_[at].first, adl_ranked_[at].second, static_cast<std::uint32_t>(at + 1),
                       static_cast<std::uint32_t>(end)};
    };
    std::make_heap(adl_queue_.begin(), adl_queue_.end(), worse);
    adl_ranked_.clear();
    adl_handed_.clear();
    AdlItem last_handed{std::numeric_limits<double>::infinity(), 0};
    double matched = 0;
    while (matched < qty && !adl_queue_.empty()) {
        std::pop_heap(adl_queue_.begin(), adl_queue_.end(), worse);
        const AdlItem top = adl_queue_.back();
        adl_queue_.pop_back();
        if (top.id & kAdlRun) {  // replaced by its cohorts, ranked, entering the queue one at a time
            const std::size_t k = top.id & ~kAdlRun, begin = adl_ranked_.size();
            for (std::size_t e = top.lo; e < top.hi; ++e) {
                Cohort c = pop_.cohort(side, k, e);
                c.qty *= f.left[k * ne + e];
                if (c.qty > 0) adl_ranked_.emplace_back(score(c), static_cast<std::uint32_t>(k * ne + e));
            }
            const std::size_t end = adl_ranked_.size();
            if (begin == end) continue;
            std::sort(adl_ranked_.begin() + begin, adl_ranked_.end(),
                      [&](const auto& a, const auto& b) { return worse({b.first, b.second}, {a.first, a.second}); });
            push(next_ranked(begin, end));
            continue;
        }
        if (top.lo < top.hi) push(next_ranked(top.lo, top.hi));  // the next cohort of its run
        const std::uint32_t id = top.id;
        if (options_.check_invariants) {
            adl_handed_.push_back(id);
            last_handed = top;
        }
        double take, position_qty;
        if (id < grid_size) {
            const Cohort base = pop_.cohort(side, id / ne, id % ne);
            take = std::min(base.qty * f.left[id], qty - matched);
            f.left[id] -= take / base.qty;
            position_qty = base.position_qty;
            if (!(base.qty * f.left[id] > 0)) {  // emptied: grow the run's emptied stretch if it touches it
                auto& [empty_lo, empty_hi] = f.emptied[id / ne];
                const auto e = static_cast<std::uint32_t>(id % ne);
                if (empty_lo == empty_hi) {
                    empty_lo = e;
                    empty_hi = e + 1;
                } else if (e == empty_hi) {
                    ++empty_hi;
                } else if (e + 1 == empty_lo) {
                    --empty_lo;
                }
            }
        } else {
            Cohort& c = id - grid_size < extra.size() ? extra[id - grid_size] : open_short();
            take = std::min(c.qty, qty - matched);
            c.qty -= take;
            position_qty = c.position_qty;
        }
        matched += take;
        out_.adl_positions += take / position_qty;
        // The counterparty closes at the bankruptcy price instead of the mark: the profit it gives up.
        out_.adl_haircut += take * (side == Side::Short ? price - mark_ : mark_ - price);
    }
    if (options_.check_invariants) {
        // The order, by brute force: every cohort in profit not handed out ranks below the last one that
        // was, and none is left at all when the queue ran dry.
        for_each_alive(side, [&](const Cohort& c, std::int64_t gid, std::size_t extra_index) {
            const auto id = static_cast<std::uint32_t>(gid >= 0 ? static_cast<std::size_t>(gid) : grid_size + extra_index);
            if (c.qty <= 0 || !in_profit(c.entry) ||
                std::find(adl_handed_.begin(), adl_handed_.end(), id) != adl_handed_.end())
                return;
            if (matched < qty || worse(last_handed, {score(c), id})) {
                violation(steps_.empty() ? 0.0 : steps_.back().time_s,
                          "ADL passed over a counterparty ranked above the last one it deleveraged (cohort " +
                              std::to_string(id) + ")");
            }
        });
    }
    out_.adl_notional += matched * price;
    step_adl_ += matched * price;
    return matched;
}

void PathSimulation::absorb(double equity) {
    // M9: equity left at the fill. > 0: fee and surplus to the fund (to the exchange when there is no fund).
    // < 0: a shortfall the fund pays as far as it can (all of it, going negative, when ADL is off); the rest
    // is bad debt.
    if (equity >= 0) {
        fund_.receive(equity);
        if (!fund_.enabled()) exchange_revenue_ += equity;
        out_.fund_fees += equity;
        return;
    }
    const double shortfall = -equity;
    const double paid = !fund_.enabled() ? 0.0
                        : p_.adl_enabled ? std::min(shortfall, fund_.available())
                                         : shortfall;
    if (paid > 0) {
        fund_.pay(paid);
        out_.fund_payout += paid;
    }
    out_.bad_debt += shortfall - paid;
    if (fund_.enabled() && (shortfall > paid || fund_.balance() < 0)) mark_fund_depleted();
}

void PathSimulation::mark_fund_depleted() {
    out_.fund_depleted = 1;
    if (fund_depletion_time_ < 0) fund_depletion_time_ = steps_.empty() ? 0.0 : steps_.back().time_s;
}

double PathSimulation::fill(Side side, double qty, double entry_value, double margin, double part) {
    // Sends `part` of a (qty, entry_value, margin) liquidation to the book; returns the equity it leaves.
    const double sign = side == Side::Long ? 1.0 : -1.0;
    const double q = part * qty;
    const double price = fundamental_ * (1.0 - book_.execute(sign * q * fundamental_));
    transfers_book_ += sign * (part * entry_value - q * price);
    return sign * (q * price - part * (entry_value - sign * margin));
}

void PathSimulation::settle(Side side, double qty, double entry_value, double margin) {
    const double sign = side == Side::Long ? 1.0 : -1.0;
    const double bankrupt_value = entry_value - sign * margin;  // qty * bankruptcy price
    const auto shortfall_of = [&](double part) {
        return -sign * (part * qty * fill_price(side, part * qty) - part * bankrupt_value);
    };
    const double available = fund_.available();
    if (!p_.adl_enabled) {
        absorb(fill(side, qty, entry_value, margin, 1.0));
        return;
    }
    // The whole order, previewed once: when the fund covers its shortfall it is executed as previewed.
    const double c = sign * qty * fundamental_;
    double end_displacement;
    const double price = fundamental_ * (1.0 - book_.preview(c, &end_displacement));
    if (-sign * (1.0 * qty * price - 1.0 * bankrupt_value) <= available) {
        book_.commit(c, end_displacement);
        transfers_book_ += sign * (1.0 * entry_value - qty * price);
        absorb(sign * (qty * price - 1.0 * (entry_value - sign * margin)));
        return;
    }
    // M10: the fund cannot cover it all. Send to the book only the part whose shortfall the fund can pay
    // (bisection on the part: the shortfall grows with it), deleverage the rest at the bankruptcy price.
    double lo = 0, hi = 1;
    // The bisection's smallest trial part, 2^-47: when even it is short (the book is already past the
    // bankruptcy price, usual once a cascade has emptied the fund), the answer is 0 without the 47 trials.
    if (shortfall_of(0x1p-47) > available) hi = 0;
    for (int it = 0; it < 64 && hi - lo > 1e-14; ++it) {
        const double mid = 0.5 * (lo + hi);
        (shortfall_of(mid) > available ? hi : lo) = mid;
    }
    if (lo > 0) absorb(fill(side, qty, entry_value, margin, lo));
    mark_fund_depleted();
    const double rest = 1.0 - lo;
    const double matched = deleverage(side, rest * qty, bankrupt_value / qty);
    const double matched_part = matched / qty;
    transfers_adl_ += matched_part * margin;  // closed at bankruptcy: the margin exactly covers the loss
    const double unmatched_part = rest - matched_part;
    if (unmatched_part > 1e-15) {
        // No counterparty left in profit: the rest goes to the book after all, and its loss is bad debt.
        absorb(fill(side, qty, entry_value, margin, unmatched_part));
    }
}

double PathSimulation::execute_backlog(Side side, double capacity) {
    Backlog& b = side == Side::Long ? long_backlog_ : short_backlog_;
    if (b.empty() || capacity <= 0) return 0;
    const double notional = b.qty * fundamental_;
    const double share = std::min(1.0, capacity / notional);
    const double qty = share * b.qty, entry_value = share * b.entry_value, margin = share * b.margin;
    if (share >= 1.0) {
        b = Backlog{};
    } else {
        b.qty -= qty;
        b.entry_value -= entry_value;
        b.margin -= margin;
    }
    settle(side, qty, entry_value, margin);
    return share * notional;
}

void PathSimulation::liquidation_waves(double dt) {
    // M8: trigger on the mark, fill through the book, re-mark, trigger the next tier, within the step, until
    // nothing new triggers or the engine's throughput for this step is spent.
    step_waves_ = 0;
    mark_ = mark_price(p_, index_, basis_ema_, trade_);
    if (long_backlog_.empty() && short_backlog_.empty() && !would_trigger(mark_)) return;  // the calm case
    double capacity = p_.liquidation_capacity * base_depth_ * dt;
    int rounds = 0;
    bool capped = false;
    for (bool first = true;; first = false) {
        if (!first) mark_ = mark_price(p_, index_, basis_ema_, trade_);
        const double triggered = trigger(mark_);
        if (triggered > 0) ++step_waves_;
        if ((long_backlog_.empty() && short_backlog_.empty()) || capacity <= 0) break;
        if (rounds++ >= p_.max_waves) {
            capped = true;
            break;
        }
        capacity -= execute_backlog(Side::Long, capacity);
        capacity -= execute_backlog(Side::Short, capacity);
        trade_ = book_.price(fundamental_);
    }
    // Whatever the mark has crossed is in the engine's hands by the end of the step: both exits above follow
    // a trigger at the step's last mark with no fill since (and a partial cut's rest is never left crossed).
    if (capped && !(long_backlog_.empty() && short_backlog_.empty())) ++out_.wave_cap_hits;
    out_.n_waves += step_waves_;
    out_.max_waves_in_step = std::max(out_.max_waves_in_step, static_cast<double>(step_waves_));
    out_.max_backlog = std::max(out_.max_backlog, (long_backlog_.qty + short_backlog_.qty) * fundamental_);
}

void PathSimulation::update_stress() {
    // log P = log V + log(P / V): update_index already took the second log unless a fill moved the book
    // since.
    const double x = book_.displacement();
    log_trade_ = log_fundamental_ + (x == index_displacement_ ? perp_gap_ : detail::log1p_near_zero(-x));
    stress_ema_ += decays_->stress_weight * (log_trade_ - stress_ema_);
    momentum_ema_ += decays_->momentum_weight * (log_trade_ - momentum_ema_);
    liquidation_flow_ = liquidation_flow_ * decays_->flow_keep +
                        (step_liq_long_ + step_liq_short_) * (1.0 / kLiquidationFlowTimescale);
}

void PathSimulation::violation(double t, const std::string& what) const {
    std::ostringstream msg;
    msg << "invariant violated on path " << path_index_ << " at t = " << t << " s: " << what;
    throw InvariantViolation(msg.str());
}

double PathSimulation::conservation_residual() const {
    // What liquidated traders lost equals what went to their counterparties, the fund and the exchange, less
    // bad debt, plus what still waits in the backlog; relative to the largest amount in play (the fund's own
    // balance included: its sums round at its scale).
    const double backlog_margin = long_backlog_.margin + short_backlog_.margin;
    const double accounted = transfers_book_ + transfers_adl_ + (fund_.balance() - fund_.initial()) +
                             exchange_revenue_ - out_.bad_debt + backlog_margin;
    return std::abs(margin_taken_ - accounted) /
           std::max({1.0, margin_taken_, std::abs(transfers_book_), fund_.initial()});
}

void PathSimulation::check_invariants(double t) {
    if (const double residual = conservation_residual(); residual > 1e-9) {
        violation(t, "money not conserved: relative residual " + std::to_string(residual) + " (margin taken " +
                         std::to_string(margin_taken_) + ")");
    }
    if (p_.adl_enabled && fund_.balance() < -1e-9 * std::max(1.0, fund_.initial())) {
        violation(t, "insurance fund negative with ADL enabled: " + std::to_string(fund_.balance()));
    }
    if (!p_.liquidation_enabled) return;
    // No position outside the engine's hands is past its liquidation price: a full scan, not the queues.
    for (const Side side : {Side::Long, Side::Short}) {
        for_each_alive(side, [&](const Cohort& c, std::int64_t, std::size_t) {
            const bool crossed =
                side == Side::Long ? mark_ <= c.liquidation_price : mark_ >= c.liquidation_price;
            if (c.qty > 0 && crossed) {
                violation(t, std::string(side_name(side)) + " open past its liquidation price " +
                                 std::to_string(c.liquidation_price) + " at mark " + std::to_string(mark_));
            }
        });
    }
}

PathOutputs PathSimulation::run() {
    double t = 0;
    steps_.push_back({0.0, fundamental_, trade_, index_, 0.0});
    if (tracing_)
        rows_.push_back({0.0, fundamental_, trade_, index_, mark_, depth_, 0, 0, 0, fund_.balance(), 0, 0});
    bool active = true;
    while (t < p_.horizon_s - 1e-9) {
        const double dt = choose_dt(t, active);
        update_decays(dt);
        // The share of the shock (M1) that falls in this step.
        shock_share_ = !p_.shock_enabled ? 0.0
                       : p_.shock_duration_s > 0
                           ? std::max(0.0, std::min(t + dt, p_.shock_start_s + p_.shock_duration_s) -
                                               std::max(t, p_.shock_start_s)) /
                                 p_.shock_duration_s
                           : (t <= p_.shock_start_s && p_.shock_start_s < t + dt ? 1.0 : 0.0);
        const double displacement_before = book_.displacement();
        step_liq_long_ = step_liq_short_ = step_adl_ = 0;

        move_fundamental(t, dt);
        update_depth();
        exogenous_flow(dt);
        update_index();
        liquidation_waves(dt);
        update_stress();
        previous_t_ = t;
        t += dt;
        if (options_.check_invariants) check_invariants(t);

        const double backlog = (long_backlog_.qty + short_backlog_.qty) * fundamental_;
        steps_.push_back({t, fundamental_, trade_, index_, step_liq_long_ + step_liq_short_});
        if (tracing_) {
            rows_.push_back({t, fundamental_, trade_, index_, mark_, depth_, backlog, step_liq_long_,
                             step_liq_short_, fund_.balance(), step_adl_, static_cast<double>(step_waves_)});
        }
        // The clock stays fine while forced or exogenous flow moves the book; the fundamental's diffusion and
        // the venues' noise are exact at any step, so they alone never hold it fine.
        const bool shocking = p_.shock_enabled && t >= p_.shock_start_s - 1e-9 &&
                              t < p_.shock_start_s + p_.shock_duration_s - 1e-9;
        const double moved = std::abs(book_.displacement() - displacement_before);
        // A trickle of liquidations too small to move the book does not hold the clock fine either.
        const bool liquidating = step_liq_long_ + step_liq_short_ > p_.quiet_move * base_depth_;
        active = shocking || backlog > 0 || liquidating || moved > p_.quiet_move;
    }
    return finish();
}

PathOutputs PathSimulation::finish() {
    PathOutputs& o = out_;
    const double p0 = p_.reference_price;
    const double t0 = p_.shock_enabled ? p_.shock_start_s : 0.0;
    const auto& r = steps_;
    const std::size_t n = r.size();
    o.n_steps = static_cast<double>(n - 1);
    counters_.steps = n - 1;

    // One pass for the trough, the running trough at the fixed recovery times (rows are in time order: the
    // recovery at `when` is the last row at or before it against the lowest price up to there) and the
    // liquidation tempo (the busiest 60 s window; the times of 5% and 95% of the liquidated notional).
    std::size_t trough_at = 0;
    double spot_min = r[0].index_price;
    const double whens[3] = {t0 + 3600.0, t0 + 14400.0, p_.horizon_s};
    std::array<std::pair<std::size_t, int>, 3> records;  // (last row at or before when, which), by row
    for (int j = 0; j < 3; ++j) {
        const auto after =
            std::upper_bound(r.begin(), r.end(), whens[j] + 1e-9,
                             [](double when, const StepRow& row) { return when < row.time_s; });
        records[j] = {static_cast<std::size_t>(std::max<std::ptrdiff_t>(after - r.begin(), 1)) - 1, j};
    }
    std::sort(records.begin(), records.end());
    const double total_liq = o.liquidated_long_notional + o.liquidated_short_notional;
    double running = p0, running_at[3] = {p0, p0, p0}, price_at[3] = {p0, p0, p0};
    double window = 0, cumulative = 0, t05 = -1, t95 = -1;
    std::size_t first = 1;
    const auto visit = [&](std::size_t i) {
        const double price = r[i].trade_price;
        if (price < r[trough_at].trade_price) trough_at = i;
        spot_min = std::min(spot_min, r[i].index_price);
        running = std::min(running, price);
        const double liq = r[i].liquidated;
        // Only a step that liquidated can raise the busiest minute or cross 5% / 95% (the window's old steps
        // drop out when the next such step comes); most steps liquidate nothing.
        if (i == 0 || liq == 0) return;
        window += liq;
        while (r[first].time_s <= r[i].time_s - 60.0) {
            window -= r[first].liquidated;
            ++first;
        }
        o.peak_liquidations_per_min = std::max(o.peak_liquidations_per_min, window);
        cumulative += liq;
        if (total_liq > 0 && t05 < 0 && cumulative >= 0.05 * total_liq) t05 = r[i].time_s;
        if (total_liq > 0 && t95 < 0 && cumulative >= 0.95 * total_liq) t95 = r[i].time_s;
    };
    std::size_t next_row = 0;
    for (const auto& [row, j] : records) {
        for (; next_row <= row; ++next_row) visit(next_row);
        running_at[j] = running;
        price_at[j] = r[row].trade_price;
    }
    for (; next_row < n; ++next_row) visit(next_row);
    const double trough = r[trough_at].trade_price;
    const double t_trough = r[trough_at].time_s;
    o.trough_price = trough;
    o.max_drawdown = std::max(0.0, 1.0 - trough / p0);
    o.time_to_trough_s = std::max(0.0, t_trough - t0);
    const double exogenous = p_.shock_enabled ? p_.shock_size : 0.0;
    o.amplification = exogenous > 0 ? o.max_drawdown / exogenous : 0.0;
    o.final_price = r.back().trade_price;
    o.final_fundamental = r.back().fundamental;
    const auto recovered = [&](int j) {
        const double low = running_at[j];
        return p0 - low > 1e-12 * p0 ? (price_at[j] - low) / (p0 - low) : 1.0;
    };
    o.recovered_1h = recovered(0);
    o.recovered_4h = recovered(1);
    o.recovered_end = recovered(2);
    // After the trough: recovery times (censored at the horizon), the squeeze, the overshoot above V.
    const double drop = p0 - trough;
    double t50 = -1, t90 = -1, peak = trough, overshoot = 0;
    // First crossing of a level after the trough, interpolated within the step, so calm long steps cost
    // no resolution.
    const auto crossing = [&](std::size_t i, double level) {
        const double p_prev = r[i - 1].trade_price, p_now = r[i].trade_price;
        const double f = p_now > p_prev ? std::clamp((level - p_prev) / (p_now - p_prev), 0.0, 1.0) : 1.0;
        return r[i - 1].time_s + f * (r[i].time_s - r[i - 1].time_s) - t_trough;
    };
    for (std::size_t i = trough_at; i < n; ++i) {
        const double price = r[i].trade_price;
        if (t50 < 0 && price >= trough + 0.5 * drop)
            t50 = i > trough_at ? crossing(i, trough + 0.5 * drop) : 0.0;
        if (t90 < 0 && price >= trough + 0.9 * drop)
            t90 = i > trough_at ? crossing(i, trough + 0.9 * drop) : 0.0;
        peak = std::max(peak, price);
        overshoot = std::max(overshoot, price / r[i].fundamental - 1.0);
    }
    const double rest = p_.horizon_s - t_trough;
    o.time_to_50pct_recovery_s = drop <= 0 ? 0.0 : (t50 < 0 ? rest : t50);
    o.time_to_90pct_recovery_s = drop <= 0 ? 0.0 : (t90 < 0 ? rest : t90);
    o.v_symmetry = o.time_to_50pct_recovery_s > 0 ? o.time_to_trough_s / o.time_to_50pct_recovery_s : 0.0;
    o.squeeze_rise = (peak - trough) / trough;
    o.overshoot_above_v = overshoot;
    o.spot_loss_at_trough = std::max(0.0, 1.0 - spot_min / p0);
    o.spot_loss_at_end = 1.0 - r.back().index_price / p0;

    o.liquidated_oi_fraction = initial_oi_ > 0 ? total_liq / initial_oi_ : 0.0;
    o.cascade_duration_s = total_liq > 0 ? t95 - t05 : 0.0;

    o.trader_margin_lost = o.trader_margin_lost_long + o.trader_margin_lost_short;
    o.fund_min = fund_.min_balance();
    o.fund_final = fund_.balance();
    o.fund_depletion_time_s =
        fund_depletion_time_ >= 0 ? std::max(0.0, fund_depletion_time_ - t0) : p_.horizon_s - t0;
    o.conservation_error = conservation_residual();
    return o;
}

}  // namespace

PathOutputs CascadeEngine::simulate(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                                    PathTrace* trace) {
    Impl& impl = *impl_;
    if (impl.liquidation_fee != params.liquidation_fee) {
        impl.liquidation = GenericLiquidation(impl.tiers, params.liquidation_fee);
        impl.liquidation_fee = params.liquidation_fee;
    }
    PathSimulation sim(params, impl.tiers, impl.liquidation, impl.options, impl.population, impl.buffers,
                       impl.counters, seed, path_index, trace != nullptr, impl.population_version);
    impl.counters.cohorts = impl.cohort_count;
    PathOutputs out = sim.run();
    if (trace) trace->rows.assign(impl.buffers.rows.begin(), impl.buffers.rows.end());
    return out;
}

}  // namespace wipeout
