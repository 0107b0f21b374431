// Scenario distributions: inverse-CDF values, truncation bounds, monotonicity, moments of draws, refusals.
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "wipeout/distribution.h"
#include "wipeout/error.h"
#include "wipeout/random.h"

using namespace wipeout;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLastUniform = 1.0 - 0x1p-53;  // the largest value RandomStream::uniform() returns

/// u on a grid including both ends of [0, 1).
std::vector<double> grid() {
    std::vector<double> u{0.0, 0x1p-53, 1e-12, 1e-6};
    for (int i = 1; i < 1000; ++i) u.push_back(i / 1000.0);
    u.insert(u.end(), {1 - 1e-6, 1 - 1e-12, kLastUniform});
    return u;
}

void check_bounded_and_monotone(const Distribution& d) {
    const Interval s = d.support();
    double previous = -kInf;
    for (double u : grid()) {
        const double x = d.sample(u);
        INFO("u = " << u << ", x = " << x);
        REQUIRE(std::isfinite(x));
        CHECK(x >= s.lo);
        CHECK(x <= s.hi);
        CHECK(x >= previous);
        previous = x;
    }
}

double mean_of_draws(const Distribution& d, int n) {
    RandomStream stream(7, 0, StreamId::Scenario);
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += d.sample(stream.uniform());
    return sum / n;
}
}  // namespace

TEST_CASE("closed-form quantiles", "[distribution]") {
    CHECK(Distribution::fixed(3.5).sample(0.9) == 3.5);
    CHECK(Distribution::uniform(2, 6).sample(0.25) == Approx(3.0));
    CHECK(Distribution::log_uniform(1, 100).sample(0.5) == Approx(10.0));
    CHECK(Distribution::log_normal(0.05, 0.6).sample(0.5) == Approx(0.05));
    CHECK(Distribution::normal(1, 2).sample(0.8413447460685429) == Approx(3.0).epsilon(1e-9));
    CHECK(Distribution::student_t(3, 0, 1).sample(0.975) == Approx(3.182446305284263).epsilon(1e-9));
    CHECK(Distribution::student_t(3, 10, 2).sample(0.5) == Approx(10.0).margin(1e-9));
    CHECK(Distribution::beta(2, 2).sample(0.5) == Approx(0.5));
    CHECK(Distribution::beta(2, 2, 10, 20).sample(0.5) == Approx(15.0));
}

TEST_CASE("every continuous kind stays finite, in its support and monotone in u", "[distribution]") {
    check_bounded_and_monotone(Distribution::uniform(-1, 1));
    check_bounded_and_monotone(Distribution::log_uniform(0.001, 10));
    check_bounded_and_monotone(Distribution::normal(0, 1));
    check_bounded_and_monotone(Distribution::log_normal(10, 0.8));
    check_bounded_and_monotone(Distribution::beta(0.5, 0.5));
    check_bounded_and_monotone(Distribution::student_t(1.5, 0, 1));
    check_bounded_and_monotone(Distribution::log_normal(0.05, 0.6).truncated(0.005, 0.5));
    check_bounded_and_monotone(Distribution::normal(0, 1).truncated(-kInf, -3));
    check_bounded_and_monotone(Distribution::student_t(4, 0, 1).truncated(-2, 50));
}

TEST_CASE("truncation keeps draws inside [min, max], even far in a tail", "[distribution]") {
    const auto d = Distribution::log_normal(0.05, 0.6).truncated(0.005, 0.5);
    CHECK(d.support() == Interval{0.005, 0.5});
    CHECK(d.has_min());
    CHECK(d.has_max());
    CHECK(d.sample(0.0) == Approx(0.005).epsilon(1e-9));
    CHECK(d.sample(kLastUniform) == Approx(0.5).epsilon(1e-9));
    // The far upper tail of a normal: CDF values there are all 1.0 in double, survival values are not.
    const auto tail = Distribution::normal(0, 1).truncated(8, 9);
    check_bounded_and_monotone(tail);
    CHECK(tail.sample(0.0) == Approx(8.0).epsilon(1e-6));
    CHECK(tail.sample(0.5) > 8.0);
    CHECK(tail.sample(0.5) < 8.2);  // the mass piles up at the lower end: median 8 + ln(2)/8 or so
    // A truncated distribution's median is the inverse CDF at the middle of its CDF window.
    const auto half = Distribution::normal(0, 1).truncated(0, kInf);
    CHECK(half.sample(0.5) == Approx(0.6744897501960817).epsilon(1e-9));
}

