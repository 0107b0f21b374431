#pragma once
// A scenario value: a fixed number or a probability distribution sampled once per path. Every draw is one
// uniform through the inverse CDF, so a path's parameters are a pure function of its random stream and
// truncation to [min, max] costs no rejection loop.
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wipeout {

enum class DistributionKind {
    Fixed,       ///< always `value`
    Uniform,     ///< on [low, high]
    LogUniform,  ///< log-uniform on [low, high], 0 < low
    Normal,      ///< mean, sd
    LogNormal,   ///< median * exp(sigma * Z)
    Beta,        ///< Beta(alpha, beta) scaled onto [low, high] (default [0, 1])
    StudentT,    ///< location + scale * T(df)
    Choice,      ///< one of `values` with probabilities proportional to `weights`
    Bernoulli,   ///< 1 with probability p, else 0
};

/// The scenario-file name of a kind ("fixed", "uniform", "loguniform", "normal", "lognormal", "beta",
/// "studentt", "choice", "bernoulli").
std::string_view distribution_name(DistributionKind kind);

/// A closed interval of reals; infinite ends mean unbounded.
struct Interval {
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    bool contains(const Interval& other) const { return lo <= other.lo && other.hi <= hi; }
    friend bool operator==(const Interval&, const Interval&) = default;
};

class Distribution {
  public:
    /// Factories check their arguments and throw InputError naming the bad one (no file context: the
    /// scenario parser adds that).
    static Distribution fixed(double value);
    static Distribution uniform(double low, double high);
    static Distribution log_uniform(double low, double high);
    static Distribution normal(double mean, double sd);
    static Distribution log_normal(double median, double sigma);
    static Distribution beta(double alpha, double beta, double low = 0.0, double high = 1.0);
    static Distribution student_t(double df, double location, double scale);
    /// Weights may be empty (equal weights); otherwise one per value, non-negative, positive sum.
    static Distribution choice(std::vector<double> values, std::vector<double> weights = {});
    static Distribution bernoulli(double p);

    /// This distribution conditioned on [min, max] (either end may be infinite: no bound on that side).
    /// Refused for fixed, choice and bernoulli, for min > max, and for bounds that hold no probability.
    Distribution truncated(double min, double max) const;

    DistributionKind kind() const { return kind_; }
    bool is_fixed() const { return kind_ == DistributionKind::Fixed; }
    /// The shape parameters by scenario-file name, in a fixed order (empty for choice: see values()).
    std::vector<std::pair<std::string_view, double>> parameters() const;
    const std::vector<double>& values() const { return values_; }
    const std::vector<double>& weights() const { return weights_; }  ///< as given (not normalized)
    bool has_min() const { return has_min_; }
    bool has_max() const { return has_max_; }
    double min() const { return min_; }
    double max() const { return max_; }

    /// Every value sample() can return lies in support(): the untruncated support, cut by min/max.
    Interval support() const;

    /// The draw for a uniform u in [0, 1): the inverse CDF of the (truncated) distribution at u. Monotone
    /// non-decreasing in u (a choice: in the index of its value), never allocates, never fails.
    double sample(double u) const;

    /// Exact comparison of kind and every number (used to check a scenario round-trips through TOML).
    friend bool operator==(const Distribution& a, const Distribution& b);

  private:
    Distribution() = default;
    void prepare();                         // precomputes the truncation's CDF window
    double quantile(double p) const;        // untruncated inverse CDF
    double upper_quantile(double q) const;  // untruncated inverse survival function
    double cdf(double x) const;
    double survival(double x) const;

    DistributionKind kind_ = DistributionKind::Fixed;
    double a_ = 0, b_ = 0, c_ = 0, d_ = 0;  // shape parameters, meaning per kind (see parameters())
    std::vector<double> values_;
    std::vector<double> weights_;
    std::vector<double> cumulative_;  // normalized cumulative weights of a choice
    bool has_min_ = false, has_max_ = false;
    double min_ = -std::numeric_limits<double>::infinity();
    double max_ = std::numeric_limits<double>::infinity();
    // Truncation window: draw p in [p_lo_, p_hi_] of the CDF, or, in the upper tail where CDF values
    // crowd against 1, q in [q_hi_, q_lo_] of the survival function to keep precision.
    bool use_survival_ = false;
    double p_lo_ = 0, p_hi_ = 1, q_lo_ = 1, q_hi_ = 0;
};

}  // namespace wipeout
