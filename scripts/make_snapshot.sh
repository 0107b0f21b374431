#!/usr/bin/env bash
# The sample of experiments/snapshot/ (docs/model.md, "M6 from a position snapshot"; #14):
#   positions.csv  100,000 positions drawn from the default scenario's crowd (path 0: the calibrated entry,
#                  leverage and size mix) over 3,000 isolated accounts, 15% of the positions cross-margined in
#                  900 accounts of their own; `wipeout snapshot` prints the positions.oi_scale that carries the
#                  crowd's open interest (snapshot.toml sets it).
#   book.csv       a BTCUSDT book from the calibrated power law with noise and walls (scripts/make_book_snapshot.py).
# Deterministic: the same files for the same wipeout. Usage: scripts/make_snapshot.sh [path/to/wipeout]
set -euo pipefail
cd "$(dirname "$0")/.."
wipeout=${1:-build/wipeout}
"$wipeout" snapshot --positions 100000 --accounts 3000 --cross-share 0.15 --seed 1 \
    -o experiments/snapshot/positions.csv --force
/usr/bin/python3 scripts/make_book_snapshot.py --out experiments/snapshot/book.csv
