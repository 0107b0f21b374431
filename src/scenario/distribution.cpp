// Scenario distributions: inverse-CDF sampling with truncation, through Boost.Math where there is no
// closed form.
#include "wipeout/distribution.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "wipeout/error.h"

namespace wipeout {
namespace {

// Plain double arithmetic: the default policy promotes to long double, several times slower for no
// precision a scenario parameter needs.
using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>,
                                             boost::math::policies::promote_float<false>>;
using NormalDist = boost::math::normal_distribution<double, Policy>;
using BetaDist = boost::math::beta_distribution<double, Policy>;
using StudentDist = boost::math::students_t_distribution<double, Policy>;

constexpr double kInf = std::numeric_limits<double>::infinity();
// Probabilities handed to a quantile function stay inside the open interval (0, 1).
constexpr double kTiny = 0x1p-54;
constexpr double kBelowOne = 1.0 - 0x1p-53;

void require(bool ok, std::string_view what) {
    if (!ok) throw InputError(std::string(what));
}

bool finite(double x) {
    return std::isfinite(x);
}

double open_unit(double p) {
    return std::clamp(p, kTiny, kBelowOne);
}

}  // namespace

std::string_view distribution_name(DistributionKind kind) {
    switch (kind) {
        case DistributionKind::Fixed:
            return "fixed";
        case DistributionKind::Uniform:
            return "uniform";
        case DistributionKind::LogUniform:
            return "loguniform";
        case DistributionKind::Normal:
            return "normal";
        case DistributionKind::LogNormal:
            return "lognormal";
        case DistributionKind::Beta:
            return "beta";
        case DistributionKind::StudentT:
            return "studentt";
        case DistributionKind::Choice:
            return "choice";
        case DistributionKind::Bernoulli:
            return "bernoulli";
    }
    return "?";
}

Distribution Distribution::fixed(double value) {
    require(finite(value), fmt::format("a fixed value must be a finite number, got {}", value));
    Distribution d;
    d.kind_ = DistributionKind::Fixed;
    d.a_ = value;
    d.prepare();
    return d;
}

Distribution Distribution::uniform(double low, double high) {
    require(finite(low) && finite(high) && low < high,
            fmt::format("uniform needs finite low < high, got low = {}, high = {}", low, high));
    Distribution d;
    d.kind_ = DistributionKind::Uniform;
    d.a_ = low;
    d.b_ = high;
    d.prepare();
    return d;
}

Distribution Distribution::log_uniform(double low, double high) {
    require(finite(low) && finite(high) && 0 < low && low < high,
            fmt::format("loguniform needs finite 0 < low < high, got low = {}, high = {}", low, high));
    Distribution d;
    d.kind_ = DistributionKind::LogUniform;
    d.a_ = low;
    d.b_ = high;
    d.prepare();
    return d;
}

Distribution Distribution::normal(double mean, double sd) {
    require(finite(mean), fmt::format("normal needs a finite mean, got {}", mean));
    require(finite(sd) && sd > 0, fmt::format("normal needs sd > 0, got {}", sd));
    Distribution d;
    d.kind_ = DistributionKind::Normal;
    d.a_ = mean;
    d.b_ = sd;
    d.prepare();
    return d;
}

Distribution Distribution::log_normal(double median, double sigma) {
    require(finite(median) && median > 0, fmt::format("lognormal needs median > 0, got {}", median));
    require(finite(sigma) && sigma > 0, fmt::format("lognormal needs sigma > 0, got {}", sigma));
    Distribution d;
    d.kind_ = DistributionKind::LogNormal;
    d.a_ = median;
    d.b_ = sigma;
    d.prepare();
    return d;
}

Distribution Distribution::beta(double alpha, double beta, double low, double high) {
    require(finite(alpha) && alpha > 0, fmt::format("beta needs alpha > 0, got {}", alpha));
    require(finite(beta) && beta > 0, fmt::format("beta needs beta > 0, got {}", beta));
    require(finite(low) && finite(high) && low < high,
            fmt::format("beta needs finite low < high, got low = {}, high = {}", low, high));
    Distribution d;
    d.kind_ = DistributionKind::Beta;
    d.a_ = alpha;
    d.b_ = beta;
    d.c_ = low;
    d.d_ = high;
    d.prepare();
    return d;
}

Distribution Distribution::student_t(double df, double location, double scale) {
    require(finite(df) && df > 0, fmt::format("studentt needs df > 0, got {}", df));
    require(finite(location), fmt::format("studentt needs a finite location, got {}", location));
    require(finite(scale) && scale > 0, fmt::format("studentt needs scale > 0, got {}", scale));
    Distribution d;
    d.kind_ = DistributionKind::StudentT;
    d.a_ = df;
    d.b_ = location;
    d.c_ = scale;
    d.prepare();
    return d;
}

Distribution Distribution::choice(std::vector<double> values, std::vector<double> weights) {
    require(!values.empty(), "choice needs at least one value");
    for (double v : values) require(finite(v), fmt::format("choice values must be finite, got {}", v));
    require(weights.empty() || weights.size() == values.size(),
            fmt::format("choice has {} values but {} weights", values.size(), weights.size()));
    double total = 0;
    for (double w : weights) {
        require(finite(w) && w >= 0, fmt::format("choice weights must be finite and >= 0, got {}", w));
        total += w;
    }
    require(weights.empty() || (total > 0 && finite(total)),
            fmt::format("choice weights must sum to a positive finite number, got {}", total));
    Distribution d;
    d.kind_ = DistributionKind::Choice;
    d.values_ = std::move(values);
    d.weights_ = std::move(weights);
    d.prepare();
    return d;
}

Distribution Distribution::bernoulli(double p) {
    require(finite(p) && p >= 0 && p <= 1, fmt::format("bernoulli needs 0 <= p <= 1, got {}", p));
    Distribution d;
    d.kind_ = DistributionKind::Bernoulli;
    d.a_ = p;
    d.prepare();
    return d;
}

Distribution Distribution::truncated(double min, double max) const {
    const auto name = distribution_name(kind_);
    require(kind_ != DistributionKind::Fixed && kind_ != DistributionKind::Choice &&
                kind_ != DistributionKind::Bernoulli,
            fmt::format("{} takes no truncation bounds (min, max)", name));
    require(!std::isnan(min) && !std::isnan(max) && min <= max,
            fmt::format("truncation bounds need min <= max, got min = {}, max = {}", min, max));
    Distribution d = *this;
    d.has_min_ = min > -kInf;
    d.has_max_ = max < kInf;
    d.min_ = min;
    d.max_ = max;
    d.prepare();
    const bool empty = d.use_survival_ ? !(d.q_lo_ > d.q_hi_) : !(d.p_hi_ > d.p_lo_);
    require(!empty, fmt::format("truncation bounds [{}, {}] hold no probability of this {}", min, max, name));
    return d;
}

void Distribution::prepare() {
    if (kind_ == DistributionKind::Choice) {
        // Normalized cumulative weights; the last is exactly 1 so every u in [0, 1) finds a value.
        const std::size_t n = values_.size();
        cumulative_.assign(n, 0.0);
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) total += weights_.empty() ? 1.0 : weights_[i];
        double running = 0;
        for (std::size_t i = 0; i < n; ++i) {
            running += weights_.empty() ? 1.0 : weights_[i];
            cumulative_[i] = running / total;
        }
        // The last value with positive weight closes at exactly 1, so every u in [0, 1) stops at or
        // before it and zero-weight values are never drawn.
        std::size_t last = n - 1;
        while (last > 0 && !weights_.empty() && weights_[last] <= 0) --last;
        for (std::size_t i = last; i < n; ++i) cumulative_[i] = 1.0;
        return;
    }
    if (kind_ == DistributionKind::Fixed || kind_ == DistributionKind::Bernoulli) return;
    p_lo_ = cdf(min_);
    p_hi_ = cdf(max_);
    q_lo_ = survival(min_);
    q_hi_ = survival(max_);
    use_survival_ = p_lo_ > 0.5;
}