TEST_CASE("draws have the distribution's moments", "[distribution]") {
    CHECK(mean_of_draws(Distribution::beta(3, 7), 200000) == Approx(0.3).margin(0.003));
    CHECK(mean_of_draws(Distribution::uniform(0, 10), 200000) == Approx(5.0).margin(0.05));
    CHECK(mean_of_draws(Distribution::log_normal(1.0, 0.5), 200000) == Approx(std::exp(0.125)).margin(0.01));
    CHECK(mean_of_draws(Distribution::bernoulli(2.0 / 7.0), 200000) == Approx(2.0 / 7.0).margin(0.005));
}

TEST_CASE("discrete draws: choice and bernoulli", "[distribution]") {
    const auto c = Distribution::choice({0, 2}, {0.8, 0.2});
    CHECK(c.sample(0.0) == 0);
    CHECK(c.sample(0.79) == 0);
    CHECK(c.sample(0.81) == 2);
    CHECK(c.sample(kLastUniform) == 2);
    CHECK(c.support() == Interval{0, 2});
    // Zero-weight values, first or last, are never drawn.
    const auto z = Distribution::choice({1, 2, 3}, {0, 1, 0});
    for (double u : grid()) CHECK(z.sample(u) == 2);
    CHECK(z.support() == Interval{2, 2});
    const auto equal = Distribution::choice({5, 6, 7, 8});
    CHECK(equal.sample(0.3) == 6);
    const auto b = Distribution::bernoulli(0.3);
    CHECK(b.sample(0.69) == 0);
    CHECK(b.sample(0.71) == 1);
    CHECK(Distribution::bernoulli(0).sample(kLastUniform) == 0);
    CHECK(Distribution::bernoulli(1).sample(0.0) == 1);
}

TEST_CASE("supports, for checking against a parameter's range", "[distribution]") {
    CHECK(Distribution::log_normal(1, 1).support() == Interval{0, kInf});
    CHECK(Distribution::normal(0, 1).support() == Interval{-kInf, kInf});
    CHECK(Distribution::normal(0, 1).truncated(-1, kInf).support() == Interval{-1, kInf});
    CHECK(Distribution::beta(2, 3, 1, 4).support() == Interval{1, 4});
    CHECK(Distribution::uniform(0, 1).truncated(-5, 0.5).support() == Interval{0, 0.5});
}

TEST_CASE("impossible distributions are refused with the reason", "[distribution]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(Distribution::uniform(2, 1), Contains("low < high"));
    CHECK_THROWS_WITH(Distribution::log_uniform(0, 1), Contains("0 < low"));
    CHECK_THROWS_WITH(Distribution::normal(0, 0), Contains("sd > 0"));
    CHECK_THROWS_WITH(Distribution::log_normal(-1, 1), Contains("median > 0"));
    CHECK_THROWS_WITH(Distribution::log_normal(1, -1), Contains("sigma > 0"));
    CHECK_THROWS_WITH(Distribution::beta(0, 1), Contains("alpha > 0"));
    CHECK_THROWS_WITH(Distribution::student_t(0, 0, 1), Contains("df > 0"));
    CHECK_THROWS_WITH(Distribution::bernoulli(1.5), Contains("0 <= p <= 1"));
    CHECK_THROWS_WITH(Distribution::choice({}), Contains("at least one value"));
    CHECK_THROWS_WITH(Distribution::choice({1, 2}, {0, 0}), Contains("positive"));
    CHECK_THROWS_WITH(Distribution::choice({1, 2}, {1, -1}), Contains(">= 0"));
    CHECK_THROWS_WITH(Distribution::choice({1, 2}, {1}), Contains("2 values but 1 weights"));
    CHECK_THROWS_WITH(Distribution::fixed(std::nan("")), Contains("finite"));
    CHECK_THROWS_WITH(Distribution::normal(0, 1).truncated(1, -1), Contains("min <= max"));
    CHECK_THROWS_WITH(Distribution::normal(0, 1).truncated(50, 60), Contains("no probability"));
    CHECK_THROWS_WITH(Distribution::uniform(0, 1).truncated(2, 3), Contains("no probability"));
    CHECK_THROWS_WITH(Distribution::bernoulli(0.5).truncated(0, 1), Contains("no truncation"));
    CHECK_THROWS_AS(Distribution::uniform(2, 1), InputError);
}

TEST_CASE("equality compares every number", "[distribution]") {
    CHECK(Distribution::normal(0, 1) == Distribution::normal(0, 1));
    CHECK_FALSE(Distribution::normal(0, 1) == Distribution::normal(0, 1).truncated(-1, 1));
    CHECK_FALSE(Distribution::choice({1, 2}) == Distribution::choice({1, 2}, {1, 1}));
    CHECK(distribution_name(DistributionKind::StudentT) == "studentt");
}
