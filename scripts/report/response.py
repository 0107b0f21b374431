"""The liquidation response: how much of the open interest a fall liquidates, for a run's paths and for real days.

Paths are binned by max_drawdown, days of the Binance BTCUSDT perpetual daily file (../shared/data, its README)
by their fall from the open (1 - low / open). Per bin: how many, the share that liquidate any long, the median
and the 10th / 90th percentiles of long liquidations over open interest, the pooled long share of liquidations,
and how the shorts fare on a rise of the same size (the median short liquidations over open interest of those
binned by their rise, max_rise or high / open - 1, over the bin's median long liquidations over open interest).
One code for both sides, so a model and the market are read the same way: the report's section, and
scripts/validate_model.py's and scripts/throttle_factor.py's figures.
"""
import csv
import pathlib

import numpy as np

# The source tree's copy of the data (beside the repository); a user passes the file instead.
DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "binance_btcusdt_perp_daily_2020_2024.csv"
BINS = ((0.0, 0.02), (0.02, 0.04), (0.04, 0.06), (0.06, 0.08), (0.08, 0.12), (0.12, 1.0))
# The feed's eras (the data README): complete until late April 2021, one order a second per symbol after it.
COMPLETE_ERA = ("2020-01-01", "2021-05-01")
THROTTLED_ERA = ("2022-01-01", "2025-01-01")
COLUMNS = ("date", "open", "high", "low", "oi_open_btc", "oi_close_btc", "long_liq_btc", "short_liq_btc")


class DataError(Exception):
    """The daily file cannot be read: one line naming the file (and the row or column)."""


def bin_label(lo, hi):
    return f"{lo:.0%}+" if hi >= 1 else f"{lo:.0%}-{hi:.0%}"


class Sample:
    """Days or paths: each one's fall and rise, its long and short liquidations (over open interest and as
    amounts, for the pooled share) and the change of its open interest where known."""

    def __init__(self, fall, rise, long_oi, short_oi, long_amount, short_amount, oi_change=None, dates=None):
        self.fall, self.rise = np.asarray(fall, float), np.asarray(rise, float)
        self.long_oi, self.short_oi = np.asarray(long_oi, float), np.asarray(short_oi, float)
        self.long_amount, self.short_amount = np.asarray(long_amount, float), np.asarray(short_amount, float)
        self.oi_change = None if oi_change is None else np.asarray(oi_change, float)
        self.dates = dates

    def __len__(self):
        return len(self.fall)

    def between(self, start, end):
        """The days in [start, end) (ISO dates)."""
        keep = np.array([start <= d < end for d in self.dates], dtype=bool)
        return Sample(self.fall[keep], self.rise[keep], self.long_oi[keep], self.short_oi[keep],
                      self.long_amount[keep], self.short_amount[keep], self.oi_change[keep],
                      [d for d, k in zip(self.dates, keep) if k])


def read_days(path):
    """Every day of the daily file with an opening open interest (earlier rows have none)."""
    path = pathlib.Path(path)
    try:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError(f"{path}: no column {missing[0]} (expected {', '.join(COLUMNS)})")
            rows = []
            for line, row in enumerate(reader, start=2):
                if not row["oi_open_btc"]:
                    continue
                try:
                    rows.append([row["date"]] + [float(row[c]) for c in COLUMNS[1:]])
                except ValueError:
                    raise DataError(f"{path}: line {line}: not a number in {row}") from None
    except OSError as e:
        raise DataError(f"{path}: {e.strerror}") from None
    if not rows:
        raise DataError(f"{path}: no day with an opening open interest")
    dates = [r[0] for r in rows]
    o, h, lo, oi0, oi1, lq, sq = (np.array([r[i] for r in rows]) for i in range(1, 8))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Sample(1 - lo / o, h / o - 1, lq / oi0, sq / oi0, lq, sq, oi1 / oi0 - 1, dates)


def paths_sample(p):
    """A results file's /paths as a Sample: long liquidations over OI = liquidated_oi_fraction × the longs'
    share of the liquidated notional."""
    L, S = p["liquidated_long_notional"][:], p["liquidated_short_notional"][:]
    tot = L + S
    frac = p["liquidated_oi_fraction"][:]
    long_oi = np.where(tot > 0, frac * L / np.where(tot > 0, tot, 1), 0.0)
    rise = p["max_rise"][:] if "max_rise" in p else np.full(len(L), np.nan)
    return Sample(p["max_drawdown"][:], rise, long_oi, frac - long_oi, L, S)


def curve(sample, bins=BINS):
    """Per bin of the fall: a dict of n, any_long, median, p10, p90 (long liquidations / OI), long_share
    (pooled), up_n and up_down (the shorts on a rise of the same size over the longs on the fall); NaN where a
    bin is empty."""
    out = []
    nan = float("nan")
    for lo, hi in bins:
        m = (sample.fall >= lo) & (sample.fall < hi)
        u = (sample.rise >= lo) & (sample.rise < hi)
        n, total = int(m.sum()), float((sample.long_amount[m] + sample.short_amount[m]).sum())
        row = {"lo": lo, "hi": hi, "label": bin_label(lo, hi), "n": n, "up_n": int(u.sum())}
        if n:
            x = sample.long_oi[m]
            row.update(any_long=float(np.mean(x > 0)), median=float(np.median(x)),
                       p10=float(np.percentile(x, 10)), p90=float(np.percentile(x, 90)),
                       long_share=float(sample.long_amount[m].sum() / total) if total > 0 else nan)
        else:
            row.update(any_long=nan, median=nan, p10=nan, p90=nan, long_share=nan)
        base = row["median"]
        row["up_down"] = (float(np.median(sample.short_oi[u])) / base
                          if row["up_n"] and n and base > 0 else nan)
        out.append(row)
    return out


def median_change(sample, values, bins):
    """The median of `values` per bin of the fall (NaN where empty)."""
    return [float(np.median(values[(sample.fall >= lo) & (sample.fall < hi)]))
            if np.any((sample.fall >= lo) & (sample.fall < hi)) else float("nan") for lo, hi in bins]


def is_default_market(scenario_text):
    """Whether a run's effective scenario is the built-in default (its header says so), --set or not: the
    market the daily data describe."""
    for line in scenario_text.splitlines()[:4]:
        if line.startswith("# Effective scenario from:"):
            return line.split(":", 1)[1].strip().startswith("built-in default scenario")
    return False
