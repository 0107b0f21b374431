# ADL designs compared on the same paths: a sweep over adl.design by name with --same-seed (common random numbers),
# its choice axis labelled in the file, every point re-runnable alone, paths identical across designs until their
# first ADL, --check on an ADL-heavy scenario for every design, the sweep report's design section; bad names refused.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cd "$tmp"

expect_exit 0 "$WIPEOUT" sweep "$WIPEOUT_SOURCE_DIR/experiments/weekend_air_pocket.toml" \
  --grid 'adl.design=queue,pro-rata,min-max' --paths-per-point 300 --seed 7 --same-seed -q -o d.h5
expect_grep '3 points x 300 paths, complete' "$tmp/out"
$PY - <<'EOF' || fail "the design sweep"
import h5py, numpy as np
f = h5py.File("d.h5", "r")
assert f.attrs["sweep_definition"] == "grid seed=7 paths=300 same-seed adl.design=queue,pro-rata,min-max"
assert list(f["grid/adl.design"][:]) == [0, 1, 2]
assert list(f["grid/adl.design"].attrs["choices"]) == ["queue", "pro-rata", "min-max"]
assert list(f["sweep/seed"][:]) == [7, 7, 7]  # the same paths at every point
cmd = f["sweep/command"][1].decode()
assert "--set 'adl.design=\"pro-rata\"' --seed 7 --paths 300" in cmd, cmd
open("cmd.txt", "w").write(cmd)
rows = {k: f["paths"][k][:].reshape(3, 300) for k in ("max_drawdown", "adl_notional", "fund_needed", "adl_hhi",
                                                      "fund_depleted", "conservation_error")}
assert list(f["scenario/adl.design"][:].reshape(3, 300)[:, 0]) == [0, 1, 2]
no_adl = rows["fund_depleted"][0] == 0
# Until the first ADL the designs' paths are the same: those without ADL are identical, and every path's need too.
for d in (1, 2):
    assert np.array_equal(rows["max_drawdown"][d][no_adl], rows["max_drawdown"][0][no_adl])
    assert np.array_equal(rows["fund_needed"][d], rows["fund_needed"][0])
    assert np.array_equal(rows["fund_depleted"][d], rows["fund_depleted"][0])
assert no_adl.sum() < 300 and (rows["adl_notional"][1] > 0).sum() > 10
assert np.all(rows["conservation_error"] < 1e-9)
EOF

# A point re-runs alone to the same rows.
cmd=$(cat cmd.txt)
cmd=${cmd/wipeout run/\"\$WIPEOUT\" run}
eval "$cmd -q -o point1.h5"
$PY - <<'EOF' || fail "point 1's re-run"
import h5py, numpy as np
f, g = h5py.File("d.h5", "r"), h5py.File("point1.h5", "r")
for k in g["paths"]:
    assert np.array_equal(f["paths"][k][300:600], g["paths"][k][:], equal_nan=True), k
EOF

# Every design under the invariant checks, ADL-heavy.
for design in queue pro-rata min-max; do
  expect_exit 0 "$WIPEOUT" run --paths 30 --seed 3 --set regime.air_pocket=1 --set shock.size=0.15 \
    --set fund.initial_to_oi=0.00001 --set "adl.design=$design" --check -q -o "check_$design.h5"
done

# The sweep report: the design section, its figure and table.
expect_exit 0 "$WIPEOUT" report d.h5 -o rep
for f in report.html figures/adl_designs.png tables/adl_designs.csv; do
  [[ -s rep/$f ]] || fail "missing or empty: rep/$f"
done
expect_grep 'ADL designs compared' rep/report.html
expect_grep 'min-max' rep/tables/adl_designs.csv
expect_grep 'same-seed' rep/report.html

# Refusals: an unknown design, in a sweep axis and in --set.
expect_exit 2 "$WIPEOUT" sweep --grid 'adl.design=queue,fair' --paths-per-point 10 -o bad.h5
expect_grep "'fair' is not one of queue, pro-rata, min-max" "$tmp/err"
expect_exit 2 "$WIPEOUT" run --paths 10 --set adl.design=fair -o bad.h5
expect_grep 'adl.design' "$tmp/err"
echo "adl_designs: ok"
