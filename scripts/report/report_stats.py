"""Statistics for the report: the results file's own definitions (docs/results_format.md) for anything the
file could have stored, plus the Monte Carlo error of each figure quoted.

Definitions, so a reader can check every number:
- quantile: type 7 (Hyndman & Fan), with the driver's exact arithmetic x[lo] + (h - lo) (x[hi] - x[lo]);
- expected shortfall at level alpha: mean of the k = ceil((1 - alpha) n) worst values (at least one);
- mean and sums: math.fsum (correctly rounded; the driver's Neumaier sums agree to ~1e-15 relative);
- Wilson score interval, z = 1.959963984540054 (the driver's), kept around p against rounding at 0 or n;
- quantile confidence interval: distribution-free, from order statistics: [x_(r), x_(s)] with
  P(B < r) <= 2.5% and P(B >= s) <= 2.5% for B ~ Binomial(n, p); coverage >= 95%. When s > n the sample
  is too small to bound the quantile from above (reported as NaN: "beyond the sample maximum");
- standard error of expected shortfall: the asymptotic variance of the tail-mean estimator,
  se^2 = (Var(X | tail) + alpha (ES - VaR)^2) / (n (1 - alpha));
- Spearman rank correlation (average ranks for ties) with a Fisher-z interval, se = sqrt(1.06 / (n - 3))
  (Fieller, Hartley & Pearson 1957).
"""
import math

import numpy as np

Z95 = 1.959963984540054  # the driver's kZ95: the 97.5% normal quantile
QUANTILE_LEVELS = (("p01", 0.01), ("p05", 0.05), ("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999))
SHORTFALL_LEVELS = (("es95", 0.95), ("es99", 0.99))
NAN = float("nan")


def finite(values):
    """The finite values of a column (NaN marks a value the engine left undefined)."""
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def tail_count(n, alpha):
    """k = ceil((1 - alpha) n), at least 1; the allowance matches the driver's (1 - 0.99) * 100 rounding."""
    k = math.ceil((1.0 - alpha) * n - 1e-9)
    return min(max(k, 1), n)


def quantile_sorted(x, p):
    """Type-7 quantile of sorted values, with the driver's arithmetic (bit-identical results)."""
    n = len(x)
    if n == 0:
        return NAN
    h = float(n - 1) * p
    lo = int(math.floor(h))
    hi = min(lo + 1, n - 1)
    return float(x[lo]) + (h - lo) * (float(x[hi]) - float(x[lo]))


def shortfall_sorted(x, alpha, tail="upper"):
    """Expected shortfall of the adverse tail and its standard error (NaN with fewer than 2 tail values)."""
    n = len(x)
    if n == 0:
        return NAN, NAN
    k = tail_count(n, alpha)
    worst = x[n - k:] if tail == "upper" else x[:k]
    es = math.fsum(worst.tolist()) / k
    if k < 2:
        return es, NAN
    var_tail = float(np.var(worst, ddof=1))
    var_at_risk = quantile_sorted(x, alpha if tail == "upper" else 1.0 - alpha)
    se = math.sqrt((var_tail + alpha * (es - var_at_risk) ** 2) / (n * (1.0 - alpha)))
    return es, se


def _binomial_cdf_window(n, p):
    """(first k, CDF values) of Binomial(n, p) over the window holding all but ~1e-30 of its mass."""
    sd = math.sqrt(n * p * (1.0 - p))
    first = max(0, int(n * p - 12.0 * sd - 30))
    last = min(n, int(n * p + 12.0 * sd + 30))
    ks = np.arange(first, last + 1, dtype=np.float64)
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in ks])
    log_pmf += ks * math.log(p) + (n - ks) * math.log1p(-p)
    return first, np.cumsum(np.exp(log_pmf))


