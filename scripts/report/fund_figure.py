#!/usr/bin/python3
"""The figure of `wipeout fund --png`: P(ADL) against the initial fund from the curve `wipeout fund` wrote as CSV
(measure,fund,paths_above,n,p_adl,p_lo,p_hi), drawn as the report's fund-sizing figure (report_figures.fund_curve).

    fund_figure.py --csv curve.csv --png curve.png [--size P:FUND:LO:HI:QUOTE:QLO:QHI ...] [--run-fund F]
"""
import argparse
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import report_figures as figures  # noqa: E402
from report_common import quote  # noqa: E402


def curves_from_csv(path):
    rows = {"fund_to_oi": [], "fund_quote": []}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows[row["measure"]].append(row)
    out = []
    for measure, unit, title, xlabel in (
            ("fund_to_oi", "fraction", "P(ADL) against the fund, as a share of OI", "initial fund (% of open interest)"),
            ("fund_quote", "quote", "P(ADL) against the fund, in quote", "initial fund (quote ccy)")):
        r = rows[measure]
        at = lambda key: np.array([float(x[key]) for x in r if float(x["fund"]) > 0])  # noqa: E731
        p0 = next((float(x["p_adl"]) for x in r if float(x["fund"]) == 0), float("nan"))
        out.append({"title": title, "xlabel": xlabel, "unit": unit, "x": at("fund"), "p": at("p_adl"),
                    "lo": at("p_lo"), "hi": at("p_hi"), "n": int(r[0]["n"]) if r else 0, "p0": p0})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("--confidence", type=float, default=0.95)
    ap.add_argument("--size", action="append", default=[], help="P:FUND:LO:HI:QUOTE:QLO:QHI (nan: unbounded)")
    ap.add_argument("--run-fund", type=float)
    a = ap.parse_args()
    sizes = []
    for text in a.size:
        p, f, lo, hi, q, qlo, qhi = (float(x) for x in text.split(":"))
        sizes.append({"label": f"P(ADL) ≤ {100 * p:g}%", "p": p, "fraction": (f, lo, hi), "quote": (q, qlo, qhi),
                      "text": {"fraction": f"{100 * f:.3g}% of OI", "quote": quote(q) if math.isfinite(q) else "?"}})
    png = figures.fund_curve(curves_from_csv(a.csv), sizes, a.run_fund, a.confidence)
    with open(a.png, "wb") as out:
        out.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
