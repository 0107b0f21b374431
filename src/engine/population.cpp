// M6 position population by quadrature: every cohort's weight is the probability mass of its cell of the
// (entry, leverage, size) distribution, so a path's population costs no random draws and no sampling noise.
#include "wipeout/population.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "wipeout/error.h"
#include "wipeout/price_history.h"
#include "wipeout/tiers.h"

namespace wipeout {
namespace {

double normal_cdf(double z) {
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// Entry levels, ascending: a Gaussian grid in log price over +-3 dispersions, plus round-number levels
// (multiples of round_step * P0) that carry round_share of the mass ("loaded springs").
void entry_levels(const CascadeParams& p, PopulationScratch& s, Population& out) {
    // A pure function of these: kept until one changes (a scenario rarely samples them).
    const std::array<double, 5> key{p.reference_price, p.entry_dispersion, static_cast<double>(p.entry_bins),
                                    p.round_share, p.round_step};
    if (s.entry_valid && s.entry_key == key) {
        out.entries.assign(s.cached_entries.begin(), s.cached_entries.end());
        out.entry_weights.assign(s.cached_entry_weights.begin(), s.cached_entry_weights.end());
        return;
    }
    const double sd = p.entry_dispersion;
    const double half_width = 3.0 * sd;
    const int n = p.entry_bins;
    const double h = 2.0 * half_width / n;
    auto& entries = out.entries;
    auto& weights = out.entry_weights;
    entries.clear();
    weights.clear();
    double grid_total = 0;
    for (int k = 0; k < n; ++k) {
        const double u = -half_width + (k + 0.5) * h;
        const double w = std::exp(-0.5 * u * u / (sd * sd));
        entries.push_back(p.reference_price * std::exp(u));
        weights.push_back(w);
        grid_total += w;
    }
    double round_total = 0;
    if (p.round_share > 0) {
        const double unit = p.round_step * p.reference_price;
        const auto first =
            static_cast<long long>(std::ceil(p.reference_price * std::exp(-half_width) / unit));
        const auto last = static_cast<long long>(std::floor(p.reference_price * std::exp(half_width) / unit));
        for (long long m = std::max(first, 1LL); m <= last; ++m) {
            const double level = static_cast<double>(m) * unit;
            const double u = std::log(level / p.reference_price);
            const double w = std::exp(-0.5 * u * u / (sd * sd));
            // Insert in order: both lists are ascending and short.
            const auto at = std::upper_bound(entries.begin(), entries.end(), level) - entries.begin();
            entries.insert(entries.begin() + at, level);
            weights.insert(weights.begin() + at, -w);  // negative marks a round level until normalized
            round_total += w;
        }
    }
    const double round_share = round_total > 0 ? p.round_share : 0.0;
    for (auto& w : weights) w = w < 0 ? -w * round_share / round_total : w * (1.0 - round_share) / grid_total;
    s.entry_key = key;
    s.entry_valid = true;
    s.cached_entries.assign(entries.begin(), entries.end());
    s.cached_entry_weights.assign(weights.begin(), weights.end());
}

// M6 from the market's history. Positions are opened all the time at the price of the moment, along a
// history whose log price is a Brownian motion (drift mu, volatility sigma, per day), and closed voluntarily at
// a hazard h. With y = log(P0 / entry), a long of liquidation ratio r (b = log r < 0) opened at age a is still
// open if the history's low since then stayed above its liquidation price: by the reflection principle its
// density is n_a(y) - exp(2 mu b / sigma^2) n_a(y - 2b) for y > b, n_a the increment's Gaussian density (a
// short: the high stayed below, b > 0, y < b, the same form). Integrated over ages with weight exp(-h a):
//   I(z) = integral of exp(-h a) n_a(z) da  ~  exp(alpha_+ z) for z >= 0, exp(alpha_- z) for z < 0,
//   alpha_-+ = mu / sigma^2 +- s,  s = sqrt(2 p) / sigma,  p = h + mu^2 / (2 sigma^2),
// and the second term is always on one branch (z = y - 2b > 0 for a long, < 0 for a short), so a run's
// surviving density is u(y) - c v(y) with c = exp(-2 |b| s): one shared entry weight u, one removal weight v
// per side, one coefficient per run. The opening flow is notional, so a cell's quantity carries exp(y).
// The entry grid spans y over 7 decay lengths on each side in steps of history_bin_width (at most 4,000
// cells): a pure function of P0 and the history's parameters.
// Returns s, the decay rate a run's removal coefficient takes.
double history_entry_levels(const CascadeParams& p, Population& out) {
    const double sigma = p.history_volatility_annual / std::sqrt(365.0);  // per sqrt(day)
    const double mu = p.history_drift_annual / 365.0;                      // per day
    const double h = 1.0 / p.history_hold_days;
    const double pp = h + mu * mu / (2.0 * sigma * sigma);
    const double s = std::sqrt(2.0 * pp) / sigma;
    const double a_plus = mu / (sigma * sigma) - s, a_minus = mu / (sigma * sigma) + s;
    constexpr double kDecayLengths = 7.0, kMaxCells = 4000.0;
    const double y_max = std::min(kDecayLengths / -a_plus, 3.0), y_min = std::max(-kDecayLengths / a_minus, -3.0);
    const double w = std::max(p.history_bin_width, (y_max - y_min) / kMaxCells);
    const double y_hi = std::ceil(y_max / w) * w, y_lo = std::floor(y_min / w) * w;
    const auto n = static_cast<std::size_t>(std::llround((y_hi - y_lo) / w));
    out.entries.resize(n);
    out.entry_weights.resize(n);
    out.long_removal.resize(n);
    out.short_removal.resize(n);
    // Entries ascend, so y descends: y_e = y_hi - (e + 1/2) w. Exponentials on the uniform grid by recurrence.
    for (std::size_t e = 0; e < n; ++e) {
        const double y = y_hi - (static_cast<double>(e) + 0.5) * w;
        const double qty = w * std::exp(y);  // notional flow opened at P0 e^-y, as quantity per P0
        const double up = std::exp(a_plus * y), down = std::exp(a_minus * y);
        out.entries[e] = p.reference_price * std::exp(-y);
        out.entry_weights[e] = qty * (y >= 0 ? up : down);
        out.long_removal[e] = qty * up;
        out.short_removal[e] = qty * down;
    }
    return s;
}

// M6 from a given price history: the same story over bars instead of a Brownian motion. Each bar is four
// points in time order, open, its extremes (low first on an up bar) and close, the path monotone between them;
// the opening flow is spread over the points (a quarter of the bar's duration each, weighted exp(-h age)).
// A long of ratio r opened at point j at the grid entry E_e survives if every later point stayed above E_e r:
// log r < m_j + y_e with m_j the lowest later log price (relative to the last close, which is P0). Per entry,
// the runs sorted by log r get the point's flow on a prefix (longs) or suffix (shorts): one difference array,
// then a running sum. Rows per (leverage, size) index, on a grid of history_bin_width over the bars' range.
void history_rows_from_bars(const CascadeParams& p, const PriceHistory& history, PopulationScratch& s) {
    auto& h = s.history_rows;
    const auto bars = history.bars();
    const double hazard = 1.0 / p.history_hold_days, w = p.history_bin_width;
    const double last = bars.back().close;
    // The points: (age in days, log price relative to the last close, opening weight).
    struct Point {
        double age, x, weight;
    };
    std::vector<Point> points;
    points.reserve(4 * bars.size());
    const double duration_last = bars.size() > 1 ? bars.back().time_s - bars[bars.size() - 2].time_s : 86400.0;
    const double end = bars.back().time_s + duration_last;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const HistoryBar& b = bars[i];
        const double d = (i + 1 < bars.size() ? bars[i + 1].time_s : end) - b.time_s;
        const bool up = b.close >= b.open;
        const double prices[4] = {b.open, up ? b.low : b.high, up ? b.high : b.low, b.close};
        for (int k = 0; k < 4; ++k) {
            const double age = (end - (b.time_s + d * k / 3.0)) / 86400.0;
            points.push_back({age, std::log(prices[k] / last), 0.25 * d / 86400.0 * std::exp(-hazard * age)});
        }
    }
    // The grid in y = -x, entries ascending (y descending), cells centred on multiples of w (P0 is a centre).
    double x_lo = 0, x_hi = 0;
    for (const Point& q : points) {
        x_lo = std::min(x_lo, q.x);
        x_hi = std::max(x_hi, q.x);
    }
    const double y_hi = (std::ceil(-x_lo / w) + 0.5) * w, y_lo = (std::floor(-x_hi / w) - 0.5) * w;
    const auto ne = static_cast<std::size_t>(std::llround((y_hi - y_lo) / w));
    h.entries.resize(ne);
    for (std::size_t e = 0; e < ne; ++e) h.entries[e] = p.reference_price * std::exp(-(y_hi - (static_cast<double>(e) + 0.5) * w));
    const auto bin = [&](double x) {
        return std::min(ne - 1, static_cast<std::size_t>(std::max(0.0, std::floor((y_hi + x) / w))));
    };
    const std::size_t nk = s.ratio_long.size();
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& ratios = side == Side::Long ? s.ratio_long : s.ratio_short;
        auto& rows = side == Side::Long ? h.long_rows : h.short_rows;
        rows.assign(nk * ne, 0.0);
        // Candidates sorted by log ratio (infeasible ones, leverage 0, are left out).
        h.order.clear();
        for (std::uint32_t k = 0; k < nk; ++k)
            if (ratios[k].leverage > 0) h.order.push_back(k);
        const auto log_ratio = [&](std::uint32_t k) {
            const double r = ratios[k].ratio;
            return side == Side::Long ? (r > 0 ? std::log(r) : -1e300) : (r < 1e300 ? std::log(r) : 1e300);
        };
        std::sort(h.order.begin(), h.order.end(), [&](auto a, auto b) { return log_ratio(a) < log_ratio(b); });
        h.order_b.resize(h.order.size());
        for (std::size_t i = 0; i < h.order.size(); ++i) h.order_b[i] = log_ratio(h.order[i]);
        const std::size_t nr = h.order.size();
        h.diff.assign(ne * (nr + 1), 0.0);
        double extreme = 0;  // the lowest (longs) or highest (shorts) log price from the point on, P0 included
        for (std::size_t j = points.size(); j-- > 0;) {
            const Point& q = points[j];
            extreme = side == Side::Long ? std::min(extreme, q.x) : std::max(extreme, q.x);
            const std::size_t e = bin(q.x);
            const double y = y_hi - (static_cast<double>(e) + 0.5) * w;
            const double threshold = extreme + y;  // log r must be below it (long) or above it (short)
            const auto split = static_cast<std::size_t>(
                (side == Side::Long ? std::lower_bound(h.order_b.begin(), h.order_b.end(), threshold)
                                    : std::upper_bound(h.order_b.begin(), h.order_b.end(), threshold)) -
                h.order_b.begin());
            h.diff[e * (nr + 1) + split] += q.weight * std::exp(y);  // notional flow as quantity per P0
        }
        for (std::size_t e = 0; e < ne; ++e) {
            const double* d = &h.diff[e * (nr + 1)];
            double acc = 0;
            if (side == Side::Long) {  // sorted runs [0, split) survive
                for (std::size_t i = nr; i-- > 0;) {
                    acc += d[i + 1];
                    rows[h.order[i] * ne + e] = acc;
                }
            } else {  // sorted runs [split, nr) survive
                for (std::size_t i = 0; i < nr; ++i) {
                    acc += d[i];
                    rows[h.order[i] * ne + e] = acc;
                }
            }
        }
    }
}

// The mass of a log-normal (log_median, sigma) truncated to [1, e^log_max] in each level's cell, the cells'
// boundaries halfway between levels in log; all of it on the level nearest the median when sigma <= 0 or
// there is one level. `cdf`: scratch for the boundaries.
void lognormal_cells(const std::vector<double>& log_levels, double log_max, double log_median, double sigma,
                     std::vector<double>& cdf, std::vector<double>& weights) {
    const int n = static_cast<int>(log_levels.size());
    weights.assign(log_levels.size(), 0.0);
    if (n == 1 || sigma <= 0) {
        int best = 0;
        for (int i = 1; i < n; ++i) {
            if (std::abs(log_levels[i] - log_median) < std::abs(log_levels[best] - log_median)) best = i;
        }
        weights[best] = 1.0;
        return;
    }
    // Each boundary's CDF is taken once (a cell's upper boundary is the next cell's lower one).
    cdf.resize(static_cast<std::size_t>(n) + 1);
    double log_previous = log_levels[0];
    cdf[0] = normal_cdf((0.0 - log_median) / sigma);
    for (int i = 1; i < n; ++i) {
        const double log_level = log_levels[i];
        cdf[i] = normal_cdf((0.5 * (log_previous + log_level) - log_median) / sigma);
        log_previous = log_level;
    }
    cdf[n] = normal_cdf((log_max - log_median) / sigma);
    double total = 0;
    for (int i = 0; i < n; ++i) {
        const double w = cdf[i + 1] - cdf[i];
        weights[i] = w;
        total += w;
    }
    for (auto& w : weights) w /= total;
}

// Leverage levels geometric over [1, max_leverage]; each carries the log-normal mass of its cell, the
// distribution truncated to [1, max_leverage].
void leverage_levels(const CascadeParams& p, PopulationScratch& s) {
    // Levels and weights are pure functions of these (the default scenario samples the median: the levels,
    // and their logs, stay).
    const int n = p.leverage_bins;
    const std::array<double, 4> key{static_cast<double>(n), p.max_leverage, p.leverage_median,
                                    p.leverage_sigma};
    if (s.leverage_valid && s.leverage_key == key) return;
    const bool same_levels =
        s.leverage_valid && n > 1 && s.leverage_key[0] == key[0] && s.leverage_key[1] == key[1];
    s.leverage_key = key;
    s.leverage_valid = true;
    const double log_max = std::log(p.max_leverage);
    const double log_median = std::log(std::clamp(p.leverage_median, 1.0, p.max_leverage));
    if (!same_levels) {
        s.leverages.resize(static_cast<std::size_t>(n));
        s.log_leverages.resize(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            s.leverages[i] = n == 1 ? std::exp(log_median) : std::exp(log_max * i / (n - 1));
            s.log_leverages[i] = std::log(s.leverages[i]);
        }
    }
    lognormal_cells(s.log_leverages, log_max, log_median, p.leverage_sigma, s.boundary_cdf,
                    s.leverage_weights);
}

// Size classes a decade apart from size_min; a Pareto(alpha) tail of position notional gives each class
// its share of open interest and its mean position notional.
void size_classes(const CascadeParams& p, PopulationScratch& s) {
    const std::array<double, 3> key{static_cast<double>(p.size_classes), p.size_tail, p.size_min};
    if (s.size_valid && s.size_key == key) return;
    s.size_key = key;
    s.size_valid = true;
    const int n = p.size_classes;
    const double a = p.size_tail;
    s.size_notional.resize(static_cast<std::size_t>(n));
    s.size_weights.resize(static_cast<std::size_t>(n));
    const auto notional_mass = [a](double lo, double hi) {  // integral of N * N^-(a+1)
        return std::abs(a - 1.0) < 1e-12 ? std::log(hi / lo)
                                         : (std::pow(lo, 1.0 - a) - std::pow(hi, 1.0 - a)) / (a - 1.0);
    };
    const auto count_mass = [a](double lo, double hi) { return (std::pow(lo, -a) - std::pow(hi, -a)) / a; };
    double total = 0;
    for (int c = 0; c < n; ++c) {
        const double lo = p.size_min * std::pow(10.0, c);
        // The last class is open-ended when the tail has a finite mean, else capped at a decade.
        const double hi = (c == n - 1 && a > 1.0) ? std::numeric_limits<double>::infinity() : lo * 10.0;
        const double mass = notional_mass(lo, hi);
        s.size_weights[c] = mass;
        s.size_notional[c] = mass / count_mass(lo, hi);
        total += mass;
    }
    for (auto& w : s.size_weights) w /= total;
}

// A run of the history's crowd: its removal coefficient and the entries where some of it is still open (a
// long's liquidation price below P0, a short's above). False when nothing is.
bool history_run(Side side, double decay, const std::vector<double>& entries, const std::vector<double>& u,
                 const std::vector<double>& v, double p0, CohortRun& run) {
    const bool never = side == Side::Long ? run.ratio <= 0 : run.ratio >= 1e300;
    const double b = never ? 0.0 : std::log(run.ratio);
    run.removed = never ? 0.0 : std::exp(-2.0 * std::abs(b) * decay);
    // Alive where the current price is past the liquidation price: y = log(P0 / entry) > b for a long, < b for
    // a short, i.e. entry * ratio < P0 (long) or > P0 (short).
    const double bound = p0 / run.ratio;
    auto split = static_cast<std::uint32_t>(
        (side == Side::Long ? std::lower_bound(entries.begin(), entries.end(), bound)
                            : std::upper_bound(entries.begin(), entries.end(), bound)) -
        entries.begin());
    run.first_alive = side == Side::Long ? 0 : split;
    run.last_alive = side == Side::Long ? split : static_cast<std::uint32_t>(entries.size());
    // Next to the boundary the density vanishes: drop the cells that round to nothing.
    const auto weight = [&](std::uint32_t e) { return u[e] - run.removed * v[e]; };
    if (side == Side::Long) {
        while (run.last_alive > run.first_alive && !(weight(run.last_alive - 1) > 0)) --run.last_alive;
    } else {
        while (run.first_alive < run.last_alive && !(weight(run.first_alive) > 0)) ++run.first_alive;
    }
    return run.first_alive < run.last_alive;
}

// M6's intraday traders: `oi` of one side's notional (at P0) held for hours. Their stock is the history's
// closed form at the hazard 1 / intraday_hold_days, with the history's volatility and no drift (over hours
// the drift is nothing against the diffusion): of the flow a (leverage, size) pair of log ratio b receives,
// 1 - exp(-s |b|) is still open, s = sqrt(2 / hold) / sigma (a Brownian motion stopped at the rate 1 / hold
// reaches a level |b| away with probability exp(-s |b|)), and the survivors' entries lie a mean
// |b| exp(-s |b|) / (1 - exp(-s |b|)) in log on the safe side of P0 (below it for a long: those still open
// are those the price moved away from). Their spread, 1 / s (0.5% at an hour's hold), is below the entry
// grid's cell: a pair's stock is one cohort at its survivors' mean entry (quantity to first order in 1 / s).
// Their leverage: log-normal about positions.leverage_median x intraday_leverage with the crowd's spread, on
// the crowd's levels and size classes.
// Returns whether it added any (none when no pair is feasible: the history's crowd then holds the side).
bool intraday_stock(const CascadeParams& p, PopulationScratch& s, Side side, double oi,
                    std::vector<Cohort>& out) {
    auto& in = s.intraday;
    const double sigma = p.history_volatility_annual / std::sqrt(365.0);
    const std::size_t pairs = s.leverages.size() * s.size_weights.size();  // not the stop-losses' twins
    if (in.ratio_version != s.ratio_version || in.hold_days != p.intraday_hold_days ||
        in.volatility != sigma) {
        const double decay = std::sqrt(2.0 / p.intraday_hold_days) / sigma;
        for (const Side d : {Side::Long, Side::Short}) {
            const auto& ratios = d == Side::Long ? s.ratio_long : s.ratio_short;
            auto& surviving = in.surviving[d == Side::Long ? 0 : 1];
            auto& offset = in.offset[d == Side::Long ? 0 : 1];
            surviving.assign(pairs, 0.0);
            offset.assign(pairs, 0.0);
            for (std::size_t k = 0; k < pairs; ++k) {
                const CohortRun& run = ratios[k];
                if (run.leverage == 0) continue;  // infeasible
                const bool never = d == Side::Long ? run.ratio <= 0 : run.ratio >= 1e300;
                const double hit = never ? 0.0 : std::exp(-decay * std::abs(std::log(run.ratio)));
                surviving[k] = 1.0 - hit;
                // log(P0 / entry): > 0 (entry below P0) for a long, < 0 for a short
                const double y = never ? 0.0 : std::abs(std::log(run.ratio)) * hit / (1.0 - hit);
                offset[k] = d == Side::Long ? y : -y;
            }
        }
        in.ratio_version = s.ratio_version;
        in.hold_days = p.intraday_hold_days;
        in.volatility = sigma;
    }
    const double log_max = std::log(p.max_leverage);
    lognormal_cells(s.log_leverages, log_max,
                    std::log(std::clamp(p.leverage_median * p.intraday_leverage, 1.0, p.max_leverage)),
                    p.leverage_sigma, in.cdf, in.weights);
    const auto& ratios = side == Side::Long ? s.ratio_long : s.ratio_short;
    const auto& surviving = in.surviving[side == Side::Long ? 0 : 1];
    const auto& offset = in.offset[side == Side::Long ? 0 : 1];
    const std::size_t ns = s.size_weights.size();
    double total = 0;
    for (std::size_t k = 0; k < pairs; ++k)
        total += in.weights[k / ns] * s.size_weights[k % ns] * surviving[k];
    if (!(total > 0) || !(oi > 0)) return false;
    const double p0 = p.reference_price;
    for (std::size_t k = 0; k < pairs; ++k) {
        const double qty = oi * (in.weights[k / ns] * s.size_weights[k % ns] * surviving[k] / total) / p0;
        if (!(qty > 0)) continue;
        const CohortRun& run = ratios[k];
        const double entry = p0 * std::exp(-offset[k]);
        out.push_back({entry * run.ratio, entry, qty, run.position_notional / entry, run.leverage,
                       run.size_class, run.tier, 0});
    }
    return true;
}

}  // namespace

