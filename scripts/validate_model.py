#!/usr/bin/python3
"""Checks the calibrated model against what markets did (issue #13's acceptance criteria), each with PASS/FAIL:

1. the daily response of liquidations to the day's fall (the default scenario's paths binned by max_drawdown
   against Binance BTCUSDT perpetual days binned by their fall from the open, 2022-2024);
   and its levels in the era whose feed was complete (January 2020 - April 2021), against the default
   scenario's day in that era's market (experiments/history/era_2020_daily.toml); in both, how the shorts
   fare on a rise against the longs on a fall (paths binned by max_rise against days by their high / open);
2. the four history events: the reported drawdown, liquidated notional, recovery and long share inside the
   simulated 5-95% band, the median drawdown within a factor 1.5 of the reported one;
3. the time profile of the 2020 and 2021 cascades (paths that liquidate at least 0.5% of OI): peak-minute
   share, best-40-minute share, lag-5-minute autocorrelation of per-minute liquidations;
   and, in that era, how open interest changed on the falling days against the median day's (positions
   opened during the fall, M11's on the perp and M12's shorts, less what was liquidated and deleveraged);
4. the crowd carries signal: within shock-size deciles, the rank correlation of max_drawdown with
   positions.oi_to_depth and with positions.leverage_median;
5. the default scenario exhausts its fund on at most 5% of paths.

    /usr/bin/python3 scripts/validate_model.py --wipeout build/wipeout [--paths 20000] [--json FILE]
        [--data DAILY.csv] [--days FROM:TO]

--data and --days hold the default scenario's response against other days (default: 2022-2024 of the file beside
the repository), e.g. a file with days the fit has not seen; the era's figures come from the same file where it
covers January 2020 - April 2021, else from the data README's table. Bins and figures: scripts/report/response.py.

Exit 0 when every criterion passes, 1 otherwise (the table says which); --report-only always exits 0.
"""
import argparse
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "report"))
import response  # noqa: E402 (the liquidation response, read one way for paths and days)

BINS = ((0.02, 0.04), (0.04, 0.06), (0.06, 0.08), (0.08, 0.12))
# The same figures, from the data's README, where the data file is not beside the repository.
DATA_TABLE = {"median": (0.00155, 0.00213, 0.00293, 0.00545), "long": (0.58, 0.64, 0.65, 0.61),
              "up_down": (0.93, 1.10, 1.00, 0.76)}
EVENTS = {  # reported figures (experiments/history/*.toml has their sources)
    "2020-03-12_black_thursday": {"drawdown": 0.51, "liquidated": 1.1e9, "recovery": 0.4, "long_share": None},
    "2021-05-19_china_ban": {"drawdown": 0.30, "liquidated": 4.3e9, "recovery": 0.55, "long_share": None},
    "2022-06-13_celsius": {"drawdown": 0.18, "liquidated": 3.99e8, "recovery": 0.1, "long_share": 0.64},
    "2023-08-17_spacex": {"drawdown": 0.12, "liquidated": 4.8e8, "recovery": 0.3, "long_share": 0.80},
}
PROFILE_EVENTS = ("2020-03-12_black_thursday", "2021-05-19_china_ban")


