#!/usr/bin/python3
"""Writes the price bars before each history event (experiments/history/bars/<event>.csv) from Binance BTCUSDT
spot daily candles (../shared/data/binance_btcusdt_spot_daily_2018_2024.csv): the lookback that shapes each
event's crowd ([run] history, M6 from the market's history, docs/model.md). The event day itself is left out.

    /usr/bin/python3 scripts/history_bars.py [--data CSV] [--days 90]
"""
import argparse
import csv
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
EVENTS = {"2020-03-12_black_thursday": "2020-03-12", "2021-05-19_china_ban": "2021-05-19",
          "2022-06-13_celsius": "2022-06-13", "2023-08-17_spacex": "2023-08-17"}

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--data", default=str(ROOT.parent / "shared/data/binance_btcusdt_spot_daily_2018_2024.csv"))
ap.add_argument("--days", type=int, default=90, help="bars before the event day")
a = ap.parse_args()
rows = list(csv.DictReader(open(a.data)))
dates = [r["date"] for r in rows]
for name, day in EVENTS.items():
    i = dates.index(day)
    out = ROOT / "experiments/history/bars" / f"{name}.csv"
    with open(out, "w") as f:
        f.write(f"# Binance BTCUSDT spot, daily UTC candles, the {a.days} days before {day} "
                "(scripts/history_bars.py from the public Coinalyze/Binance candles in ../shared/data)\n")
        f.write("date,open,high,low,close\n")
        for r in rows[i - a.days:i]:
            f.write(f"{r['date']},{r['open']},{r['high']},{r['low']},{r['close']}\n")
    print(out.relative_to(ROOT))
