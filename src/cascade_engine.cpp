// The cascade engine: one path of MODEL.md's story, mechanism by mechanism (docs/model.md has the
// equations). A step of the adaptive clock: fundamental (M1) -> depth (M2, M4) -> refill (M3) ->
// exogenous flow: shock, opportunistic shorts, dip buyers (M1, M12, M11) -> spot venues, index, mark (M5)
// -> liquidation waves through the book, the fund and ADL (M7-M10) -> stress and momentum.
#include "wipeout/cascade_engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include <boost/random/normal_distribution.hpp>

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
        "time_s", "fundamental", "trade_price", "index_price", "mark_price", "bid_depth_1pct",
        "liquidation_backlog", "liquidated_long", "liquidated_short", "fund_balance", "adl_notional", "waves"};
    return kColumns;
}

namespace {

constexpr double kSecondsPerYear = 365.0 * 86400.0;
constexpr double kSecondsPerDay = 86400.0;
constexpr double kLiquidationFlowTimescale = 60.0;  // s: the dip buyers' memory of forced selling
constexpr double kShortBand = 0.0025;                // M12 shorts opened within 0.25% share a cohort
constexpr double kShortPositionMultiple = 10.0;      // their position notional, in units of size_min

Side opposite(Side s) { return s == Side::Long ? Side::Short : Side::Long; }

/// The grid's cohorts not yet triggered, merged across runs by a heap on each run's next liquidation price.
struct Frontier {
    std::vector<std::pair<double, std::uint32_t>> heap;  // (liquidation price, run)
    std::vector<std::int64_t> next;                      // per run: next entry level to trigger
    std::vector<double> left;                            // per cohort: share not taken by ADL (empty until ADL)
};

/// Heap order of the re-entry lists, next to trigger on top: longs by highest liquidation price, shorts by
/// lowest.
auto trigger_order(Side side) {
    return [side](const Cohort& a, const Cohort& b) {
        return side == Side::Long ? a.liquidation_price < b.liquidation_price : a.liquidation_price > b.liquidation_price;
    };
}

/// Triggered positions waiting for the engine's throughput: aggregated, executed pro rata.
struct Backlog {
    double qty = 0, entry_value = 0, margin = 0;
    bool empty() const { return qty <= 0; }
};

double median3(double a, double b, double c) { return std::max(std::min(a, b), std::min(std::max(a, b), c)); }

double mark_price(const CascadeParams& p, double index, double basis_ema, double trade) {
    switch (p.mark_rule) {
        case MarkRule::Index: return index;
        case MarkRule::Last: return trade;
        case MarkRule::Median: break;
    }
    return median3(index * (1.0 + p.funding_basis), index + basis_ema, trade);
}

/// 1 - exp(-dt / tau), the weight an EMA with time constant tau gives a step of length dt.
double ema_weight(double dt, double tau) { return -std::expm1(-dt / tau); }

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
            const double node_time = static_cast<double>(interval_ + 1) * kNodeSpacing;
            const double until = std::min(to, node_time);
            double value;
            if (until >= node_time) {
                value = next_node_value_;
                ++interval_;
                node_value_ = next_node_value_;
                next_node_value_ = node_value_ + node_step();
                bridge_ = RandomStream(seed_, path_index_, StreamId::Bridge, interval_);
            } else if (sigma_ > 0) {
                // Bridge from (now, current) to (node, next node value).
                const double span = node_time - now_, part = until - now_;
                const double mean = current_ + part / span * (next_node_value_ - current_);
                const double sd = sigma_ * std::sqrt(part * (span - part) / span);
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
    double node_step() { return sigma_ > 0 ? -0.5 * sigma_ * sigma_ * kNodeSpacing + sigma_ * std::sqrt(kNodeSpacing) * normal_(nodes_) : 0.0; }
    static double exponential(RandomStream& rng) { return -std::log1p(-rng.uniform()); }

    double sigma_, jump_rate_, jump_stdev_;
    std::uint64_t seed_, path_index_;
    RandomStream nodes_, bridge_, jumps_;
    boost::random::normal_distribution<double> normal_;
    std::uint64_t interval_ = 0;
    double now_ = 0, current_ = 0, node_value_ = 0, next_node_value_ = 0;
    double next_jump_ = std::numeric_limits<double>::infinity();
};

/// Every factor that depends on the step length only: recomputed when dt changes, which it rarely does
/// while the clock is fine.
struct Decays {
    double dt = -1;
    double refill = 1, depth_recovery = 1;
    double venue_keep = 1, venue_noise = 0;
    double basis_weight = 0, stress_weight = 0, momentum_weight = 0, flow_keep = 1;
};

}  // namespace

