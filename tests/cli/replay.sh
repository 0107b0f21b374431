# A path replayed alone with `wipeout path` gives bit for bit the row `wipeout run` wrote for it.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$WIPEOUT" run --paths 40 --seed 5 --threads 2 -q -o "$tmp/run.h5" --set shock.size=0.08
for index in 0 17 39; do
  expect_exit 0 "$WIPEOUT" path --seed 5 --index "$index" --set shock.size=0.08 --json
  cp "$tmp/out" "$tmp/path_$index.json"
  /usr/bin/python3 - "$tmp/run.h5" "$tmp/path_$index.json" "$index" <<'PY' || fail "path $index differs from the run's row"
import json, sys
import h5py
f = h5py.File(sys.argv[1], "r")
replay = json.load(open(sys.argv[2]))
i = int(sys.argv[3])
bad = []
for name, value in replay["outputs"].items():
    stored = float(f["paths/" + name][i])
    if not (stored == value or (value is None and stored != stored)):
        bad.append(f"{name}: run {stored!r} vs path {value!r}")
for key, value in replay["parameters"].items():
    ds = f["scenario/" + key]
    stored = ds[i]
    if "choices" in ds.attrs:
        stored = ds.attrs["choices"][int(stored)]
        stored = stored.decode() if isinstance(stored, bytes) else stored
    if (stored != value) and not (isinstance(value, (int, float)) and float(stored) == float(value)):
        bad.append(f"{key}: run {stored!r} vs path {value!r}")
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
PY
done
echo "replay: ok"
