// Summary statistics against hand-computed values, numpy's type-7 quantiles and the normal closed forms.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>

#include "wipeout/statistics.h"

using namespace wipeout;

namespace {
std::size_t quantile_index(double p) {
    return static_cast<std::size_t>(std::find(kQuantileLevels.begin(), kQuantileLevels.end(), p) -
                                    kQuantileLevels.begin());
}
}  // namespace

TEST_CASE("moments of a small sample by hand", "[statistics]") {
    const std::vector<double> x{1, 2, 3, 4, 5};
    CHECK(mean_of(x) == 3.0);
    CHECK(sample_sd(x, 3.0) == Approx(std::sqrt(2.5)).epsilon(1e-15));
    std::vector<double> copy = x;
    const Summary s = summarize(copy, OutputKind::Real, AdverseTail::Upper);
    CHECK(s.n == 5);
    CHECK(s.n_missing == 0);
    CHECK(s.mean == 3.0);
    CHECK(s.sd == Approx(std::sqrt(2.5)));
    CHECK(s.se == Approx(std::sqrt(2.5) / std::sqrt(5.0)));
    CHECK(std::isnan(s.probability));
}

TEST_CASE("compensated sum keeps what naive summation loses", "[statistics]") {
    const std::vector<double> x{1e16, 1.0, -1e16};
    CHECK(compensated_sum(x) == 1.0);
    std::vector<double> tenths(1000000, 0.1);
    CHECK(std::abs(compensated_sum(tenths) - 100000.0) < 1e-9);
}