struct CascadeEngine::Impl {
    TierTable tiers;
    EngineOptions options;
    PopulationScratch scratch;
    Population population;
    std::vector<TraceRow> rows;
    std::vector<std::pair<double, std::uint32_t>> adl_queue;
    Frontier long_frontier, short_frontier;
    std::size_t cohort_count = 0;

    Impl(const TierTable& t, EngineOptions o) : tiers(t), options(o) {}
};

CascadeEngine::CascadeEngine(const TierTable& tiers, EngineOptions options)
    : impl_(std::make_unique<Impl>(tiers, options)) {}
CascadeEngine::~CascadeEngine() = default;
CascadeEngine::CascadeEngine(CascadeEngine&&) noexcept = default;
CascadeEngine& CascadeEngine::operator=(CascadeEngine&&) noexcept = default;
std::size_t CascadeEngine::last_cohort_count() const { return impl_->cohort_count; }

PathOutputs CascadeEngine::run(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                               PathTrace* trace) {
    build_population(params, impl_->tiers, impl_->scratch, impl_->population);
    return simulate(params, seed, path_index, trace);
}

PathOutputs CascadeEngine::run(const CascadeParams& params, const Population& population, std::uint64_t seed,
                               std::uint64_t path_index, PathTrace* trace) {
    impl_->population = population;
    return simulate(params, seed, path_index, trace);
}

namespace {

/// One path's simulation state and its mechanisms. Lives for one path; the engine's Impl keeps the buffers.
class PathSimulation {
public:
    PathSimulation(const CascadeParams& p, const TierTable& tiers, const EngineOptions& options, const Population& pop,
                   std::vector<TraceRow>& rows, std::vector<std::pair<double, std::uint32_t>>& adl_queue,
                   Frontier& long_frontier, Frontier& short_frontier, std::uint64_t seed, std::uint64_t path_index)
        : p_(p),
          tiers_(tiers),
          options_(options),
          pop_(pop),
          long_frontier_(long_frontier),
          short_frontier_(short_frontier),
          rows_(rows),
          adl_queue_(adl_queue),
          rng_(seed, path_index, StreamId::Market),
          fundamental_path_(p.volatility_annual, p.jump_rate_per_day, p.jump_stdev, seed, path_index),
          path_index_(path_index),
          base_depth_(p.depth_1pct),
          book_(p.depth_1pct, p.book_shape),
          fund_((pop.long_oi + pop.short_oi) * p.fund_to_oi, p.fund_enabled),
          initial_oi_(pop.long_oi + pop.short_oi) {
        init_frontier(Side::Long);
        init_frontier(Side::Short);
        // Explicit cohorts join the re-entry heaps.
        extra_long_.assign(pop.longs.begin(), pop.longs.end());
        extra_short_.assign(pop.shorts.begin(), pop.shorts.end());
        std::make_heap(extra_long_.begin(), extra_long_.end(), trigger_order(Side::Long));
        std::make_heap(extra_short_.begin(), extra_short_.end(), trigger_order(Side::Short));
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
    }

    PathOutputs run();

private:
    // ---- one step ----
    double choose_dt(double t, bool active) const;
    void update_decays(double dt);
    void move_fundamental(double t, double dt);
    void update_depth();
    void exogenous_flow(double t, double dt);
    void update_index();
    void liquidation_waves(double dt);
    void update_stress();

    // ---- liquidation engine (M7, M8) ----
    double trigger(double mark);
    double trigger_side(Side side, double mark);
    void take_over(Cohort& cohort, Side side, double mark, std::vector<Cohort>& extra);
    void enqueue(Side side, double qty, double entry, double leverage, double position_qty, double mark);
    double execute_backlog(Side side, double capacity);
    void settle(Side side, double qty, double entry_value, double margin);
    double fill(Side side, double qty, double entry_value, double margin, double part);
    void absorb(double equity);
    void mark_fund_depleted();
    double deleverage(Side liquidated, double qty, double price);

    // ---- the grid's frontier ----
    void init_frontier(Side side);
    Frontier& frontier(Side side) { return side == Side::Long ? long_frontier_ : short_frontier_; }
    bool heap_before(Side side, const std::pair<double, std::uint32_t>& a, const std::pair<double, std::uint32_t>& b) const;
    template <class Visit>
    void for_each_alive(Side side, Visit&& visit);  // visit(Cohort&, grid id or -1, extra index)

    // ---- helpers ----
    double opportunistic_short_ratio();
    static void insert_for_trigger(std::vector<Cohort>& extra, const Cohort& c, Side side);
    double fill_price(Side side, double qty, double* consumed_out = nullptr) const;
    void check_invariants(double t);
    [[noreturn]] void violation(double t, const std::string& what) const;
    PathOutputs finish();

