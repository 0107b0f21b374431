// The default scenario compiled into wipeout: what `wipeout run` simulates with no scenario file, and the
// base every scenario file starts from (keys a file leaves out keep these values).
#include "wipeout/scenario.h"

namespace wipeout {
namespace {

// Centres are the engine's defaults (CascadeParams), except the six parameters calibrated to four historical
// cascades and a routine-day control (docs/calibration.md: book shape and resilience, evaporation rate,
// dip-buyer and short-seller intensity, the clearance of liquidation prices around P0); the handful of
// parameters a risk team is least sure of are distributions, so a run explores them. Every bound keeps the
// parameter inside its valid range.
constexpr std::string_view kDefaultScenario =
    R"toml(# wipeout default scenario: a BTC perpetual on a major venue hit by a macro shock.
# Every parameter not listed here keeps the engine's default; `wipeout scenario show` prints all of them.
# A value is fixed (`size = 0.05`) or a distribution sampled per path, truncated to [min, max] by the
# inverse CDF (`size = { dist = "lognormal", median = 0.05, sigma = 0.5, min = 0.01, max = 0.3 }`).

[run]
paths = 10000   # Monte Carlo paths
seed = 1        # path i's numbers are a pure function of (seed, i)
# tiers = "my_tiers.csv"   # maintenance-margin brackets; absent: the embedded Binance BTCUSDT table

[shock]
# The exogenous move: a few percent is a routine macro shock for BTC (CPI prints, risk-off opens);
# 10-20% is a crash day. Log-normal: most shocks are small, the tail is long.
size = { dist = "lognormal", median = 0.05, sigma = 0.5, min = 0.01, max = 0.30 }
# How much of the shock is news (moves fair value) rather than flow that mean-reverts: mean 0.3.
permanent_share = { dist = "beta", alpha = 3.0, beta = 7.0 }

[regime]
# Weekend / CME closed: two days in seven, the book is thinner and arbitrage slower.
air_pocket = { dist = "bernoulli", p = 0.2857 }

[positions]
# Open interest over 1% depth: BTC perps carry OI near 100x the depth resting within 1% of the touch.
oi_to_depth = { dist = "lognormal", median = 80.0, sigma = 0.4, min = 20.0, max = 400.0 }
# Crowd positioning: longs usually dominate (mean 0.6, sd about 0.1).
long_share = { dist = "beta", alpha = 12.0, beta = 8.0 }
# Median leverage of the crowd: 10x typical, 20-30x in a mania.
leverage_median = { dist = "lognormal", median = 10.0, sigma = 0.35, min = 2.0, max = 50.0 }
# Calibrated (docs/calibration.md): no liquidation price within 5.3% of P0 (the engine's default is 1%). A
# routine 3-5% day liquidates well under 1% of BTC OI (Coinglass, 2024): the recent range has cleared the
# crowd within a few percent of the price.
clearance = 0.0534

[book]
# Calibrated (docs/calibration.md; `scripts/calibrate.py` refits them): fitted jointly to the 2020, 2021,
# 2022 and 2023 cascades and a routine-day control of experiments/history/, common to all, never per event.
# beta in D(x) = d1 (x/1%)^beta: between linear (1) and square-root impact (2); the engine's default is 2.
shape = 1.54
# Consumed depth refills at 1.6e-3/s (half-life ~7 min; the engine's default 0.01/s is 69 s).
resilience_per_s = 0.00161

[evaporation]
# How fast market makers pull quotes as stress rises (depth falls as exp(-rate * stress)); the median is
# calibrated (1.65, near the prior's floor of 1: a 2% move leaves 97% of the depth), the spread is the
# prior's.
rate = { dist = "lognormal", median = 1.65, sigma = 0.5, min = 1.0, max = 100.0 }

[buyers]
# Dip-buyer flow per 1% of discount (d1/s), calibrated: 0.022 (engine default 0.02).
intensity_per_s = 0.0221

[shorts]
# Opportunistic short flow per 1% of momentum (d1/s), calibrated: 0.0025 (engine default 0.0005).
intensity_per_s = 0.00245
)toml";

}  // namespace

std::string_view default_scenario_text() {
    return kDefaultScenario;
}

}  // namespace wipeout
