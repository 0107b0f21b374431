#!/usr/bin/python3
"""Writes a realistic BTCUSDT perpetual order-book snapshot (experiments/snapshot/book.csv) for
`[book] source` (docs/model.md, M3 with an order-book snapshot): the calibrated power law of the default
scenario, D(x) = d1 (x / 1%)^shape per side with d1 = 1e8 quote (book.depth_1pct, `wipeout scenario show`)
and shape 1.54 (book.shape), laid out as discrete levels the way a venue shows them.

    /usr/bin/python3 scripts/make_book_snapshot.py [--out experiments/snapshot/book.csv] [--mid 100000]
        [--d1 1e8] [--shape 1.54] [--reach 0.10] [--seed 14]
    wipeout run experiments/weekend_air_pocket.toml --set 'book.source="experiments/snapshot/book.csv"' ...

Each side: a level every 0.01%-0.05% of the price (uniform gaps) from one tick off the mid out to `--reach`,
prices on the 0.1 USDT tick; a level holds the power law's depth between it and the level before, times
lognormal noise (sigma 0.35), so the profile wanders around the law as real books do; a few BTC at the touch;
and walls (resting size of 2-6% of d1) at the round numbers every 1,000 USDT (every 500 within 1% of the
mid). The columns are those `[book] source` reads: side (bid/ask), price, qty (base units, at least the
venue's 0.001 BTC). Deterministic for a seed; Debian python3 and numpy only. `wipeout scenario show --set
'book.source="experiments/snapshot/book.csv"'` prints the file's d1 and its best power-law fit (for the
shipped file: d1 1.06e8 within 1% with the walls, fit d1 1.01e8 and shape 1.544).
"""
import argparse
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
TICK = 0.1  # BTCUSDT perpetual tick, USDT

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--out", default=str(ROOT / "experiments/snapshot/book.csv"))
ap.add_argument("--mid", type=float, default=100000.0, help="mid price (the default scenario's P0)")
ap.add_argument("--d1", type=float, default=1e8, help="quote notional within 1%% of the mid, each side")
ap.add_argument("--shape", type=float, default=1.54, help="beta of the power law")
ap.add_argument("--reach", type=float, default=0.10, help="deepest level's distance from the mid")
ap.add_argument("--seed", type=int, default=14)
a = ap.parse_args()
rng = np.random.default_rng(a.seed)


def depth(x):
    """The calibrated law: quote notional within relative distance x of the mid."""
    return a.d1 * (np.asarray(x) / 0.01) ** a.shape


def side(sign):
    """Levels of one side (sign -1 bids, +1 asks): (price, qty) from the touch outwards."""
    # The touch: the ticks either side of the mid (a spread of two ticks when the mid is on one).
    best = (np.floor if sign < 0 else np.ceil)((a.mid + sign * TICK / 2) / TICK) * TICK
    gaps = rng.uniform(1e-4, 5e-4, size=int(a.reach / 1e-4) + 10) * a.mid
    prices = best + sign * np.concatenate([[0.0], np.cumsum(gaps)])
    prices = np.round(prices / TICK) * TICK
    prices = prices[np.abs(prices - a.mid) <= a.reach * a.mid]
    # Round numbers on the way: every 1,000, and every 500 within 1% of the mid, as levels of their own.
    steps = [(1000.0, a.reach), (500.0, 0.01)]
    walls = set()
    for step, within in steps:
        first = np.ceil((a.mid - within * a.mid) / step) * step
        for p in np.arange(first, a.mid + within * a.mid + 1, step):
            if sign * (p - best) > 0:
                walls.add(round(float(p), 1))
    prices = np.unique(np.round(np.concatenate([prices, sorted(walls)]), 1))
    prices = prices[::-1] if sign < 0 else prices
    x = np.abs(prices - a.mid) / a.mid
    between = np.diff(np.concatenate([[0.0], depth(x)]))  # the law's depth of each level's gap
    notional = between * rng.lognormal(-0.35**2 / 2, 0.35, size=len(prices))
    wall = np.array([round(float(p), 1) in walls for p in prices])
    notional[wall] += rng.uniform(0.02, 0.06, size=wall.sum()) * a.d1
    notional[0] += rng.uniform(0.5, 3.0) * prices[0]  # the touch: a few BTC, as on a venue
    return prices, np.maximum(notional / prices, 0.001)  # the venue's smallest order: 0.001 BTC


out = pathlib.Path(a.out)
out.parent.mkdir(parents=True, exist_ok=True)
with open(out, "w") as f:
    f.write(f"# BTCUSDT perpetual order book, synthetic (scripts/make_book_snapshot.py --mid {a.mid:g} "
            f"--d1 {a.d1:g} --shape {a.shape:g} --reach {a.reach:g} --seed {a.seed}): the calibrated power law "
            "with noise and walls at round numbers\n")
    f.write("side,price,qty\n")
    for name, sign in (("bid", -1), ("ask", 1)):
        prices, qty = side(sign)
        for p, q in zip(prices, qty):
            f.write(f"{name},{p:.1f},{q:.4f}\n")