def quantile_ci_ranks(n, p, level=0.95):
    """1-based ranks (r, s) of the order-statistic interval for the p-quantile; r = 0 or s = n + 1 when the
    sample cannot bound it on that side."""
    half = (1.0 - level) / 2.0
    first, cdf = _binomial_cdf_window(n, p)
    # r: largest with P(B <= r - 1) <= half; s: smallest with P(B >= s) = 1 - P(B <= s - 1) <= half.
    below = np.nonzero(cdf <= half)[0]
    r = int(first + below[-1] + 1) if below.size else (first if first > 0 else 0)
    above = np.nonzero(1.0 - cdf <= half)[0]
    s = int(first + above[0] + 1) if above.size else n + 1
    return r, s


def quantile_ci_sorted(x, p, level=0.95):
    """Distribution-free interval for the p-quantile from sorted values; NaN where the sample cannot bound it."""
    n = len(x)
    if n == 0:
        return NAN, NAN
    r, s = quantile_ci_ranks(n, p, level)
    lo = float(x[r - 1]) if r >= 1 else NAN
    hi = float(x[s - 1]) if s <= n else NAN
    return lo, hi


def fund_size(sorted_needed, p, level=0.95):
    """The smallest fund with P(ADL) <= p in the run (the needs sorted ascending): x_(n - floor(p n)), and the
    distribution-free interval of the (1 - p) quantile (NaN where the sample cannot bound it), as
    `wipeout fund` computes them (src/results/fund_sizing.cpp)."""
    x = sorted_needed
    n = len(x)
    k = int(math.floor(p * n))
    fund = 0.0 if k >= n else float(x[n - k - 1])
    lo, hi = quantile_ci_sorted(x, 1.0 - p, level)
    above = int(n - np.searchsorted(x, fund, side="right"))
    return fund, lo, hi, above


def wilson(successes, n, z=Z95):
    """(p, lo, hi): share and its Wilson score interval (the driver's formula)."""
    if n == 0:
        return NAN, NAN, NAN
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At 0 or n successes centre -/+ half rounds to about +-1e-18 beyond p: keep p inside its interval.
    return p, min(max(0.0, centre - half), p), max(min(1.0, centre + half), p)


def wilson_arrays(successes, n, z=Z95):
    """Vectorized Wilson interval for many counts out of the same n."""
    successes = np.asarray(successes, dtype=np.float64)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z / denominator * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return p, np.minimum(np.maximum(0.0, centre - half), p), np.maximum(np.minimum(1.0, centre + half), p)


def summarize(values, kind="real", tail="upper"):
    """Every /summary statistic of one column, by the file's definitions (for columns the file lacks, and for
    incomplete files, whose /summary is not written yet)."""
    values = np.asarray(values, dtype=np.float64)
    x = np.sort(finite(values))
    n = len(x)
    out = {"n": n, "n_missing": len(values) - n}
    mean = math.fsum(x.tolist()) / n if n else NAN
    sd = math.sqrt(math.fsum(((x - mean) ** 2).tolist()) / (n - 1)) if n >= 2 else NAN
    out.update(mean=mean, sd=sd, se=sd / math.sqrt(n) if n >= 2 else NAN)
    for name, p in QUANTILE_LEVELS:
        out[name] = quantile_sorted(x, p)
    for name, alpha in SHORTFALL_LEVELS:
        out[name] = shortfall_sorted(x, alpha, tail)[0]
    if kind == "flag":
        out["probability"], out["probability_lo"], out["probability_hi"] = wilson(int(np.count_nonzero(x)), n)
    else:
        out["probability"] = out["probability_lo"] = out["probability_hi"] = NAN
    return out


def monte_carlo_errors(values, tail="upper"):
    """The Monte Carlo error of each headline statistic: quantile intervals and shortfall standard errors."""
    x = np.sort(finite(values))
    out = {}
    for name, p in QUANTILE_LEVELS:
        out[name + "_lo"], out[name + "_hi"] = quantile_ci_sorted(x, p)
    for name, alpha in SHORTFALL_LEVELS:
        out[name + "_se"] = shortfall_sorted(x, alpha, tail)[1]
    return out


