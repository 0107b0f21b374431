#!/usr/bin/python3
"""How much of Binance's liquidations its throttled feed shows: the factor calibrate.py's --throttled-bounds uses.

From late April 2021 Binance publishes at most one liquidation order a second per symbol; its maximum leverage
for new users stayed at 125x until July 2021. So the months on either side of the break had the same crowd and
two feeds. For each bin of the day's fall from the open (1 - low / open) this prints the median of long
liquidations over the day's opening open interest before the break (1 January - 24 April 2021, complete) and
after it (25 April - 19 July 2021, throttled), their ratio, and a bootstrap 90% interval of the ratio.

    /usr/bin/python3 scripts/throttle_factor.py [--data ../shared/data/binance_btcusdt_perp_daily_2020_2024.csv]
"""
import argparse
import csv
import datetime
import pathlib
import sys

import numpy as np

BINS = ((0.02, 0.04), (0.04, 0.06), (0.06, 0.08), (0.08, 1.0))
COMPLETE = (datetime.date(2021, 1, 1), datetime.date(2021, 4, 24))
THROTTLED = (datetime.date(2021, 4, 25), datetime.date(2021, 7, 19))


def days(path):
    """(date, fall from the open, long liquidations / opening OI) of every day with an opening OI."""
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                oi = float(row["oi_open_btc"])
                fall = 1.0 - float(row["low"]) / float(row["open"])
                level = float(row["long_liq_btc"]) / oi
            except (KeyError, ValueError, ZeroDivisionError):
                continue
            out.append((datetime.date.fromisoformat(row["date"]), fall, level))
    return out


def levels(rows, span, lo, hi):
    return np.array([lv for d, fall, lv in rows if span[0] <= d <= span[1] and lo <= fall < hi])


def main():
    default = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "binance_btcusdt_perp_daily_2020_2024.csv"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(default), help="Binance BTCUSDT perpetual daily CSV (../shared/data)")
    ap.add_argument("--seed", type=int, default=1, help="bootstrap seed")
    opts = ap.parse_args()
    try:
        rows = days(opts.data)
    except OSError as e:
        print(f"throttle_factor.py: --data {opts.data}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    rng = np.random.default_rng(opts.seed)
    print("fall       complete (days)   throttled (days)   factor   90% interval")
    for lo, hi in BINS:
        a, b = levels(rows, COMPLETE, lo, hi), levels(rows, THROTTLED, lo, hi)
        if len(a) == 0 or len(b) == 0:
            print(f"{lo:.0%}-{hi:.0%}: no days")
            continue
        boot = [np.median(rng.choice(a, len(a))) / max(np.median(rng.choice(b, len(b))), 1e-12) for _ in range(2000)]
        label = f"{lo:.0%}+" if hi >= 1 else f"{lo:.0%}-{hi:.0%}"
        print(f"{label:9s}  {np.median(a):7.2%} ({len(a):3d})     {np.median(b):7.2%} ({len(b):3d})     "
              f"{np.median(a) / np.median(b):6.1f}   [{np.percentile(boot, 5):.1f}, {np.percentile(boot, 95):.1f}]")


if __name__ == "__main__":
    main()
