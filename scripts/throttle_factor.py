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
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "report"))
import response  # noqa: E402 (the daily file, read one way for every script)

BINS = ((0.02, 0.04), (0.04, 0.06), (0.06, 0.08), (0.08, 1.0))
COMPLETE = ("2021-01-01", "2021-04-25")   # [from, to): the last months of the complete feed
THROTTLED = ("2021-04-25", "2021-07-20")  # the first months of the throttled one, before the leverage cut


def levels(days, span, lo, hi):
    chosen = days.between(*span)
    return chosen.long_oi[(chosen.fall >= lo) & (chosen.fall < hi)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(response.DEFAULT_DATA), help="Binance BTCUSDT perpetual daily CSV (../shared/data)")
    ap.add_argument("--seed", type=int, default=1, help="bootstrap seed")
    opts = ap.parse_args()
    try:
        days = response.read_days(opts.data)
    except response.DataError as e:
        print(f"throttle_factor.py: --data {e}", file=sys.stderr)
        sys.exit(2)
    rng = np.random.default_rng(opts.seed)
    print("fall       complete (days)   throttled (days)   factor   90% interval")
    for lo, hi in BINS:
        a, b = levels(days, COMPLETE, lo, hi), levels(days, THROTTLED, lo, hi)
        if len(a) == 0 or len(b) == 0:
            print(f"{lo:.0%}-{hi:.0%}: no days")
            continue
        boot = [np.median(rng.choice(a, len(a))) / max(np.median(rng.choice(b, len(b))), 1e-12) for _ in range(2000)]
        label = response.bin_label(lo, hi)
        print(f"{label:9s}  {np.median(a):7.2%} ({len(a):3d})     {np.median(b):7.2%} ({len(b):3d})     "
              f"{np.median(a) / np.median(b):6.1f}   [{np.percentile(boot, 5):.1f}, {np.percentile(boot, 95):.1f}]")


if __name__ == "__main__":
    main()