    const CascadeParams& p_;
    const TierTable& tiers_;
    const EngineOptions& options_;
    const Population& pop_;
    Frontier& long_frontier_;
    Frontier& short_frontier_;
    std::vector<Cohort> extra_long_, extra_short_;  // explicit and re-entered cohorts: heaps, next to trigger on top
    Cohort open_short_{};  // M12 shorts still accumulating in the current price band (qty 0: none)
    std::vector<TraceRow>& rows_;
    std::vector<std::pair<double, std::uint32_t>>& adl_queue_;
    RandomStream rng_;
    FundamentalPath fundamental_path_;
    boost::random::normal_distribution<double> normal_;
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
    Decays decays_;

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
    const double leverage = std::min(p_.short_leverage, tiers_[tiers_.index_for_notional(notional)].max_leverage);
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

void PathSimulation::insert_for_trigger(std::vector<Cohort>& extra, const Cohort& c, Side side) {
    // Longs trigger from the highest liquidation price down, shorts from the lowest up: keep the next at the back.
    extra.push_back(c);
    std::push_heap(extra.begin(), extra.end(), trigger_order(side));
}

double PathSimulation::choose_dt(double t, bool active) const {
    const double previous = rows_.size() >= 2 ? rows_.back().time_s - rows_[rows_.size() - 2].time_s : p_.dt_active_s;
    double dt = active ? p_.dt_active_s : std::min(previous * p_.dt_growth, p_.dt_max_s);
    // Land exactly on the moments the outputs and the shock need.
    const double milestones[] = {p_.shock_start_s, p_.shock_start_s + p_.shock_duration_s, p_.shock_start_s + 3600.0,
                                 p_.shock_start_s + 14400.0, p_.horizon_s};
    for (const double m : milestones) {
        if (m > t + 1e-9 && t + dt > m) dt = m - t;
    }
    return std::max(dt, 1e-6);
}

void PathSimulation::update_decays(double dt) {
    if (dt == decays_.dt) return;
    Decays& d = decays_;
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
    if (p_.shock_enabled && p_.shock_permanent_share > 0 && p_.shock_size > 0) {
        const double share = p_.shock_duration_s > 0
                                 ? std::max(0.0, std::min(t + dt, p_.shock_start_s + p_.shock_duration_s) -
                                                     std::max(t, p_.shock_start_s)) / p_.shock_duration_s
                                 : (t <= p_.shock_start_s && p_.shock_start_s < t + dt ? 1.0 : 0.0);
        log_move += share * std::log1p(-p_.shock_permanent_share * p_.shock_size);
    }
    if (log_move != 0) fundamental_ *= std::exp(log_move);
}

void PathSimulation::update_depth() {
    // M4: market makers pull quotes at once when stress rises and come back slowly when it abates.
    double target = base_depth_ * regime_depth_;
    if (p_.evaporation_enabled) {
        const double stress = std::abs(log_trade_ - stress_ema_);
        target *= std::max(p_.evaporation_floor, std::exp(-p_.evaporation_rate * stress));
    }
    depth_ = target < depth_ ? target : target + (depth_ - target) * decays_.depth_recovery;
    book_.set_depth(depth_);
    // M3: consumed depth refills.
    if (p_.book_refill_enabled) book_.decay(decays_.refill);
}

void PathSimulation::exogenous_flow(double t, double dt) {
    double sell = 0;  // notional valued at V, > 0 sells
    // M1: the transient part of the shock arrives as sell flow sized to move a normal static book by (1 - phi) s.
    if (p_.shock_enabled && p_.shock_size > 0) {
        const double share = p_.shock_duration_s > 0
                                 ? std::max(0.0, std::min(t + dt, p_.shock_start_s + p_.shock_duration_s) -
                                                     std::max(t, p_.shock_start_s)) / p_.shock_duration_s
                                 : (t <= p_.shock_start_s && p_.shock_start_s < t + dt ? 1.0 : 0.0);
        if (share > 0) {
            const double transient = (1.0 - p_.shock_permanent_share) * p_.shock_size;
            sell += share * base_depth_ * std::pow(transient / 0.01, p_.book_shape);
        }
    }
    // M12: new shorts sell into downward momentum.
    double new_short_notional = 0;
    if (p_.shorts_enabled && opportunistic_ratio_ > 1.0) {
        const double momentum = momentum_ema_ - log_trade_;
        if (momentum > 0) {
            new_short_notional = p_.short_intensity_per_s * base_depth_ * (momentum / 0.01) * dt;
            sell += new_short_notional;
        }
    }
    // M11: dip buyers buy the discount to V beyond their reservation, damped while liquidations flow.
    if (p_.buyers_enabled && p_.buyer_intensity_per_s > 0) {
        const double discount = book_.displacement() - p_.buyer_reservation;
        if (discount > 0) {
            const double damping = 1.0 / (1.0 + liquidation_flow_ / (p_.buyer_flush_flow * base_depth_));
            double buy = p_.buyer_intensity_per_s * regime_buyers_ * base_depth_ * (discount / 0.01) * damping * dt;
            // Never buy past the reservation within one step, whatever dt: keeps long calm steps stable.
            buy = std::min(buy, book_.consumed() - book_.consumed_at(p_.buyer_reservation));
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
        if (open.qty > 0 && std::abs(open.entry / trade_ - 1.0) >= kShortBand) {
            // The price left the band: that cohort is complete and joins the others.
            insert_for_trigger(extra_short_, open, Side::Short);
            open.qty = 0;
        }
        open.entry = open.qty > 0 ? (open.entry * open.qty + trade_ * qty) / (open.qty + qty) : trade_;
        open.qty += qty;
        open.leverage = opportunistic_leverage_;
        open.position_qty = opportunistic_notional_ / open.entry;
        open.liquidation_price = open.entry * opportunistic_ratio_;
        open.flags = kOpportunistic;
    }
}

void PathSimulation::update_index() {
    // M5: each spot venue's log gap to V closes toward the perp's gap at the arbitrage rate and decays at its
    // own anchor rate; exact Ornstein-Uhlenbeck update with stationary noise venue_noise.
    const double kappa = p_.arbitrage_rate_per_s * regime_arbitrage_;
    const double rate = kappa + p_.spot_anchor_rate_per_s;
    const double perp_gap = std::log1p(-book_.displacement());  // log(P / V)
    const double target = rate > 0 ? kappa / rate * perp_gap : 0.0;
    const double keep = decays_.venue_keep, noise = decays_.venue_noise;
    const int k = std::clamp(p_.spot_venues, 1, static_cast<int>(venues_.size()));
    std::array<double, 16> gaps{};
    for (int i = 0; i < k; ++i) {
        venues_[i] = target + (venues_[i] - target) * keep + (noise > 0 ? noise * normal_(rng_) : 0.0);
        gaps[i] = venues_[i];
    }
    if (p_.index_aggregation == IndexAggregation::Mean) {
        double sum = 0;
        for (int i = 0; i < k; ++i) sum += std::exp(gaps[i]);
        index_ = fundamental_ * sum / k;
    } else if (k == 3) {
        index_ = fundamental_ * std::exp(median3(gaps[0], gaps[1], gaps[2]));
    } else {
        std::sort(gaps.begin(), gaps.begin() + k);
        index_ = k % 2 ? fundamental_ * std::exp(gaps[k / 2])
                       : 0.5 * fundamental_ * (std::exp(gaps[k / 2 - 1]) + std::exp(gaps[k / 2]));
    }
    basis_ema_ += decays_.basis_weight * ((trade_ - index_) - basis_ema_);
}

double PathSimulation::fill_price(Side side, double qty, double* consumed_out) const {
    // A long's liquidation sells (walks the bids), a short's buys.
    const double c = (side == Side::Long ? 1.0 : -1.0) * qty * fundamental_;
    if (consumed_out) *consumed_out = c;
    return fundamental_ * (1.0 - book_.average_displacement(book_.consumed(), book_.consumed() + c));
}

void PathSimulation::enqueue(Side side, double qty, double entry, double leverage, double position_qty, double mark) {
    Backlog& b = side == Side::Long ? long_backlog_ : short_backlog_;
    const double margin = qty * entry / leverage;
    b.qty += qty;
    b.entry_value += qty * entry;
    b.margin += margin;
    margin_taken_ += margin;
    if (side == Side::Long) {
        out_.trader_margin_lost_long += margin;
        out_.liquidated_long_notional += qty * mark;
        out_.liquidated_long_count += qty / position_qty;
        step_liq_long_ += qty * mark;
    } else {
        out_.trader_margin_lost_short += margin;
        out_.liquidated_short_notional += qty * mark;
        out_.liquidated_short_count += qty / position_qty;
        step_liq_short_ += qty * mark;
    }
}

void PathSimulation::take_over(Cohort& c, Side side, double mark, std::vector<Cohort>& extra) {
    if (c.qty <= 0) return;  // emptied by ADL
    // M8 partial liquidation: a position in a high bracket is cut to the bracket below and keeps its rest,
    // whose lower maintenance rate puts its liquidation price further away.
    if (p_.partial_liquidation && c.tier > 0) {
        const double position_notional = c.position_qty * mark;
        const double target = tiers_[c.tier - 1].notional_cap * (1.0 - 1e-9);
        const double close = std::clamp(1.0 - target / position_notional, 0.0, 1.0);
        if (close > 0 && close < 1) {
            Cohort rest = c;
            rest.qty = c.qty * (1.0 - close);
            rest.position_qty = c.position_qty * (1.0 - close);
            try {
                const auto q = isolated_liquidation({side, rest.entry, rest.position_qty, rest.position_qty * rest.entry / rest.leverage},
                                                    tiers_, {p_.liquidation_fee, Venue::Generic});
                const bool crossed = side == Side::Long ? mark <= q.liquidation_price : mark >= q.liquidation_price;
                if (q.liquidates && !crossed && q.tier < c.tier) {
                    rest.liquidation_price = q.liquidation_price;
                    rest.tier = static_cast<std::uint8_t>(q.tier);
                    enqueue(side, c.qty - rest.qty, c.entry, c.leverage, c.position_qty, mark);
                    insert_for_trigger(extra, rest, side);
                    c.qty = 0;
                    return;
                }
            } catch (const InputError&) {
                // The remainder would itself be past liquidation: close it all.
            }
        }
    }
    enqueue(side, c.qty, c.entry, c.leverage, c.position_qty, mark);
    c.qty = 0;
}

bool PathSimulation::heap_before(Side side, const std::pair<double, std::uint32_t>& a,
                                 const std::pair<double, std::uint32_t>& b) const {
    // std heaps put the greatest on top: for longs the highest liquidation price, for shorts the lowest.
    // Ties go to the lower run, so the order depends on nothing but the path.
    if (a.first != b.first) return side == Side::Long ? a.first < b.first : a.first > b.first;
    return a.second > b.second;
}

void PathSimulation::init_frontier(Side side) {
    Frontier& f = frontier(side);
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    f.heap.clear();
    f.next.resize(runs.size());
    f.left.clear();
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& run = runs[k];
        // Longs trigger from their highest entry down, shorts from their lowest up.
        f.next[k] = side == Side::Long ? static_cast<std::int64_t>(run.last_alive) - 1 : run.first_alive;
        f.heap.emplace_back(pop_.entries[static_cast<std::size_t>(f.next[k])] * run.ratio, static_cast<std::uint32_t>(k));
    }
    std::make_heap(f.heap.begin(), f.heap.end(), [this, side](const auto& a, const auto& b) { return heap_before(side, a, b); });
}

template <class Visit>
void PathSimulation::for_each_alive(Side side, Visit&& visit) {
    const Frontier& f = frontier(side);
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    const std::size_t ne = pop_.entries.size();
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& run = runs[k];
        const std::int64_t lo = side == Side::Long ? run.first_alive : f.next[k];
        const std::int64_t hi = side == Side::Long ? f.next[k] + 1 : run.last_alive;
        for (std::int64_t e = lo; e < hi; ++e) {
            Cohort c = pop_.cohort(side, k, static_cast<std::size_t>(e));
            const std::size_t id = k * ne + static_cast<std::size_t>(e);
            if (!f.left.empty()) c.qty *= f.left[id];
            visit(c, static_cast<std::int64_t>(id), std::size_t{0});
        }
    }
    auto& extra = side == Side::Long ? extra_long_ : extra_short_;
    for (std::size_t i = 0; i < extra.size(); ++i) visit(extra[i], std::int64_t{-1}, i);
    if (side == Side::Short && open_short_.qty > 0) visit(open_short_, std::int64_t{-1}, extra.size());
}

double PathSimulation::trigger_side(Side side, double mark) {
    const double before = side == Side::Long ? step_liq_long_ : step_liq_short_;
    Frontier& f = frontier(side);
    auto& extra = side == Side::Long ? extra_long_ : extra_short_;
    const auto& runs = side == Side::Long ? pop_.long_runs : pop_.short_runs;
    const auto crossed = [side, mark](double liquidation_price) {
        return side == Side::Long ? mark <= liquidation_price : mark >= liquidation_price;
    };
    const auto before_in_heap = [this, side](const auto& a, const auto& b) { return heap_before(side, a, b); };
    while (!f.heap.empty() && crossed(f.heap.front().first)) {
        std::pop_heap(f.heap.begin(), f.heap.end(), before_in_heap);
        const std::uint32_t k = f.heap.back().second;
        f.heap.pop_back();
        const auto e = static_cast<std::size_t>(f.next[k]);
        Cohort c = pop_.cohort(side, k, e);
        if (!f.left.empty()) c.qty *= f.left[k * pop_.entries.size() + e];
        // Advance the run; it rejoins the heap with its next cohort.
        f.next[k] += side == Side::Long ? -1 : 1;
        const bool more = side == Side::Long ? f.next[k] >= static_cast<std::int64_t>(runs[k].first_alive)
                                             : f.next[k] < static_cast<std::int64_t>(runs[k].last_alive);
        if (more) {
            f.heap.emplace_back(pop_.entries[static_cast<std::size_t>(f.next[k])] * runs[k].ratio, k);
            std::push_heap(f.heap.begin(), f.heap.end(), before_in_heap);
        }
        take_over(c, side, mark, extra);
    }
    while (!extra.empty() && crossed(extra.front().liquidation_price)) {
        std::pop_heap(extra.begin(), extra.end(), trigger_order(side));
        Cohort c = extra.back();
        extra.pop_back();
        take_over(c, side, mark, extra);
    }
    if (side == Side::Short && open_short_.qty > 0 && crossed(open_short_.liquidation_price)) {
        Cohort c = open_short_;
        open_short_.qty = 0;
        take_over(c, side, mark, extra);
    }
    return (side == Side::Long ? step_liq_long_ : step_liq_short_) - before;
}

double PathSimulation::trigger(double mark) {
    if (!p_.liquidation_enabled) return 0;
    return trigger_side(Side::Long, mark) + trigger_side(Side::Short, mark);
}

double PathSimulation::deleverage(Side liquidated, double qty, double price) {
    // M10: close opposite positions in profit, best-ranked first, at the liquidated position's bankruptcy
    // price. No book impact. Returns the quantity it could match.
    if (options_.check_invariants && fund_.enabled() && fund_.available() > 1e-9 * std::max(1.0, fund_.initial())) {
        violation(rows_.empty() ? 0.0 : rows_.back().time_s, "ADL while the insurance fund still holds " + std::to_string(fund_.balance()));
    }
    const Side side = opposite(liquidated);
    Frontier& f = frontier(side);
    const std::size_t grid_size = (side == Side::Long ? pop_.long_runs : pop_.short_runs).size() * pop_.entries.size();
    if (f.left.empty()) f.left.assign(grid_size, 1.0);  // first ADL on this side: track what it takes
    auto& extra = side == Side::Long ? extra_long_ : extra_short_;
    adl_queue_.clear();
    for_each_alive(side, [&](const Cohort& c, std::int64_t id, std::size_t extra_index) {
        if (c.qty <= 0) return;
        const bool in_profit = side == Side::Short ? c.entry > mark_ : c.entry < mark_;
        if (!in_profit) return;
        const auto key = static_cast<std::uint32_t>(id >= 0 ? static_cast<std::size_t>(id) : grid_size + extra_index);
        adl_queue_.emplace_back(adl_score(p_.adl_ranking, side, c.entry, mark_, c.qty, c.margin()), key);
    });
    // Highest score first; ties by position in the book, so the order never depends on anything but the path.
    const auto worse = [](const auto& a, const auto& b) { return a.first < b.first || (a.first == b.first && a.second > b.second); };
    std::make_heap(adl_queue_.begin(), adl_queue_.end(), worse);
    double matched = 0;
    const std::size_t ne = pop_.entries.size();
    while (matched < qty && !adl_queue_.empty()) {
        std::pop_heap(adl_queue_.begin(), adl_queue_.end(), worse);
        const std::uint32_t id = adl_queue_.back().second;
        adl_queue_.pop_back();
        double take, position_qty;
        if (id < grid_size) {
            const Cohort base = pop_.cohort(side, id / ne, id % ne);
            take = std::min(base.qty * f.left[id], qty - matched);
            f.left[id] -= take / base.qty;
            position_qty = base.position_qty;
        } else {
            Cohort& c = id - grid_size < extra.size() ? extra[id - grid_size] : open_short_;
            take = std::min(c.qty, qty - matched);
            c.qty -= take;
            position_qty = c.position_qty;
        }
        matched += take;
        out_.adl_positions += take / position_qty;
        // The counterparty closes at the bankruptcy price instead of the mark: the profit it gives up.
        out_.adl_haircut += take * (side == Side::Short ? price - mark_ : mark_ - price);
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
    const double paid = !fund_.enabled() ? 0.0 : p_.adl_enabled ? std::min(shortfall, fund_.available()) : shortfall;
    if (paid > 0) {
        fund_.pay(paid);
        out_.fund_payout += paid;
    }
    out_.bad_debt += shortfall - paid;
    if (fund_.enabled() && (shortfall > paid || fund_.balance() < 0)) mark_fund_depleted();
}

void PathSimulation::mark_fund_depleted() {
    out_.fund_depleted = 1;
    if (fund_depletion_time_ < 0) fund_depletion_time_ = rows_.empty() ? 0.0 : rows_.back().time_s;
}

double PathSimulation::fill(Side side, double qty, double entry_value, double margin, double part) {
    // Sends `part` of a (qty, entry_value, margin) liquidation to the book; returns the equity it leaves.
    const double sign = side == Side::Long ? 1.0 : -1.0;
    const double q = part * qty;
    double consumed;
    const double price = fill_price(side, q, &consumed);
    book_.execute(consumed);
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
    if (!p_.adl_enabled || shortfall_of(1.0) <= available) {
        absorb(fill(side, qty, entry_value, margin, 1.0));
        return;
    }
    // M10: the fund cannot cover it all. Send to the book only the part whose shortfall the fund can pay
    // (bisection on the part: the shortfall grows with it), deleverage the rest at the bankruptcy price.
    double lo = 0, hi = 1;
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
    double capacity = p_.liquidation_capacity * base_depth_ * dt;
    step_waves_ = 0;
    int rounds = 0;
    bool capped = false;
    while (true) {
        mark_ = mark_price(p_, index_, basis_ema_, trade_);
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
    // Whatever the mark has crossed is in the engine's hands by the end of the step.
    mark_ = mark_price(p_, index_, basis_ema_, trade_);
    trigger(mark_);
    if (capped && !(long_backlog_.empty() && short_backlog_.empty())) ++out_.wave_cap_hits;
    out_.n_waves += step_waves_;
    out_.max_waves_in_step = std::max(out_.max_waves_in_step, static_cast<double>(step_waves_));
    out_.max_backlog = std::max(out_.max_backlog, (long_backlog_.qty + short_backlog_.qty) * fundamental_);
}

void PathSimulation::update_stress() {
    log_trade_ = std::log(trade_);
    stress_ema_ += decays_.stress_weight * (log_trade_ - stress_ema_);
    momentum_ema_ += decays_.momentum_weight * (log_trade_ - momentum_ema_);
    liquidation_flow_ = liquidation_flow_ * decays_.flow_keep + (step_liq_long_ + step_liq_short_) / kLiquidationFlowTimescale;
}

void PathSimulation::violation(double t, const std::string& what) const {
    std::ostringstream msg;
    msg << "invariant violated on path " << path_index_ << " at t = " << t << " s: " << what;
    throw InvariantViolation(msg.str());
}

void PathSimulation::check_invariants(double t) {
    // Money: what liquidated traders lost equals what went to their counterparties, the fund and the
    // exchange, less bad debt, plus what still waits in the backlog.
    const double backlog_margin = long_backlog_.margin + short_backlog_.margin;
    const double accounted = transfers_book_ + transfers_adl_ + (fund_.balance() - fund_.initial()) + exchange_revenue_ -
                             out_.bad_debt + backlog_margin;
    const double scale = std::max({1.0, margin_taken_, std::abs(transfers_book_), fund_.initial()});
    if (std::abs(margin_taken_ - accounted) > 1e-9 * scale) {
        violation(t, "money not conserved: margin taken " + std::to_string(margin_taken_) + " vs accounted " + std::to_string(accounted));
    }
    if (p_.adl_enabled && fund_.balance() < -1e-9 * std::max(1.0, fund_.initial())) {
        violation(t, "insurance fund negative with ADL enabled: " + std::to_string(fund_.balance()));
    }
    if (!p_.liquidation_enabled) return;
    // No position outside the engine's hands is past its liquidation price: a full scan, not the heaps.
    for (const Side side : {Side::Long, Side::Short}) {
        for_each_alive(side, [&](const Cohort& c, std::int64_t, std::size_t) {
            const bool crossed = side == Side::Long ? mark_ <= c.liquidation_price : mark_ >= c.liquidation_price;
            if (c.qty > 0 && crossed) {
                violation(t, std::string(side_name(side)) + " open past its liquidation price " + std::to_string(c.liquidation_price) +
                                 " at mark " + std::to_string(mark_));
            }
        });
    }
}

PathOutputs PathSimulation::run() {
    double t = 0;
    rows_.push_back({0.0, fundamental_, trade_, index_, mark_, depth_, 0, 0, 0, fund_.balance(), 0, 0});
    bool active = true;
    while (t < p_.horizon_s - 1e-9) {
        const double dt = choose_dt(t, active);
        update_decays(dt);
        const double displacement_before = book_.displacement();
        step_liq_long_ = step_liq_short_ = step_adl_ = 0;

        move_fundamental(t, dt);
        update_depth();
        exogenous_flow(t, dt);
        update_index();
        liquidation_waves(dt);
        update_stress();
        t += dt;
        if (options_.check_invariants) check_invariants(t);

        const double backlog = (long_backlog_.qty + short_backlog_.qty) * fundamental_;
        rows_.push_back({t, fundamental_, trade_, index_, mark_, depth_, backlog, step_liq_long_, step_liq_short_,
                         fund_.balance(), step_adl_, static_cast<double>(step_waves_)});
        // The clock stays fine while forced or exogenous flow moves the book; the fundamental's diffusion and
        // the venues' noise are exact at any step, so they alone never hold it fine.
        const bool shocking = p_.shock_enabled && t >= p_.shock_start_s - 1e-9 && t < p_.shock_start_s + p_.shock_duration_s - 1e-9;
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
    const auto& r = rows_;
    const std::size_t n = r.size();
    o.n_steps = static_cast<double>(n - 1);

    // Trough, and the running trough for the recovery at fixed times.
    std::size_t trough_at = 0;
    double spot_min = r[0].index_price;
    for (std::size_t i = 1; i < n; ++i) {
        if (r[i].trade_price < r[trough_at].trade_price) trough_at = i;
        spot_min = std::min(spot_min, r[i].index_price);
    }
    const double trough = r[trough_at].trade_price;
    const double t_trough = r[trough_at].time_s;
    o.trough_price = trough;
    o.max_drawdown = std::max(0.0, 1.0 - trough / p0);
    o.time_to_trough_s = std::max(0.0, t_trough - t0);
    const double exogenous = p_.shock_enabled ? p_.shock_size : 0.0;
    o.amplification = exogenous > 0 ? o.max_drawdown / exogenous : 0.0;
    o.final_price = r.back().trade_price;
    o.final_fundamental = r.back().fundamental;
    const auto recovered_at = [&](double when) {
        double running = p0, price = r.back().trade_price;
        for (std::size_t i = 0; i < n && r[i].time_s <= when + 1e-9; ++i) {
            running = std::min(running, r[i].trade_price);
            price = r[i].trade_price;
        }
        return p0 - running > 1e-12 * p0 ? (price - running) / (p0 - running) : 1.0;
    };
    o.recovered_1h = recovered_at(t0 + 3600.0);
    o.recovered_4h = recovered_at(t0 + 14400.0);
    o.recovered_end = recovered_at(p_.horizon_s);
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
        if (t50 < 0 && price >= trough + 0.5 * drop) t50 = i > trough_at ? crossing(i, trough + 0.5 * drop) : 0.0;
        if (t90 < 0 && price >= trough + 0.9 * drop) t90 = i > trough_at ? crossing(i, trough + 0.9 * drop) : 0.0;
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

    // Liquidation tempo: the busiest 60 s window, and the time between 5% and 95% of the liquidated notional.
    const double total_liq = o.liquidated_long_notional + o.liquidated_short_notional;
    o.liquidated_oi_fraction = initial_oi_ > 0 ? total_liq / initial_oi_ : 0.0;
    double window = 0, cumulative = 0, t05 = -1, t95 = -1;
    std::size_t first = 1;
    for (std::size_t i = 1; i < n; ++i) {
        const double liq = r[i].liquidated_long + r[i].liquidated_short;
        window += liq;
        while (r[first].time_s <= r[i].time_s - 60.0) {
            window -= r[first].liquidated_long + r[first].liquidated_short;
            ++first;
        }
        o.peak_liquidations_per_min = std::max(o.peak_liquidations_per_min, window);
        cumulative += liq;
        if (total_liq > 0 && t05 < 0 && cumulative >= 0.05 * total_liq) t05 = r[i].time_s;
        if (total_liq > 0 && t95 < 0 && cumulative >= 0.95 * total_liq) t95 = r[i].time_s;
    }
    o.cascade_duration_s = total_liq > 0 ? t95 - t05 : 0.0;

    o.trader_margin_lost = o.trader_margin_lost_long + o.trader_margin_lost_short;
    o.fund_min = fund_.min_balance();
    o.fund_final = fund_.balance();
    o.fund_depletion_time_s = fund_depletion_time_ >= 0 ? std::max(0.0, fund_depletion_time_ - t0) : p_.horizon_s - t0;
    const double backlog_margin = long_backlog_.margin + short_backlog_.margin;
    const double accounted = transfers_book_ + transfers_adl_ + (fund_.balance() - fund_.initial()) + exchange_revenue_ -
                             o.bad_debt + backlog_margin;
    o.conservation_error = std::abs(margin_taken_ - accounted) / std::max({1.0, margin_taken_, std::abs(transfers_book_)});
    return o;
}

}  // namespace

PathOutputs CascadeEngine::simulate(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                                    PathTrace* trace) {
    Impl& impl = *impl_;
    impl.cohort_count = impl.population.cohort_count();
    PathSimulation sim(params, impl.tiers, impl.options, impl.population, impl.rows, impl.adl_queue, impl.long_frontier,
                       impl.short_frontier, seed, path_index);
    PathOutputs out = sim.run();
    if (trace) trace->rows.assign(impl.rows.begin(), impl.rows.end());
    return out;
}

}  // namespace wipeout
