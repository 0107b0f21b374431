#!/usr/bin/python3
"""The figure of `wipeout liq-map --png`: the map `wipeout liq-map --json` prints, read from a file, drawn as the
report's liquidation-map figure (report_figures.liquidation_map).

    liq_map_figure.py --json map.json --png map.png [--title TEXT]
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_figures as figures  # noqa: E402


def figure_input(j, title=""):
    """The figure's dict from the JSON of wipeout liq-map (null depth: unlimited)."""
    def column(key, null=math.inf):
        return [null if b[key] is None else b[key] for b in j["bins"]]
    return {"p0": j["reference_price"], "price": column("price"), "width": j["bin_width"],
            "long": column("long_liquidated"), "short": column("short_liquidated"),
            "long_cum": column("long_cumulative"), "short_cum": column("short_cumulative"),
            "bid_depth": column("bid_depth"), "ask_depth": column("ask_depth"),
            "cliff_down": j["cliff_down"], "cliff_up": j["cliff_up"], "title": title}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    with open(a.json) as f:
        j = json.load(f)
    title = f"Liquidation map: {a.title}" if a.title else "Liquidation map"
    png = figures.liquidation_map(figure_input(j, title))
    with open(a.png, "wb") as out:
        out.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
