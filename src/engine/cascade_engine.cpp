// The cascade engine's front: one fully specified path in, its outputs out. It keeps what outlives a path
// (the tier table, the population and the buffers) and hands each path to a PathSimulation, where the
// mechanisms live, one unit each (docs/architecture.md).
#include "wipeout/cascade_engine.h"

#include <array>
#include <bit>
#include <optional>

#include "path_simulation.h"
#include "wipeout/market_inputs.h"
#include "wipeout/population.h"
#include "wipeout/price_history.h"
#include "wipeout/tiers.h"

namespace wipeout {

std::span<const std::string_view> trace_columns() {
    static constexpr std::array<std::string_view, 12> kColumns{
        "time_s",           "fundamental",    "trade_price",         "index_price",
        "mark_price",       "bid_depth_1pct", "liquidation_backlog", "liquidated_long",
        "liquidated_short", "fund_balance",   "adl_notional",        "waves"};
    return kColumns;
}

struct CascadeEngine::Impl {
    TierTable tiers;
    std::optional<PriceHistory> history;  // the engine's own copy
    std::shared_ptr<const PositionSnapshot> positions;  // shared by the run's engines
    // The snapshot's cohorts at oi_scale 1, for the fee and reference price they were built for.
    Population snapshot_base;
    double snapshot_fee = -1, snapshot_reference = -1, snapshot_scale = -1;
    std::optional<BookSnapshot> book;
    // An order-book snapshot's profile, which every path's book walks instead of the power law, and the
    // snapshot's d1, which replaces book.depth_1pct (docs/model.md M3): the unit every flow of the model is
    // stated in (capacity, buyers, shocks, the parametric crowd's open interest), so run() sets it before
    // anything reads it, here and only here. book.shape is then unused.
    std::optional<BookProfile> book_profile;
    CascadeParams on_book_params;
    const CascadeParams* on_book(const CascadeParams& p) {
        if (!book_profile || p.depth_1pct == book_profile->depth_1pct()) return nullptr;
        on_book_params = p;
        on_book_params.depth_1pct = book_profile->depth_1pct();
        return &on_book_params;
    }
    EngineOptions options;
    PopulationScratch scratch;
    Population population;
    engine::PathBuffers buffers;
    GenericLiquidation liquidation;  // for the fee it was built with
    double liquidation_fee = -1;
    std::size_t cohort_count = 0;
    EngineCounters counters;
    std::array<std::uint64_t, 28> population_key{};  // the parameters `population` was built from
    bool population_built = false;
    std::uint64_t population_version = 0;  // changes whenever `population` does

    Impl(const TierTable& t, const PriceHistory* h, EngineOptions o) : tiers(t), options(o) {
        if (h != nullptr) history = *h;
    }
};

CascadeEngine::CascadeEngine(const TierTable& tiers, EngineOptions options)
    : impl_(std::make_unique<Impl>(tiers, nullptr, options)) {}
CascadeEngine::CascadeEngine(const TierTable& tiers, const PriceHistory* history, EngineOptions options)
    : impl_(std::make_unique<Impl>(tiers, history, options)) {}
CascadeEngine::CascadeEngine(const MarketInputs& inputs, EngineOptions options)
    : impl_(std::make_unique<Impl>(inputs.tiers, inputs.history_or_null(), options)) {
    impl_->positions = inputs.positions;
    impl_->book = inputs.book;
    if (impl_->book) impl_->book_profile = impl_->book->profile();
}
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
std::array<std::uint64_t, 28> population_key(const CascadeParams& p) {
    const double fields[28] = {p.reference_price,
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
                               p.long_share,
                               static_cast<double>(p.history_enabled),
                               p.history_volatility_annual,
                               p.history_drift_annual,
                               p.history_hold_days,
                               p.history_bin_width,
                               p.intraday_share,
                               p.intraday_hold_days,
                               p.intraday_leverage,
                               p.stop_share,
                               p.stop_distance,
                               p.hedged_share};
    std::array<std::uint64_t, 28> key;
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = std::bit_cast<std::uint64_t>(fields[i]);
    return key;
}

}  // namespace