double Distribution::cdf(double x) const {
    if (x == -kInf) return 0.0;
    if (x == kInf) return 1.0;
    switch (kind_) {
        case DistributionKind::Uniform:
            return std::clamp((x - a_) / (b_ - a_), 0.0, 1.0);
        case DistributionKind::LogUniform:
            return x <= a_ ? 0.0 : std::clamp(std::log(x / a_) / std::log(b_ / a_), 0.0, 1.0);
        case DistributionKind::Normal:
            return boost::math::cdf(NormalDist(a_, b_), x);
        case DistributionKind::LogNormal:
            return x <= 0 ? 0.0 : boost::math::cdf(NormalDist(0, 1), std::log(x / a_) / b_);
        case DistributionKind::Beta: {
            const double y = (x - c_) / (d_ - c_);
            return y <= 0 ? 0.0 : y >= 1 ? 1.0 : boost::math::cdf(BetaDist(a_, b_), y);
        }
        case DistributionKind::StudentT:
            return boost::math::cdf(StudentDist(a_), (x - b_) / c_);
        default:
            return 0.0;
    }
}

double Distribution::survival(double x) const {
    if (x == -kInf) return 1.0;
    if (x == kInf) return 0.0;
    using boost::math::complement;
    switch (kind_) {
        case DistributionKind::Normal:
            return boost::math::cdf(complement(NormalDist(a_, b_), x));
        case DistributionKind::LogNormal:
            return x <= 0 ? 1.0 : boost::math::cdf(complement(NormalDist(0, 1), std::log(x / a_) / b_));
        case DistributionKind::Beta: {
            const double y = (x - c_) / (d_ - c_);
            return y <= 0 ? 1.0 : y >= 1 ? 0.0 : boost::math::cdf(complement(BetaDist(a_, b_), y));
        }
        case DistributionKind::StudentT:
            return boost::math::cdf(complement(StudentDist(a_), (x - b_) / c_));
        default:
            return 1.0 - cdf(x);  // bounded closed forms lose nothing here
    }
}

