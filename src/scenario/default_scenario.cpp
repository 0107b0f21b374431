// The default scenario compiled into wipeout: what `wipeout run` simulates with no scenario file, and the
// base every scenario file starts from (keys a file leaves out keep these values).
#include "wipeout/scenario.h"

namespace wipeout {
namespace {

// Centres are the engine's defaults (CascadeParams), except the parameters calibrated jointly to four
// historical cascades, a routine-day control and the daily response of liquidations to price moves
// (docs/calibration.md), and the day's structure (background volatility, the shock's time of day); the
// handful of parameters a risk team is least sure of are distributions, so a run explores them. Every bound
// keeps the parameter inside its valid range.
constexpr std::string_view kDefaultScenario =
    R"toml(# wipeout default scenario: a BTC perpetual on a major venue hit by a macro shock.
# Every parameter not listed here keeps the engine's default; `wipeout scenario show` prints all of them.
# A value is fixed (`size = 0.05`) or a distribution sampled per path, truncated to [min, max] by the
# inverse CDF (`size = { dist = "lognormal", median = 0.05, sigma = 0.5, min = 0.01, max = 0.3 }`).

[run]
paths = 10000   # Monte Carlo paths
seed = 1        # path i's numbers are a pure function of (seed, i)
# tiers = "my_tiers.csv"   # maintenance-margin brackets; absent: the embedded Binance BTCUSDT table

[market]
# The day's background diffusion, apart from its shock: 2022-2024's daily close-to-close volatility (0.54 a
# year) less what the shock's permanent part makes (about 2.1% a day), ~0.4 (docs/calibration.md).
volatility_annual = 0.4

[shock]
# The exogenous move: a few percent is a routine macro shock for BTC (CPI prints, risk-off opens);
# 10-20% is a crash day. Log-normal: most shocks are small, the tail is long.
size = { dist = "lognormal", median = 0.05, sigma = 0.5, min = 0.01, max = 0.30 }
# How much of the shock is news (moves fair value) rather than flow that mean-reverts: mean 0.3.
permanent_share = { dist = "beta", alpha = 3.0, beta = 7.0 }

[regime]
# Weekend / CME closed: two days in seven, the book is thinner and arbitrage slower.
air_pocket = { dist = "bernoulli", p = 0.2857 }

[history]
# M6 from the market's history: the crowd is what opening flow along a Brownian price history (volatility
# 0.6 a year, BTC's 30-day realized median 2018-2024) left, less what closed and what past extremes
# liquidated. Positions are held 23 days on average (calibrated).
enabled = true
hold_days = 23.27
# Intraday traders hold 3.2% of each side's open interest for an hour (the engine's default hold), at 4x the
# crowd's leverage (calibrated): Binance's BTCUSDT perp trades 3.7x its open interest a day (2022-2024), far
# more than a crowd held for weeks turns over, and BitMEX's traders averaged 22-30x effective leverage
# (docs/model.md, M6).
intraday_share = 0.03211
intraday_leverage = 4.032
# The entry grid's step, a numerical choice: its bias on the mean drawdown is about the standard error of
# a 10,000-path run (docs/calibration.md, scripts/grid_convergence.py).
bin_width = 0.012

[positions]
# Open interest over 1% depth: BTC perps carry OI near 100x the depth resting within 1% of the touch.
oi_to_depth = { dist = "lognormal", median = 80.0, sigma = 0.4, min = 20.0, max = 400.0 }
# Crowd positioning: longs usually dominate (mean 0.6, sd about 0.1).
long_share = { dist = "beta", alpha = 12.0, beta = 8.0 }
# Median leverage of the opening flow: 10x typical, 20-30x in a mania.
leverage_median = { dist = "lognormal", median = 10.0, sigma = 0.35, min = 2.0, max = 50.0 }
# Its spread (log-sd), calibrated.
leverage_sigma = 1.046
# Held hedged (basis trades, market makers' inventory), never liquidated: corrected for the venue's throttled
# feed, 2022-2024's days liquidate about 0.6 of what a crowd on the whole open interest would (docs/model.md,
# M6; docs/calibration.md, session 12).
hedged_share = 0.4

[book]
# D(x) = d1 (x/1%)^2: square-root impact, the law measured over four decades of metaorders on Bitcoin
# (Donier and Bonart 2015) and on every market studied since (docs/model.md, M3).
shape = 2.0
# Calibrated (docs/calibration.md; `scripts/calibrate.py` refits them): fitted jointly to the 2020, 2021,
# 2022 and 2023 cascades, a routine-day control and the daily response of liquidations, never per event.
# Consumed depth refills at 0.0155/s (half-life 45 s).
resilience_per_s = 0.01552
# 0.45% of V stays per d1 of net forced selling (Obizhaeva-Wang's permanent impact; the best point of a scan
# with the hedged share, docs/calibration.md, session 13).
permanent_impact = 0.0045

[evaporation]
# How fast market makers pull quotes as stress rises (depth falls as exp(-rate * stress)); the median is
# calibrated, the spread is the prior's.
rate = { dist = "lognormal", median = 6.007, sigma = 0.5, min = 1.0, max = 100.0 }

[buyers]
# Dip-buyer flow per 1% of discount (d1/s), calibrated.
intensity_per_s = 0.06680
# The share of it that buys the perp with the crowd's leverage mix, longs the next leg can liquidate
# (calibrated): in the 125x era's complete feed a day that fell 4-8% liquidated 11% of its OI while OI rose.
perp_share = 0.8858

[shorts]
# Opportunistic short flow per 1% of momentum (d1/s), calibrated.
intensity_per_s = 0.0003937
# And per unit of the minute's liquidation flow while the price falls: shorts drawn in by a cascade seen in
# progress (seed 000), calibrated.
cascade_share = 0.3380
)toml";

}  // namespace

std::string_view default_scenario_text() {
    return kDefaultScenario;
}

}  // namespace wipeout
