"""wipeout.liq_price gives `wipeout liq-price --json`'s numbers exactly, vectorized: arrays give what a loop of
scalars gives, and a million positions take well under a second."""
import math
import time

import numpy as np
import pytest

import wipeout

from conftest import SOURCE_DIR, cli_error

HL_TIERS = SOURCE_DIR / "data" / "tiers" / "btc_hyperliquid.csv"
CASES = [
    dict(side="long", entry=100000, qty=0.5, leverage=20),
    dict(side="short", entry=100000, qty=2, leverage=50, venue="binance"),
    dict(side="long", entry=100000, qty=1, margin=5000, mmr=0.005, fee=0.01),
    dict(side="short", entry=100000, qty=0.1, margin=1000, extra_margin=100, mmr=0.005),
    dict(side="long", entry=100000, qty=1, leverage=10, mmr=0, fee=0),
    dict(side="long", entry=100000, qty=1, leverage=1),
    dict(side="long", entry=20000, qty=1, leverage=50, mmr=0.005, venue="bybit"),
    dict(side="short", entry=3000, qty=3, margin=1000, mmr=0.05, max_leverage=10, venue="dydx"),
    dict(side="long", entry=32481.98, qty=109.488, leverage=5, venue="binance", wallet_balance=1535443.01,
         other_maint_margin=356512.508, other_upnl=-448192.89),
    dict(side="long", entry=100000, qty=1, venue="binance", wallet_balance=20000, other_maint_margin=1500,
         other_upnl=-800),
    dict(side="long", entry=100000, qty=1, leverage=10, tiers=HL_TIERS, venue="hyperliquid"),
    dict(side="long", entry=60000, qty=0.001, margin=30, max_leverage=40, venue="hyperliquid"),
    dict(side="short", entry=2500.5, qty=13.7, leverage=7.5, venue="hyperliquid", fee=0.002),
]


def cli_args(case):
    args = []
    for k, v in case.items():
        args += [f"--{k.replace('_', '-')}", v]
    return args


def same(got, want):
    if want is None:
        return isinstance(got, float) and math.isnan(got)
    return got == want


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(f"{k}={v}" for k, v in c.items()))
def test_same_numbers_as_the_cli(cli, case):
    want = cli.json("liq-price", *cli_args(case))
    kwargs = {k: v for k, v in case.items() if k not in ("side", "entry", "qty")}
    q = wipeout.liq_price(case["side"], case["entry"], case["qty"], **kwargs)
    for field in ("liquidation_price", "bankruptcy_price", "initial_margin", "maintenance_margin",
                  "liquidation_fee", "tier", "mmr", "maint_amount", "liquidates", "leverage", "notional", "mode",
                  "venue", "tiers", "fee_in_trigger"):
        assert same(getattr(q, field), want[field]), (field, getattr(q, field), want[field])


def test_arrays_are_a_loop_of_scalars():
    rng = np.random.default_rng(1)
    entry = rng.uniform(20000, 120000, 500)
    qty = rng.uniform(0.001, 5, 500)
    leverage = rng.uniform(1, 20, 500)
    side = np.where(rng.uniform(size=500) < 0.5, "long", "short")
    for venue in ("generic", "binance", "bybit", "hyperliquid", "dydx"):
        q = wipeout.liq_price(side, entry, qty, leverage=leverage, venue=venue, fee=0.005)
        assert q.liquidation_price.shape == (500,)
        for i in range(0, 500, 37):
            one = wipeout.liq_price(str(side[i]), entry[i], qty[i], leverage=leverage[i], venue=venue, fee=0.005)
            assert one.liquidation_price == q.liquidation_price[i] and one.tier == q.tier[i]
    # Broadcasting: one entry, a grid of leverage x qty; signs for sides.
    grid = wipeout.liq_price(np.array([[1], [-1]]), 100000.0, 0.1, leverage=np.array([2.0, 5.0, 10.0]))
    assert grid.liquidation_price.shape == (2, 3)
    assert grid.liquidation_price[1, 2] == wipeout.liq_price("short", 100000, 0.1, leverage=10).liquidation_price
    frame = grid.to_frame()
    assert len(frame) == 6 and "liquidation_price" in frame


def test_errors_are_the_clis(cli):
    def same_error(kwargs, *cli_args_):
        with pytest.raises(wipeout.InputError) as e:
            wipeout.liq_price(**kwargs)
        assert str(e.value) == cli_error(cli("liq-price", *cli_args_, check=False))

    base = ["--side", "long", "--entry", 100000, "--qty", 0.1]
    same_error(dict(side="long", entry=100000, qty=0.1, leverage=126), *base, "--leverage", 126)
    same_error(dict(side="long", entry=100000, qty=0.1, leverage=10, margin=100), *base, "--leverage", 10,
               "--margin", 100)
    same_error(dict(side="long", entry=100000, qty=0.1), *base)
    same_error(dict(side="up", entry=100000, qty=0.1, leverage=10), "--side", "up", "--entry", 1, "--qty", 1,
               "--leverage", 10)
    same_error(dict(side="long", entry=100000, qty=0.1, leverage=10, venue="okx"), *base, "--leverage", 10,
               "--venue", "okx")
    same_error(dict(side="long", entry=100000, qty=1, leverage=10, wallet_balance=50000, venue="bybit"),
               "--side", "long", "--entry", 100000, "--qty", 1, "--leverage", 10, "--wallet-balance", 50000,
               "--venue", "bybit")
    # In an array the refused position is named; errors="nan" quotes the others.
    with pytest.raises(wipeout.InputError, match=r"^position 1: leverage 126x is above the maximum 125x"):
        wipeout.liq_price("long", 100000, 0.1, leverage=[10, 126, 20])
    q = wipeout.liq_price("long", 100000, 0.1, leverage=[10, 126, 20], errors="nan")
    assert np.isnan(q.liquidation_price[1]) and q.tier[1] == 0 and not q.liquidates[1]
    assert q.liquidation_price[0] == wipeout.liq_price("long", 100000, 0.1, leverage=10).liquidation_price
    with pytest.raises(wipeout.InputError, match="entry price must be a positive finite number"):
        wipeout.liq_price("long", [100000, float("nan")], 0.1, leverage=10)


def test_a_million_positions_in_well_under_a_second():
    n = 1_000_000
    rng = np.random.default_rng(2)
    entry = rng.uniform(20000, 120000, n)
    qty = rng.uniform(0.001, 2, n)
    leverage = rng.uniform(1, 50, n)
    side = np.where(rng.uniform(size=n) < 0.5, 1, -1)
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        q = wipeout.liq_price(side, entry, qty, leverage=leverage, venue="binance")
        best = min(best, time.perf_counter() - start)
    print(f"liq_price: {n} positions in {best:.3f} s")
    assert q.liquidation_price.shape == (n,) and np.isfinite(q.liquidation_price).all()
    assert best < 1.0
