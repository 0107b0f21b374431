#include "path_record.h"

#include <algorithm>
#include <array>
#include <utility>

namespace wipeout::engine {

void PathRecord::summarize(const CascadeParams& p, double initial_oi, PathOutputs& o) const {
    const double p0 = p.reference_price;
    const double t0 = p.shock_enabled ? p.shock_start_s : 0.0;
    const auto& r = steps_;
    const std::size_t n = r.size();
    o.n_steps = static_cast<double>(n - 1);

    // One pass for the trough, the running trough at the fixed recovery times (rows are in time order: the
    // recovery at `when` is the last row at or before it against the lowest price up to there) and the
    // liquidation tempo (the busiest 60 s window; the times of 5% and 95% of the liquidated notional).
    std::size_t trough_at = 0;
    double spot_min = r[0].index_price;
    const double whens[3] = {t0 + 3600.0, t0 + 14400.0, p.horizon_s};
    std::array<std::pair<std::size_t, int>, 3> records;  // (last row at or before when, which), by row
    for (int j = 0; j < 3; ++j) {
        const auto after =
            std::upper_bound(r.begin(), r.end(), whens[j] + 1e-9,
                             [](double when, const StepRow& row) { return when < row.time_s; });
        records[j] = {static_cast<std::size_t>(std::max<std::ptrdiff_t>(after - r.begin(), 1)) - 1, j};
    }
    std::sort(records.begin(), records.end());
    const double total_liq = o.liquidated_long_notional + o.liquidated_short_notional;
    double running = p0, running_at[3] = {p0, p0, p0}, price_at[3] = {p0, p0, p0}, highest = p0;
    double window = 0, cumulative = 0, t05 = -1, t95 = -1;
    std::size_t first = 1;
    const auto visit = [&](std::size_t i) {
        const double price = r[i].trade_price;
        if (price < r[trough_at].trade_price) trough_at = i;
        highest = std::max(highest, price);
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
    const double exogenous = p.shock_enabled ? p.shock_size : 0.0;
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
    const double rest = p.horizon_s - t_trough;
    o.time_to_50pct_recovery_s = drop <= 0 ? 0.0 : (t50 < 0 ? rest : t50);
    o.time_to_90pct_recovery_s = drop <= 0 ? 0.0 : (t90 < 0 ? rest : t90);
    o.v_symmetry = o.time_to_50pct_recovery_s > 0 ? o.time_to_trough_s / o.time_to_50pct_recovery_s : 0.0;
    o.squeeze_rise = (peak - trough) / trough;
    o.max_rise = highest / p0 - 1.0;
    o.overshoot_above_v = overshoot;
    o.spot_loss_at_trough = std::max(0.0, 1.0 - spot_min / p0);
    o.spot_loss_at_end = 1.0 - r.back().index_price / p0;

    o.liquidated_oi_fraction = initial_oi > 0 ? total_liq / initial_oi : 0.0;
    o.cascade_duration_s = total_liq > 0 ? t95 - t05 : 0.0;
}

}  // namespace wipeout::engine
