// M6 position population by quadrature: every cohort's weight is the probability mass of its cell of the
// (entry, leverage, size) distribution, so a path's population costs no random draws and no sampling noise.
#include "wipeout/population.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "wipeout/error.h"
#include "wipeout/tiers.h"

namespace wipeout {
namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Entry levels, ascending: a Gaussian grid in log price over +-3 dispersions, plus round-number levels
// (multiples of round_step * P0) that carry round_share of the mass ("loaded springs").
void entry_levels(const CascadeParams& p, PopulationScratch& s) {
    const double sd = p.entry_dispersion;
    const double half_width = 3.0 * sd;
    const int n = p.entry_bins;
    const double h = 2.0 * half_width / n;
    s.entries.clear();
    s.entry_weights.clear();
    double grid_total = 0;
    for (int k = 0; k < n; ++k) {
        const double u = -half_width + (k + 0.5) * h;
        const double w = std::exp(-0.5 * u * u / (sd * sd));
        s.entries.push_back(p.reference_price * std::exp(u));
        s.entry_weights.push_back(w);
        grid_total += w;
    }
    // Round levels inside the same window.
    const double unit = p.round_step * p.reference_price;
    const double lo = p.reference_price * std::exp(-half_width), hi = p.reference_price * std::exp(half_width);
    const auto first = static_cast<long long>(std::ceil(lo / unit));
    const auto last = static_cast<long long>(std::floor(hi / unit));
    double round_total = 0;
    const std::size_t grid_size = s.entries.size();
    if (p.round_share > 0) {
        for (long long m = std::max(first, 1LL); m <= last; ++m) {
            const double level = static_cast<double>(m) * unit;
            const double u = std::log(level / p.reference_price);
            const double w = std::exp(-0.5 * u * u / (sd * sd));
            s.entries.push_back(level);
            s.entry_weights.push_back(w);
            round_total += w;
        }
    }
    const double round_share = round_total > 0 ? p.round_share : 0.0;
    for (std::size_t k = 0; k < s.entries.size(); ++k) {
        s.entry_weights[k] *= k < grid_size ? (1.0 - round_share) / grid_total : round_share / round_total;
    }
    // Merge the two ascending runs into one ascending list (entries and weights together).
    if (s.entries.size() > grid_size) {
        s.unsorted.clear();  // borrow the cohort buffer as (entry, weight) pairs
        for (std::size_t k = 0; k < s.entries.size(); ++k) {
            Cohort c{};
            c.entry = s.entries[k];
            c.qty = s.entry_weights[k];
            s.unsorted.push_back(c);
        }
        const auto by_entry = [](const Cohort& a, const Cohort& b) { return a.entry < b.entry; };
        std::inplace_merge(s.unsorted.begin(), s.unsorted.begin() + static_cast<std::ptrdiff_t>(grid_size),
                           s.unsorted.end(), by_entry);
        for (std::size_t k = 0; k < s.unsorted.size(); ++k) {
            s.entries[k] = s.unsorted[k].entry;
            s.entry_weights[k] = s.unsorted[k].qty;
        }
    }
}

// Leverage levels geometric over [1, max_leverage]; each carries the log-normal mass of its cell, the
// distribution truncated to [1, max_leverage].
void leverage_levels(const CascadeParams& p, PopulationScratch& s) {
    const int n = p.leverage_bins;
    const double log_max = std::log(p.max_leverage);
    const double log_median = std::log(std::clamp(p.leverage_median, 1.0, p.max_leverage));
    s.leverages.resize(static_cast<std::size_t>(n));
    s.leverage_weights.assign(static_cast<std::size_t>(n), 0.0);
    for (int i = 0; i < n; ++i) s.leverages[i] = n == 1 ? std::exp(log_median) : std::exp(log_max * i / (n - 1));
    if (n == 1 || p.leverage_sigma <= 0) {
        // A point mass: all of it on the level nearest the median.
        int best = 0;
        for (int i = 1; i < n; ++i) {
            if (std::abs(std::log(s.leverages[i]) - log_median) < std::abs(std::log(s.leverages[best]) - log_median)) best = i;
        }
        s.leverage_weights[best] = 1.0;
        return;
    }
    double total = 0;
    for (int i = 0; i < n; ++i) {
        const double lo = i == 0 ? 0.0 : 0.5 * (std::log(s.leverages[i - 1]) + std::log(s.leverages[i]));
        const double hi = i == n - 1 ? log_max : 0.5 * (std::log(s.leverages[i]) + std::log(s.leverages[i + 1]));
        const double w = normal_cdf((hi - log_median) / p.leverage_sigma) - normal_cdf((lo - log_median) / p.leverage_sigma);
        s.leverage_weights[i] = w;
        total += w;
    }
    for (auto& w : s.leverage_weights) w /= total;
}

// Size classes a decade apart from size_min; a Pareto(alpha) tail of position notional gives each class
// its share of open interest and its mean position notional.
void size_classes(const CascadeParams& p, PopulationScratch& s) {
    const int n = p.size_classes;
    const double a = p.size_tail;
    s.size_notional.resize(static_cast<std::size_t>(n));
    s.size_weights.resize(static_cast<std::size_t>(n));
    const auto notional_mass = [a](double lo, double hi) {  // integral of N * N^-(a+1)
        return std::abs(a - 1.0) < 1e-12 ? std::log(hi / lo) : (std::pow(lo, 1.0 - a) - std::pow(hi, 1.0 - a)) / (a - 1.0);
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

}  // namespace

void order_for_trigger(std::vector<Cohort>& cohorts, Side side, double reference_price, PopulationScratch& s) {
    // Key: relative distance from P0 to the liquidation price in the direction the market must move.
    const std::size_t n = cohorts.size();
    if (n < 2) return;
    const std::size_t buckets = n;
    const auto bucket_of = [&](const Cohort& c) {
        const double distance = side == Side::Long ? (reference_price - c.liquidation_price) / reference_price
                                                   : (c.liquidation_price - reference_price) / reference_price;
        const double key = std::clamp(distance, 0.0, 1.0);
        return std::min(buckets - 1, static_cast<std::size_t>(key * static_cast<double>(buckets)));
    };
    s.bucket_count.assign(buckets + 1, 0);
    for (const auto& c : cohorts) ++s.bucket_count[bucket_of(c) + 1];
    for (std::size_t b = 1; b <= buckets; ++b) s.bucket_count[b] += s.bucket_count[b - 1];
    s.unsorted.swap(cohorts);
    cohorts.resize(n);
    for (const auto& c : s.unsorted) cohorts[s.bucket_count[bucket_of(c)]++] = c;
    // Buckets are ordered; an insertion pass orders within them (cheap: few cohorts share a bucket).
    const auto before = [side](const Cohort& a, const Cohort& b) {
        return side == Side::Long ? a.liquidation_price > b.liquidation_price : a.liquidation_price < b.liquidation_price;
    };
    for (std::size_t i = 1; i < n; ++i) {
        if (!before(cohorts[i], cohorts[i - 1])) continue;
        const Cohort moving = cohorts[i];
        std::size_t j = i;
        while (j > 0 && before(moving, cohorts[j - 1])) {
            cohorts[j] = cohorts[j - 1];
            --j;
        }
        cohorts[j] = moving;
    }
}

void build_population(const CascadeParams& p, const TierTable& tiers, PopulationScratch& s, Population& out) {
    out.longs.clear();
    out.shorts.clear();
    entry_levels(p, s);
    leverage_levels(p, s);
    size_classes(p, s);

    // Liquidation price / entry and the tier for each (leverage, size): separable from the entry because a
    // size class fixes the position's notional, so the bracket at the liquidation price does not depend on E.
    const std::size_t nl = s.leverages.size(), ns = s.size_notional.size();
    s.ratio_long.assign(nl * ns, 0.0);
    s.ratio_short.assign(nl * ns, 0.0);
    s.lev_long.assign(nl * ns, 0.0);
    s.lev_short.assign(nl * ns, 0.0);
    s.tier_long.assign(nl * ns, 0);
    s.tier_short.assign(nl * ns, 0);
    const double p0 = p.reference_price;
    const MarginParams margin_params{p.liquidation_fee, Venue::Generic};
    for (std::size_t c = 0; c < ns; ++c) {
        const double notional = std::min(s.size_notional[c], 0.999 * tiers.max_notional());
        const Tier& entry_tier = tiers[tiers.index_for_notional(notional)];
        for (std::size_t i = 0; i < nl; ++i) {
            const std::size_t k = i * ns + c;
            // The bracket caps leverage: the mass above the cap opens at the cap.
            const double leverage = std::min(s.leverages[i], entry_tier.max_leverage);
            // A position whose requirement exceeds its margin at entry cannot be opened: drop it.
            if (1.0 / leverage <= entry_tier.mmr + p.liquidation_fee + 1e-9) continue;
            for (const Side side : {Side::Long, Side::Short}) {
                const IsolatedPosition position{side, p0, notional / p0, notional / leverage};
                try {
                    const LiquidationQuote q = isolated_liquidation(position, tiers, margin_params);
                    auto& ratio = side == Side::Long ? s.ratio_long : s.ratio_short;
                    ratio[k] = q.liquidates ? q.liquidation_price / p0 : (side == Side::Long ? 0.0 : std::numeric_limits<double>::infinity());
                    (side == Side::Long ? s.lev_long : s.lev_short)[k] = leverage;
                    (side == Side::Long ? s.tier_long : s.tier_short)[k] = static_cast<std::uint8_t>(q.tier);
                } catch (const InputError&) {
                    // Infeasible at entry under this venue's rule: no such cohort.
                }
            }
        }
    }

    // Positions already past their liquidation price at t = 0 do not exist; the survivors carry the side's OI.
    const double oi = p.oi_to_depth * p.depth_1pct;
    out.long_oi = oi * p.long_share;
    out.short_oi = oi * (1.0 - p.long_share);
    const std::size_t ne = s.entries.size();
    for (const Side side : {Side::Long, Side::Short}) {
        const auto& ratio = side == Side::Long ? s.ratio_long : s.ratio_short;
        const auto& lev = side == Side::Long ? s.lev_long : s.lev_short;
        const auto& tier = side == Side::Long ? s.tier_long : s.tier_short;
        auto& cohorts = side == Side::Long ? out.longs : out.shorts;
        const double side_oi = side == Side::Long ? out.long_oi : out.short_oi;
        if (side_oi <= 0) continue;
        double surviving = 0;
        for (std::size_t i = 0; i < nl; ++i) {
            for (std::size_t c = 0; c < ns; ++c) {
                const std::size_t k = i * ns + c;
                if (lev[k] == 0) continue;
                const double cell = s.leverage_weights[i] * s.size_weights[c];
                if (cell <= 0) continue;
                for (std::size_t e = 0; e < ne; ++e) {
                    const double liq = s.entries[e] * ratio[k];
                    const bool alive = side == Side::Long ? liq < p0 : liq > p0;
                    if (!alive || s.entry_weights[e] <= 0) continue;
                    const double w = cell * s.entry_weights[e];
                    surviving += w;
                    Cohort cohort;
                    cohort.liquidation_price = liq;
                    cohort.entry = s.entries[e];
                    cohort.qty = w;  // scaled to OI below
                    cohort.position_qty = s.size_notional[c] / s.entries[e];
                    cohort.leverage = lev[k];
                    cohort.size_class = static_cast<std::uint8_t>(c);
                    cohort.tier = tier[k];
                    cohort.flags = 0;
                    cohorts.push_back(cohort);
                }
            }
        }
        const double scale = surviving > 0 ? side_oi / (surviving * p0) : 0.0;
        for (auto& cohort : cohorts) cohort.qty *= scale;
        order_for_trigger(cohorts, side, p0, s);
    }
}

}  // namespace wipeout