def run(wipeout, args, out, sets=()):
    overrides = [x for s in sets for x in ("--set", s)]
    subprocess.run([wipeout, "run", *args, *overrides, "--threads", "2", "-q", "--force", "-o", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return h5py.File(out, "r")


# The era whose feed was complete (January 2020 - April 2021): the response curve's levels, against
# experiments/history/era_2020_daily.toml (that era's leverage and open interest).
ERA = response.COMPLETE_ERA
ERA_TABLE = {"median": (0.0408, 0.0710, 0.1062, 0.1809), "long": (0.63, 0.71, 0.75, 0.78),
             "up_down": (0.63, 0.66, 0.52, 0.56)}
# The era's median change of open interest (close / open - 1) on the days that fell 4-8% and 8% or more from
# the open; the figures where the data file is not beside the repository.
OI_BINS = ((0.04, 0.08), (0.08, 1.0))
OI_TABLE = (0.0070, -0.1180)
OI_TOLERANCE = 0.05  # points of open interest: the era grew 1.2% on its median calm day


def oi_change(f):
    """A path's change of open interest over its horizon, relative to the initial: the positions opened
    during it (M11's longs on the perp, M12's shorts) less those liquidated, those closed at their stop-losses
    and the counterparties ADL closed. Other voluntary closes during the path are not modelled (docs/model.md,
    M6)."""
    p, sc = f["paths"], f["scenario"]
    initial = sc["positions.oi_to_depth"][:] * sc["book.depth_1pct"][:]
    opened = p["dip_long_notional"][:] + p["opportunistic_short_notional"][:]
    closed = (p["liquidated_long_notional"][:] + p["liquidated_short_notional"][:] + p["adl_notional"][:] +
              p["stopped_long_notional"][:] + p["stopped_short_notional"][:])
    return (opened - closed) / initial


def figures(rows):
    """The criteria's figures of a response curve (response.curve's rows): medians, long shares, up/down."""
    return {"median": tuple(r["median"] for r in rows), "long": tuple(r["long_share"] for r in rows),
            "up_down": tuple(r["up_down"] for r in rows)}


def daily_figures(days, span, table):
    """The data's figures on the days in span = [start, end), or the table where there are no days."""
    if days is None:
        return table, None
    chosen = days.between(*span)
    if len(chosen) == 0:
        return table, chosen
    return figures(response.curve(chosen, BINS)), chosen


def up_down(rows, data, label, check):
    """How the shorts fare on a rise against the longs on a fall of the same size: the median short
    liquidations over OI of the paths (days) binned by their rise from the open (max_rise; the day's high /
    open - 1) over the median long liquidations over OI of those binned by their fall, within a factor 2 of
    the data's, per bin. A ratio of two medians of one feed, so the throttled era's feed gives it too."""
    for row, want in zip(rows, data["up_down"]):
        lo, hi, ratio = row["lo"], row["hi"], row["up_down"]
        check(f"{label} {lo:.0%}-{hi:.0%}: short liq / OI on a rise over long liq / OI on a fall ({row['up_n']} "
              f"rising paths)", ratio, f"{want:.2f} within x2 [{want / 2:.2f}, {want * 2:.2f}]",
              want / 2 <= ratio <= want * 2)


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    if np.std(ra) == 0 or np.std(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def profile(f, oi_min=0.005):
    """Per-path time-profile statistics of the saved trajectories that liquidate at least oi_min of OI."""
    p, t = f["paths"], f["trajectories"]
    rows = t["n_rows"][:]
    peak, best40, ac5 = [], [], []
    for k, idx in enumerate(t["trajectory"][:]):
        if p["liquidated_oi_fraction"][idx] < oi_min:
            continue
        n = rows[k]
        time = t["time_s"][k, :n]
        liq = t["liquidated_long"][k, :n] + t["liquidated_short"][k, :n]
        minutes = np.zeros(int(math.ceil(time[-1] / 60.0)) + 1)
        np.add.at(minutes, (time / 60.0).astype(int), liq)  # a step's liquidations in the minute it ends in
        total = minutes.sum()
        if total <= 0:
            continue
        peak.append(minutes.max() / total)
        window = np.convolve(minutes, np.ones(40), mode="valid") if len(minutes) >= 40 else [total]
        best40.append(np.max(window) / total)
        x = minutes - minutes.mean()
        ac5.append(float(np.dot(x[:-5], x[5:]) / np.dot(x, x)) if len(x) > 5 and np.dot(x, x) > 0 else 0.0)
    return np.array(peak), np.array(best40), np.array(ac5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wipeout", default=str(ROOT / "build" / "wipeout"))
    ap.add_argument("--paths", type=int, default=20000, help="paths of the default scenario")
    ap.add_argument("--event-paths", type=int, default=2000, help="paths per history event")
    ap.add_argument("--profile-paths", type=int, default=200, help="saved trajectories per profiled event")
    ap.add_argument("--set", action="append", default=[], help="--set for every run (repeatable)")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--report-only", action="store_true", help="exit 0 whatever the result")
    ap.add_argument("--seed", type=int, default=None,
                    help="master seed of every run (default: 1 for the default scenario, each file's own for the "
                         "others): another seed shows which criteria sit at their edges")
    ap.add_argument("--data", default=str(response.DEFAULT_DATA),
                    help="Binance BTCUSDT perpetual daily CSV (../shared/data's columns; default the copy beside "
                         "the repository, else the data README's figures)")
    ap.add_argument("--days", default=":".join(response.THROTTLED_ERA), metavar="FROM:TO",
                    help="the days [FROM, TO) whose response the default scenario is held against (default "
                         "%(default)s; e.g. 2025-01-01:2026-01-01 on a file with days the fit has not seen)")
    a = ap.parse_args()
    if a.seed is not None and a.seed < 0:
        print(f"validate_model.py: --seed {a.seed}: expected a non-negative integer", file=sys.stderr)
        sys.exit(2)
    span = tuple(a.days.split(":"))
    if len(span) != 2 or not all(len(d) == 10 and d[4] == "-" and d[7] == "-" for d in span) or span[0] >= span[1]:
        print(f"validate_model.py: --days {a.days}: expected FROM:TO, two ISO dates, FROM before TO", file=sys.stderr)
        sys.exit(2)
    days = None
    explicit = a.data != str(response.DEFAULT_DATA)
    if explicit or response.DEFAULT_DATA.exists():
        try:
            days = response.read_days(a.data)
        except response.DataError as e:
            print(f"validate_model.py: --data {e}", file=sys.stderr)
            sys.exit(2)
    data, chosen = daily_figures(days, span, DATA_TABLE)
    if chosen is not None and len(chosen) == 0:
        print(f"validate_model.py: --days {a.days}: no day of {a.data} in it", file=sys.stderr)
        sys.exit(2)
    source = (f"{a.data}, {len(chosen)} days in [{span[0]}, {span[1]})" if chosen is not None
              else "the data README's table")
    era, _ = daily_figures(days, ERA, ERA_TABLE)
    era_days = days.between(*ERA) if days is not None else None
    oi_data = (response.median_change(era_days, era_days.oi_change, OI_BINS) if era_days is not None and len(era_days)
               else OI_TABLE)
    seed = [] if a.seed is None else ["--seed", str(a.seed)]
    results = []  # (criterion, value, target, pass)

    def check(name, value, target, ok):
        results.append({"criterion": name, "value": value, "target": target, "pass": bool(ok)})

    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        # 1, 4, 5: the default scenario.
        f = run(a.wipeout, ["--paths", str(a.paths), *(seed or ["--seed", "1"])], work / "default.h5", a.set)
        p = f["paths"]
        dd = p["max_drawdown"][:]
        rows = response.curve(response.paths_sample(p), BINS)
        for row, dshare in zip(rows, data["long"]):
            lo, hi, n, any_long, share = row["lo"], row["hi"], row["n"], row["any_long"], row["long_share"]
            check(f"response {lo:.0%}-{hi:.0%}: paths liquidating longs ({n} paths)", any_long, ">= 0.90",
                  any_long >= 0.9)
            check(f"response {lo:.0%}-{hi:.0%}: pooled long share", share, f"{dshare:.2f} +- 0.15",
                  abs(share - dshare) <= 0.15)
        meds = [row["median"] for row in rows]
        for j, name in ((1, "(4-6%)/(2-4%)"), (3, "(8-12%)/(2-4%)")):
            ratio = meds[j] / meds[0] if meds[0] > 0 else float("nan")
            want = data["median"][j] / data["median"][0]
            check(f"response ratio {name} of median long liquidations / OI", ratio,
                  f"{want:.2f} within x2 [{want / 2:.2f}, {want * 2:.2f}]", want / 2 <= ratio <= want * 2)
        shock = f["scenario/shock.size"][:]
        deciles = np.quantile(shock, np.linspace(0, 1, 11))
        which = np.clip(np.searchsorted(deciles, shock, side="right") - 1, 0, 9)
        for key in ("positions.oi_to_depth", "positions.leverage_median"):
            x = f[f"scenario/{key}"][:]
            rho = float(np.nanmean([spearman(dd[which == d], x[which == d]) for d in range(10)]))
            check(f"signal: rank correlation of max_drawdown with {key} within shock deciles (mean)", rho,
                  ">= 0.20", rho >= 0.2)
        up_down(rows, data, "response", check)
        fd = float(np.mean(p["fund_depleted"][:]))
        check("default scenario: P(fund_depleted)", fd, "<= 0.05", fd <= 0.05)
        f.close()

        # 1 (levels): the 125x era's day, whose feed was complete: median long liquidations over OI within a
        # factor 2 of the era's, the pooled long share within 0.15, per bin.
        era_file = str(ROOT / "experiments" / "history" / "era_2020_daily.toml")
        f = run(a.wipeout, [era_file, "--paths", str(a.paths), *seed], work / "era.h5", a.set)
        p = f["paths"]
        dd = p["max_drawdown"][:]
        rows = response.curve(response.paths_sample(p), BINS)
        for row, dmed, dshare in zip(rows, era["median"], era["long"]):
            lo, hi, n, med, share = row["lo"], row["hi"], row["n"], row["median"], row["long_share"]
            check(f"era Jan 2020-Apr 2021: {lo:.0%}-{hi:.0%} median long liquidations / OI ({n} paths)", med,
                  f"{dmed:.4f} within x2 [{dmed / 2:.4f}, {dmed * 2:.4f}]", dmed / 2 <= med <= dmed * 2)
            check(f"era Jan 2020-Apr 2021: {lo:.0%}-{hi:.0%} pooled long share", share, f"{dshare:.2f} +- 0.15",
                  abs(share - dshare) <= 0.15)
        up_down(rows, era, "era Jan 2020-Apr 2021", check)
        change = oi_change(f)
        for (lo, hi), want in zip(OI_BINS, oi_data):
            m = (dd >= lo) & (dd < hi)
            med = float(np.median(change[m])) if m.any() else float("nan")
            label = f"{lo:.0%}-{hi:.0%}" if hi < 1 else f"{lo:.0%} or more"
            check(f"era Jan 2020-Apr 2021: {label} median change of open interest ({int(m.sum())} paths)", med,
                  f"{want:+.3f} +- {OI_TOLERANCE:.2f}", abs(med - want) <= OI_TOLERANCE)
        f.close()

        # 2, 3: the history events.
        for ev, rep in EVENTS.items():
            scenario = str(ROOT / "experiments" / "history" / f"{ev}.toml")
            extra = ["--save-trajectories", str(a.profile_paths)] if ev in PROFILE_EVENTS else []
            f = run(a.wipeout, [scenario, "--paths", str(a.event_paths), *extra, *seed], work / f"{ev}.h5", a.set)
            p = f["paths"]
            Lq, Sq = p["liquidated_long_notional"][:], p["liquidated_short_notional"][:]
            sim = {"drawdown": p["max_drawdown"][:], "liquidated": Lq + Sq, "recovery": p["recovered_end"][:]}
            with np.errstate(invalid="ignore", divide="ignore"):
                sim["long_share"] = np.where(Lq + Sq > 0, Lq / (Lq + Sq), np.nan)
            for k, reported in rep.items():
                if reported is None:
                    continue
                lo, hi = np.nanpercentile(sim[k], [5, 95])
                check(f"{ev}: {k} {reported:g} inside the 5-95% band", [float(lo), float(hi)], "inside",
                      lo <= reported <= hi)
            med = float(np.median(sim["drawdown"]))
            check(f"{ev}: median drawdown within x1.5 of {rep['drawdown']}", med,
                  f"[{rep['drawdown'] / 1.5:.3f}, {rep['drawdown'] * 1.5:.3f}]",
                  rep["drawdown"] / 1.5 <= med <= rep["drawdown"] * 1.5)
            if ev in PROFILE_EVENTS:
                peak, best40, ac5 = profile(f)
                n = len(peak)
                mp, mb, ma = (float(np.median(x)) if n else float("nan") for x in (peak, best40, ac5))
                check(f"{ev}: median peak-minute share ({n} cascading paths)", mp, "[0.10, 0.40]", 0.1 <= mp <= 0.4)
                check(f"{ev}: median best-40-minute share", mb, "[0.50, 0.90]", 0.5 <= mb <= 0.9)
                check(f"{ev}: median lag-5-minute autocorrelation", ma, ">= 0.05", ma >= 0.05)
            f.close()

    width = max(len(r["criterion"]) for r in results)
    print(f"data: {source}")
    for r in results:
        v = r["value"]
        shown = f"[{v[0]:.3g}, {v[1]:.3g}]" if isinstance(v, list) else f"{v:.4g}"
        print(f"{'PASS' if r['pass'] else 'FAIL'}  {r['criterion']:{width}s}  {shown:>18s}  target {r['target']}")
    passed = sum(r["pass"] for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    if a.json:
        with open(a.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0 if a.report_only or passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