double Distribution::quantile(double p) const {
    switch (kind_) {
        case DistributionKind::Uniform:
            return a_ + p * (b_ - a_);
        case DistributionKind::LogUniform:
            return a_ * std::exp(p * std::log(b_ / a_));
        case DistributionKind::Normal:
            return boost::math::quantile(NormalDist(a_, b_), p);
        case DistributionKind::LogNormal:
            return a_ * std::exp(b_ * boost::math::quantile(NormalDist(0, 1), p));
        case DistributionKind::Beta:
            return c_ + (d_ - c_) * boost::math::quantile(BetaDist(a_, b_), p);
        case DistributionKind::StudentT:
            return b_ + c_ * boost::math::quantile(StudentDist(a_), p);
        default:
            return a_;
    }
}

double Distribution::upper_quantile(double q) const {
    using boost::math::complement;
    switch (kind_) {
        case DistributionKind::Normal:
            return boost::math::quantile(complement(NormalDist(a_, b_), q));
        case DistributionKind::LogNormal:
            return a_ * std::exp(b_ * boost::math::quantile(complement(NormalDist(0, 1), q)));
        case DistributionKind::Beta:
            return c_ + (d_ - c_) * boost::math::quantile(complement(BetaDist(a_, b_), q));
        case DistributionKind::StudentT:
            return b_ + c_ * boost::math::quantile(complement(StudentDist(a_), q));
        default:
            return quantile(1.0 - q);
    }
}

double Distribution::sample(double u) const {
    switch (kind_) {
        case DistributionKind::Fixed:
            return a_;
        case DistributionKind::Bernoulli:
            return u >= 1.0 - a_ ? 1.0 : 0.0;
        case DistributionKind::Choice: {
            std::size_t i = 0;
            while (i + 1 < cumulative_.size() && u >= cumulative_[i]) ++i;
            return values_[i];
        }
        default:
            break;
    }
    // Centre u in its 2^-53 cell so neither end of [0, 1) maps to an infinite quantile.
    const double v = u + kTiny;
    double x;
    if (use_survival_) {
        x = upper_quantile(open_unit(std::clamp(q_lo_ - v * (q_lo_ - q_hi_), q_hi_, q_lo_)));
    } else {
        x = quantile(open_unit(std::clamp(p_lo_ + v * (p_hi_ - p_lo_), p_lo_, p_hi_)));
    }
    return std::clamp(x, min_, max_);  // rounding in a quantile must not step outside the bounds
}

std::vector<std::pair<std::string_view, double>> Distribution::parameters() const {
    switch (kind_) {
        case DistributionKind::Fixed:
            return {{"value", a_}};
        case DistributionKind::Uniform:
        case DistributionKind::LogUniform:
            return {{"low", a_}, {"high", b_}};
        case DistributionKind::Normal:
            return {{"mean", a_}, {"sd", b_}};
        case DistributionKind::LogNormal:
            return {{"median", a_}, {"sigma", b_}};
        case DistributionKind::Beta:
            return {{"alpha", a_}, {"beta", b_}, {"low", c_}, {"high", d_}};
        case DistributionKind::StudentT:
            return {{"df", a_}, {"location", b_}, {"scale", c_}};
        case DistributionKind::Choice:
            return {};
        case DistributionKind::Bernoulli:
            return {{"p", a_}};
    }
    return {};
}

Interval Distribution::support() const {
    Interval s;
    switch (kind_) {
        case DistributionKind::Fixed:
            return {a_, a_};
        case DistributionKind::Bernoulli:
            return {a_ >= 1.0 ? 1.0 : 0.0, a_ <= 0.0 ? 0.0 : 1.0};
        case DistributionKind::Choice: {
            // Only values with positive weight can be drawn.
            s = {kInf, -kInf};
            for (std::size_t i = 0; i < values_.size(); ++i) {
                if (!weights_.empty() && weights_[i] <= 0) continue;
                s.lo = std::min(s.lo, values_[i]);
                s.hi = std::max(s.hi, values_[i]);
            }
            return s;
        }
        case DistributionKind::Uniform:
        case DistributionKind::LogUniform:
            s = {a_, b_};
            break;
        case DistributionKind::Beta:
            s = {c_, d_};
            break;
        case DistributionKind::LogNormal:
            s = {0.0, kInf};
            break;
        case DistributionKind::Normal:
        case DistributionKind::StudentT:
            break;
    }
    return {std::max(s.lo, min_), std::min(s.hi, max_)};
}

bool operator==(const Distribution& a, const Distribution& b) {
    return a.kind_ == b.kind_ && a.a_ == b.a_ && a.b_ == b.b_ && a.c_ == b.c_ && a.d_ == b.d_ &&
           a.values_ == b.values_ && a.weights_ == b.weights_ && a.has_min_ == b.has_min_ &&
           a.has_max_ == b.has_max_ && a.min_ == b.min_ && a.max_ == b.max_;
}

}  // namespace wipeout