PathOutputs CascadeEngine::run(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                               PathTrace* trace) {
    if (const CascadeParams* p = impl_->on_book(params)) return run(*p, seed, path_index, trace);
    Impl& impl = *impl_;
    if (impl.positions) {
        // A position snapshot replaces the parametric crowd: its liquidation prices depend on the fee and the
        // reference price only (rebuilt when they change, O(positions)); the path's oi_scale rescales the
        // cohorts (O(cohorts)).
        if (impl.snapshot_fee != params.liquidation_fee || impl.snapshot_reference != params.reference_price) {
            impl.positions->build(impl.tiers, params.liquidation_fee, params.reference_price, 1.0, impl.snapshot_base);
            impl.snapshot_fee = params.liquidation_fee;
            impl.snapshot_reference = params.reference_price;
            impl.snapshot_scale = -1;
        }
        if (impl.snapshot_scale != params.oi_scale) {
            impl.population = impl.snapshot_base;
            PositionSnapshot::scale(impl.population, params.oi_scale);
            impl.snapshot_scale = params.oi_scale;
            impl.population_built = false;
            impl.cohort_count = impl.population.cohort_count();
            ++impl.population_version;
        }
        return simulate(params, seed, path_index, trace);
    }
    const auto key = population_key(params);
    if (!impl_->population_built || impl_->population_key != key) {
        build_population(params, impl_->tiers, impl_->scratch, impl_->population,
                         impl_->history ? &*impl_->history : nullptr);
        impl_->population_key = key;
        impl_->population_built = true;
        impl_->cohort_count = impl_->population.cohort_count();
        ++impl_->population_version;
    }
    return simulate(params, seed, path_index, trace);
}

PathOutputs CascadeEngine::run(const CascadeParams& params, const Population& population, std::uint64_t seed,
                               std::uint64_t path_index, PathTrace* trace) {
    if (const CascadeParams* p = impl_->on_book(params)) return run(*p, population, seed, path_index, trace);
    impl_->population = population;
    impl_->population_built = false;  // not the parameters' own
    impl_->snapshot_scale = -1;       // nor the snapshot's
    impl_->cohort_count = impl_->population.cohort_count();
    ++impl_->population_version;
    return simulate(params, seed, path_index, trace);
}

PathOutputs CascadeEngine::simulate(const CascadeParams& params, std::uint64_t seed, std::uint64_t path_index,
                                    PathTrace* trace) {
    Impl& impl = *impl_;
    if (impl.liquidation_fee != params.liquidation_fee) {
        impl.liquidation = GenericLiquidation(impl.tiers, params.liquidation_fee);
        impl.liquidation_fee = params.liquidation_fee;
    }
    const BookProfile* book = impl.book_profile ? &*impl.book_profile : nullptr;
    engine::PathSimulation sim(params, impl.tiers, impl.liquidation, impl.options, book, impl.population,
                               impl.population_version, impl.buffers, impl.counters, seed, path_index,
                               trace != nullptr);
    impl.counters.cohorts = impl.cohort_count;
    PathOutputs out = sim.run();
    if (trace) trace->rows.assign(impl.buffers.record.rows.begin(), impl.buffers.record.rows.end());
    if (!sim.fund_needed_known()) {
        // ADL changed the path (the part deleveraged never reached the book), so its own ledger does not say
        // what fund would have avoided it: the same path with an unlimited fund does. ADL off is exactly that
        // path (the fund pays every shortfall, going negative), identical to this one up to its first ADL.
        CascadeParams unlimited = params;
        unlimited.adl_enabled = false;
        unlimited.fund_enabled = true;
        EngineCounters rerun_counters;
        engine::PathSimulation rerun(unlimited, impl.tiers, impl.liquidation, impl.options, book,
                                     impl.population, impl.population_version, impl.buffers, rerun_counters,
                                     seed, path_index, false);
        const PathOutputs u = rerun.run();
        out.fund_needed = u.fund_needed;
        out.fund_needed_to_oi = u.fund_needed_to_oi;
        impl.counters.fund_reruns = 1;
    }
    return out;
}

}  // namespace wipeout