TEST_CASE("type-7 quantiles match numpy's default", "[statistics]") {
    // numpy.quantile([3,1,4,1,5,9,2,6,5,3], [.01,.05,.5,.95,.99,.999]) = [1, 1, 3.5, 7.65, 8.73, 8.973]
    std::vector<double> x{3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    std::vector<double> sorted = x;
    std::sort(sorted.begin(), sorted.end());
    CHECK(quantile_sorted(sorted, 0.5) == Approx(3.5));
    CHECK(quantile_sorted(sorted, 0.95) == Approx(7.65));
    CHECK(quantile_sorted(sorted, 0.0) == 1.0);
    CHECK(quantile_sorted(sorted, 1.0) == 9.0);
    const Summary s = summarize(x, OutputKind::Real, AdverseTail::Upper);
    const std::array<double, 6> expected{1, 1, 3.5, 7.65, 8.73, 8.973};
    for (std::size_t i = 0; i < expected.size(); ++i)
        CHECK(s.quantiles[i] == Approx(expected[i]).epsilon(1e-12));
}

TEST_CASE("expected shortfall averages the worst ceil((1 - alpha) n) values of the adverse tail",
          "[statistics]") {
    std::vector<double> x(100);
    std::iota(x.begin(), x.end(), 1.0);                                             // 1..100
    CHECK(expected_shortfall_sorted(x, 0.95, AdverseTail::Upper) == Approx(98.0));  // mean of 96..100
    CHECK(expected_shortfall_sorted(x, 0.99, AdverseTail::Upper) == 100.0);
    CHECK(expected_shortfall_sorted(x, 0.95, AdverseTail::Lower) == Approx(3.0));  // mean of 1..5
    std::vector<double> shuffled = x;
    std::mt19937_64 rng(3);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const Summary up = summarize(shuffled, OutputKind::Real, AdverseTail::Upper);
    CHECK(up.shortfalls[0] == Approx(98.0));
    CHECK(up.shortfalls[1] == 100.0);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const Summary down = summarize(shuffled, OutputKind::Real, AdverseTail::Lower);
    CHECK(down.shortfalls[0] == Approx(3.0));
    CHECK(down.shortfalls[1] == 1.0);
    // A tiny sample still has a tail of one value.
    std::vector<double> three{5, 1, 3};
    CHECK(summarize(three, OutputKind::Real, AdverseTail::Upper).shortfalls[1] == 5.0);
}

TEST_CASE("a normal sample's quantiles and expected shortfall match the closed forms", "[statistics]") {
    // A stratified standard normal sample (inverse CDF at (i + 0.5) / n): deterministic, tight.
    const boost::math::normal_distribution<double> z;
    const std::size_t n = 200000;
    const double mu = 2.0, sigma = 3.0;
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = mu + sigma * quantile(z, (static_cast<double>(i) + 0.5) / static_cast<double>(n));
    std::mt19937_64 rng(1);
    std::shuffle(x.begin(), x.end(), rng);
    const Summary s = summarize(x, OutputKind::Real, AdverseTail::Upper);
    CHECK(s.mean == Approx(mu).margin(1e-9));
    CHECK(s.sd == Approx(sigma).epsilon(2e-3));
    CHECK(s.quantiles[quantile_index(0.99)] == Approx(mu + sigma * quantile(z, 0.99)).epsilon(1e-3));
    CHECK(s.quantiles[quantile_index(0.5)] == Approx(mu).margin(1e-3));
    // ES_alpha = mu + sigma * phi(z_alpha) / (1 - alpha)
    for (std::size_t i = 0; i < kShortfallLevels.size(); ++i) {
        const double alpha = kShortfallLevels[i];
        const double closed = mu + sigma * pdf(z, quantile(z, alpha)) / (1 - alpha);
        CHECK(s.shortfalls[i] == Approx(closed).epsilon(2e-3));
    }
    const Summary low = summarize(x, OutputKind::Real, AdverseTail::Lower);
    CHECK(low.shortfalls[0] == Approx(mu - sigma * pdf(z, quantile(z, 0.95)) / 0.05).epsilon(2e-3));
}

TEST_CASE("Wilson score intervals match the formula's known values", "[statistics]") {
    auto ci = wilson_interval(0, 10);
    CHECK(ci.lo == 0.0);
    CHECK(ci.hi == Approx(0.2775327998628892).epsilon(1e-12));
    ci = wilson_interval(5, 10);
    CHECK(ci.lo == Approx(0.236593090512564).epsilon(1e-12));
    CHECK(ci.hi == Approx(0.7634069094874361).epsilon(1e-12));
    ci = wilson_interval(30, 1000);
    CHECK(ci.lo == Approx(0.0210937388288347).epsilon(1e-12));
    CHECK(ci.hi == Approx(0.042503414147587126).epsilon(1e-12));
    CHECK(std::isnan(wilson_interval(0, 0).lo));
}

TEST_CASE("flag outputs get a probability and its interval", "[statistics]") {
    std::vector<double> flags(1000, 0.0);
    for (std::size_t i = 0; i < 30; ++i) flags[i * 31] = 1.0;
    const Summary s = summarize(flags, OutputKind::Flag, AdverseTail::Upper);
    CHECK(s.probability == Approx(0.03));
    CHECK(s.probability_lo == Approx(0.0210937388288347));
    CHECK(s.probability_hi == Approx(0.042503414147587126));
}

TEST_CASE("missing values are counted and left out", "[statistics]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> x{nan, 1, 2, std::numeric_limits<double>::infinity(), 3, nan};
    const Summary s = summarize(x, OutputKind::Real, AdverseTail::Upper);
    CHECK(s.n == 3);
    CHECK(s.n_missing == 3);
    CHECK(s.mean == 2.0);
    CHECK(s.quantiles[quantile_index(0.5)] == 2.0);
    std::vector<double> none{nan};
    const Summary empty = summarize(none, OutputKind::Real, AdverseTail::Upper);
    CHECK(empty.n == 0);
    CHECK(std::isnan(empty.mean));
    CHECK(std::isnan(empty.quantiles[0]));
}

TEST_CASE("order statistics do not depend on the input order", "[statistics]") {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(0.0, 1.5);
    std::vector<double> x(5001);
    for (double& v : x) v = dist(rng);
    std::vector<double> a = x, b = x;
    std::shuffle(b.begin(), b.end(), rng);
    const Summary sa = summarize(a, OutputKind::Real, AdverseTail::Upper);
    const Summary sb = summarize(b, OutputKind::Real, AdverseTail::Upper);
    CHECK(sa.quantiles == sb.quantiles);
    CHECK(sa.shortfalls == sb.shortfalls);
    std::sort(x.begin(), x.end());
    for (std::size_t i = 0; i < kQuantileLevels.size(); ++i)
        CHECK(sa.quantiles[i] == quantile_sorted(x, kQuantileLevels[i]));
    CHECK(sa.shortfalls[0] == expected_shortfall_sorted(x, 0.95, AdverseTail::Upper));
}