GenericLiquidation::GenericLiquidation(const TierTable& tiers, double fee)
    : fee_(fee),
      max_notional_(tiers.max_notional()),
      fee_valid_(std::isfinite(fee) && fee >= 0.0 && fee < 1.0) {
    brackets_.reserve(static_cast<std::size_t>(tiers.size()));
    for (int i = 0; i < tiers.size(); ++i) {
        const Tier& t = tiers[i];
        // As margin.cpp's candidate(): 1 - side * (mmr + fee), with side = +-1.0.
        brackets_.push_back({t.notional_floor, t.notional_cap, t.max_leverage, t.maint_amount,
                             1.0 - (t.mmr + fee), 1.0 + (t.mmr + fee), t.mmr + fee < 1.0});
    }
}

std::size_t Population::cohort_count() const {
    std::size_t n = longs.size() + shorts.size();
    for (const auto& r : long_runs) n += r.last_alive - r.first_alive;
    for (const auto& r : short_runs) n += r.last_alive - r.first_alive;
    return n;
}

void build_population(const CascadeParams& p, const TierTable& tiers, PopulationScratch& s, Population& out,
                      const PriceHistory* price_history) {
    out.longs.clear();
    out.shorts.clear();
    out.long_runs.clear();
    out.short_runs.clear();
    out.long_rows.clear();
    out.short_rows.clear();
    const bool history = p.history_enabled && price_history == nullptr;  // the closed form
    const bool bars = p.history_enabled && price_history != nullptr;
    double decay = 0;
    if (history) {
        decay = history_entry_levels(p, out);
    } else if (bars) {
        out.entries.clear();  // set below, with the rows
        out.entry_weights.clear();
    } else {
        entry_levels(p, s, out);
        out.long_removal.assign(out.entries.size(), 0.0);
        out.short_removal.assign(out.entries.size(), 0.0);
    }
    leverage_levels(p, s);
    size_classes(p, s);

    // Liquidation price / entry and the bracket for each (leverage, size): computed with the margin module
    // at entry P0, and cached, since sampled parameters rarely change the levels themselves.
    const std::size_t nl = s.leverages.size(), ns = s.size_notional.size();
    const double stop = p.stop_share > 0 ? p.stop_distance : -1.0;
    if (s.cached_tiers != &tiers || s.cached_fee != p.liquidation_fee || s.cached_leverages != s.leverages ||
        s.cached_sizes != s.size_notional || s.cached_stop != stop) {
        s.cached_tiers = &tiers;
        s.cached_fee = p.liquidation_fee;
        s.cached_stop = stop;
        s.cached_leverages = s.leverages;
        s.cached_sizes = s.size_notional;
        ++s.ratio_version;
        s.ratio_long.assign(nl * ns, CohortRun{});
        s.ratio_short.assign(nl * ns, CohortRun{});
        const double p0 = p.reference_price;
        const MarginParams margin_params{p.liquidation_fee, Venue::Generic};
        for (std::size_t c = 0; c < ns; ++c) {
            const double notional = std::min(s.size_notional[c], 0.999 * tiers.max_notional());
            const Tier& entry_tier = tiers[tiers.index_for_notional(notional)];
            for (std::size_t i = 0; i < nl; ++i) {
                // The bracket caps leverage: the mass above the cap opens at the cap.
                const double leverage = std::min(s.leverages[i], entry_tier.max_leverage);
                // A position whose requirement exceeds its margin at entry cannot be opened: no such cohort.
                if (1.0 / leverage <= entry_tier.mmr + p.liquidation_fee + 1e-9) continue;
                for (const Side side : {Side::Long, Side::Short}) {
                    const IsolatedPosition position{side, p0, notional / p0, notional / leverage};
                    try {
                        const LiquidationQuote q = isolated_liquidation(position, tiers, margin_params);
                        CohortRun& run = (side == Side::Long ? s.ratio_long : s.ratio_short)[i * ns + c];
                        run.ratio =
                            q.liquidates ? q.liquidation_price / p0 : (side == Side::Long ? 0.0 : 1e300);
                        run.leverage = leverage;
                        run.position_notional = notional;
                        run.tier = static_cast<std::uint8_t>(q.tier);
                        run.size_class = static_cast<std::uint8_t>(c);
                    } catch (const InputError&) {
                        // Infeasible at entry under this convention: no such cohort.
                    }
                }
            }
        }
        if (stop >= 0) {
            // The positions with a stop-loss: each pair's twin, its ratio the stop's, `stop` of the way from
            // the entry to the liquidation price (a 1x long's, which never liquidates, that of the way to
            // zero).
            for (auto* ratios : {&s.ratio_long, &s.ratio_short}) {
                const bool longs = ratios == &s.ratio_long;
                for (std::size_t k = 0; k < nl * ns; ++k) {
                    CohortRun twin = (*ratios)[k];
                    if (twin.leverage > 0)
                        twin.ratio = longs ? 1.0 - stop * (1.0 - twin.ratio)
                                           : (twin.ratio >= 1e300 ? 1e300 : 1.0 + stop * (twin.ratio - 1.0));
                    twin.stop = true;
                    ratios->push_back(twin);
                }
            }
        }
    }

    // Positions already past their liquidation price at t = 0 do not exist; the survivors carry the side's
    // OI. The hedged share of it is never liquidated (a basis trade's perp leg is margined by its spot leg):
    // it stays out of the crowd.
    out.hedged_oi = p.oi_to_depth * p.depth_1pct * p.hedged_share;
    const double oi = p.oi_to_depth * p.depth_1pct - out.hedged_oi;
    out.long_oi = oi * p.long_share;
    out.short_oi = oi * (1.0 - p.long_share);
    const double p0 = p.reference_price;
    if (bars) {
        auto& h = s.history_rows;
        if (h.history != price_history || h.hold_days != p.history_hold_days || h.bin_width != p.history_bin_width ||
            h.reference_price != p0 || h.ratio_version != s.ratio_version) {
            history_rows_from_bars(p, *price_history, s);
            h.history = price_history;
            h.hold_days = p.history_hold_days;
            h.bin_width = p.history_bin_width;
            h.reference_price = p0;
            h.ratio_version = s.ratio_version;
        }
        out.entries.assign(h.entries.begin(), h.entries.end());
        out.entry_weights.assign(out.entries.size(), 0.0);
        out.long_removal.assign(out.entries.size(), 0.0);
        out.short_removal.assign(out.entries.size(), 0.0);
    }
    const auto& entries = out.entries;
    // Prefix sums of entry weights (and of the removal weights), so a run's surviving mass is one subtraction.
    const std::size_t ne = entries.size();
    s.weight_prefix.resize(ne + 1);
    s.weight_prefix[0] = 0;
    for (std::size_t e = 0; e < ne; ++e) s.weight_prefix[e + 1] = s.weight_prefix[e] + out.entry_weights[e];
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& ratios = side == Side::Long ? s.ratio_long : s.ratio_short;
        auto& runs = side == Side::Long ? out.long_runs : out.short_runs;
        const auto& removal = side == Side::Long ? out.long_removal : out.short_removal;
        const double side_oi = side == Side::Long ? out.long_oi : out.short_oi;
        if (history) {
            s.removal_prefix.resize(ne + 1);
            s.removal_prefix[0] = 0;
            for (std::size_t e = 0; e < ne; ++e) s.removal_prefix[e + 1] = s.removal_prefix[e] + removal[e];
        }
        double surviving = 0;
        // Per (leverage, size) pair, then (with stop-losses) each pair's twin with a stop.
        const bool stops = ratios.size() > nl * ns;
        for (std::size_t index = 0; index < ratios.size(); ++index) {
            const std::size_t i = index / ns % nl, c = index % ns;
            CohortRun run = ratios[index];
            run.weight = s.leverage_weights[i] * s.size_weights[c];
            if (stops) run.weight *= run.stop ? p.stop_share : 1.0 - p.stop_share;
            if (run.leverage == 0 || run.weight <= 0 || side_oi <= 0) continue;
            if (bars) {
                const double* row =
                    &(side == Side::Long ? s.history_rows.long_rows : s.history_rows.short_rows)[index * ne];
                std::uint32_t lo = 0, hi = static_cast<std::uint32_t>(ne);
                while (lo < hi && !(row[lo] > 0)) ++lo;
                while (hi > lo && !(row[hi - 1] > 0)) --hi;
                if (lo >= hi) continue;
                run.first_alive = lo;
                run.last_alive = hi;
                double mass = 0;
                for (std::uint32_t e = lo; e < hi; ++e) mass += row[e];
                surviving += run.weight * mass;
                auto& rows = side == Side::Long ? out.long_rows : out.short_rows;
                rows.insert(rows.end(), row, row + ne);
                runs.push_back(run);
                continue;
            }
            if (history) {
                if (!history_run(side, decay, entries, out.entry_weights, removal, p0, run)) continue;
                surviving +=
                    run.weight *
                    ((s.weight_prefix[run.last_alive] - s.weight_prefix[run.first_alive]) -
                     run.removed * (s.removal_prefix[run.last_alive] - s.removal_prefix[run.first_alive]));
                runs.push_back(run);
                continue;
            }
            // Alive: a long's liquidation price below P0 by more than the clearance (the recent range
            // liquidated the rest), a short's above.
            const double bound =
                (side == Side::Long ? 1.0 - p.clearance : 1.0 + p.clearance) * p0 / run.ratio;
            const auto split = static_cast<std::uint32_t>(
                (side == Side::Long ? std::lower_bound(entries.begin(), entries.end(), bound)
                                    : std::upper_bound(entries.begin(), entries.end(), bound)) -
                entries.begin());
            run.first_alive = side == Side::Long ? 0 : split;
            run.last_alive = side == Side::Long ? split : static_cast<std::uint32_t>(entries.size());
            if (run.first_alive >= run.last_alive) continue;
            surviving += run.weight * (s.weight_prefix[run.last_alive] - s.weight_prefix[run.first_alive]);
            runs.push_back(run);
        }
        double per_weight = surviving > 0 ? side_oi / (surviving * p0) : 0.0;
        if (p.history_enabled && p.intraday_share > 0 &&
            intraday_stock(p, s, side, side_oi * p.intraday_share,
                           side == Side::Long ? out.longs : out.shorts))
            per_weight *= 1.0 - p.intraday_share;  // the intraday traders hold their share of the side
        (side == Side::Long ? out.long_qty_per_weight : out.short_qty_per_weight) = per_weight;
    }
}

}  // namespace wipeout