def exceedance_curve(values, max_points=1500):
    """The empirical exceedance curve P(X > x) at the positive sample values, with pointwise 95% Wilson bands.

    Returns (x, count_above, n, p, lo, hi): at x[i], count_above[i] of the n finite values exceed it. For
    large samples the points are thinned (log-spaced in the exceedance count), keeping the whole far tail.
    """
    v = np.sort(finite(values))
    n = len(v)
    positive = v[v > 0]
    if positive.size == 0:
        empty = np.array([])
        return empty, empty, n, empty, empty, empty
    xs = np.unique(positive)
    above = n - np.searchsorted(v, xs, side="right")
    if xs.size > max_points:
        # Keep every point of the far tail (few exceedances), thin the body log-evenly in the count.
        tail = np.nonzero(above <= 200)[0]
        targets = np.geomspace(max(int(above.min()), 1), int(above[0]), max_points)
        rising = above[::-1]
        body = xs.size - 1 - np.clip(np.searchsorted(rising, targets), 0, xs.size - 1)
        idx = np.unique(np.concatenate([tail, body, [0, xs.size - 1]]))
        xs, above = xs[idx], above[idx]
    p, lo, hi = wilson_arrays(above, n)
    return xs, above, n, p, lo, hi


def rank_average(x):
    """Ranks 1..n, ties given their average rank."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1, dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if counts.max(initial=1) > 1:
        sums = np.bincount(inverse, weights=ranks)
        ranks = sums[inverse] / counts[inverse]
    return ranks


def spearman(x, y, z=Z95):
    """(rho, lo, hi): Spearman rank correlation over pairs where both are finite, with a Fisher-z interval."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return NAN, NAN, NAN
    rx, ry = rank_average(x), rank_average(y)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    rho = max(-1.0, min(1.0, rho))
    if abs(rho) >= 1.0:
        return rho, rho, rho
    centre = math.atanh(rho)
    half = z * math.sqrt(1.06 / (n - 3))
    return rho, math.tanh(centre - half), math.tanh(centre + half)


def parameter_bins(param, loss, threshold, max_unique_discrete=12):
    """Conditional statistics of the loss by bins of one parameter.

    Discrete parameters (few distinct values) get one bin per value; continuous ones equal-count quantile
    bins (10 for n >= 1000, fewer for smaller samples so each bin keeps ~100 paths). Each bin gives the
    mean loss with its standard error and the share of paths whose loss exceeds `threshold` (e.g. the
    overall VaR 95%) with its Wilson interval.
    """
    param = np.asarray(param, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    ok = np.isfinite(param) & np.isfinite(loss)
    param, loss = param[ok], loss[ok]
    n = len(param)
    uniques = np.unique(param)
    discrete = uniques.size <= max_unique_discrete
    if discrete:
        assignment = np.searchsorted(uniques, param)
        edges = None
        n_bins = uniques.size
    else:
        n_bins = int(min(10, max(3, n // 100)))
        edges = np.quantile(param, np.linspace(0.0, 1.0, n_bins + 1))
        assignment = np.searchsorted(edges[1:-1], param, side="right")
    bins = []
    for b in range(n_bins):
        mask = assignment == b
        m = int(mask.sum())
        if m == 0:
            continue
        sub = loss[mask]
        mean = math.fsum(sub.tolist()) / m
        se = float(np.std(sub, ddof=1)) / math.sqrt(m) if m >= 2 else NAN
        share, share_lo, share_hi = wilson(int(np.count_nonzero(sub > threshold)), m)
        pv = param[mask]
        bins.append({
            "bin": len(bins) + 1,
            "discrete": discrete,
            "value": float(uniques[b]) if discrete else NAN,
            "param_lo": float(pv.min()),
            "param_hi": float(pv.max()),
            "param_median": float(np.median(pv)),
            "n": m,
            "mean": mean,
            "se": se,
            "tail_share": share,
            "tail_share_lo": share_lo,
            "tail_share_hi": share_hi,
        })
    return bins
