# wipeout sweep / merge / --shard / mpirun end to end: a sweep point re-run alone with wipeout run gives
# its rows bit for bit; shards merged equal the single-process file; every merge refusal exits 2 naming the
# problem and the file; 2 MPI ranks write the same file as one process.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cd "$tmp"
cat >compare.py <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
groups = sys.argv[3].split(',')
for group in groups:
    if group not in b:
        assert group not in a, group
        continue
    for name in b[group]:
        x, y = a[group][name][:], b[group][name][:]
        assert x.dtype == y.dtype and x.shape == y.shape, (group, name)
        if x.dtype.kind == 'O':   # strings
            assert list(x) == list(y), (group, name)
        else:
            assert x.tobytes() == y.tobytes(), (group, name)   # bit for bit, NaN included
assert a.attrs['complete'] == 1 and a.attrs['filetype'] == b.attrs['filetype']
PYEOF

# ---- a grid sweep; point 4 re-run alone with its stored command equals its rows ----
expect_exit 0 "$WIPEOUT" sweep --grid shock.size=0.05:0.15:3 --grid 'positions.leverage_median.sigma=0.3,0.5' \
  --paths-per-point 40 --seed 3 --chunk-paths 32 --threads 2 -o grid.h5 -q
expect_grep '6 points x 40 paths' "$tmp/out"
cmd=$($PY -c "import h5py; print(h5py.File('grid.h5','r')['sweep/command'][4].decode())")
[[ $cmd == "wipeout run --set 'shock.size=0.15' --set 'positions.leverage_median.sigma=0.3' --seed "* ]] || fail "command: $cmd"
eval "\"\$WIPEOUT\" ${cmd#wipeout } -o point4.h5 -q --chunk-paths 16"
$PY - <<'PYEOF' || fail "sweep layout or point re-run"
import h5py, numpy as np
f, r = h5py.File('grid.h5', 'r'), h5py.File('point4.h5', 'r')
assert f.attrs['filetype'] == 'wipeout-sweep' and list(f.attrs['format_version']) == [1, 0]
assert f.attrs['n_points'] == 6 and f.attrs['paths_per_point'] == 40 and f.attrs['n_paths'] == 240
assert list(f.attrs['sweep_keys']) == ['shock.size', 'positions.leverage_median.sigma']
m = f['summary/es99']
assert m.shape == (3, 2, len(f['summary/output'])), m.shape
assert [d[0].name for d in m.dims] == ['/grid/shock.size', '/grid/positions.leverage_median.sigma', '/summary/output']
assert list(f['grid/shock.size'][:]) == [0.05, 0.1, 0.15]
assert f['sweep/seed'][4] == r.attrs['seed']
rows = f['path_point'][:] == 4
assert rows.sum() == 40 and list(f['path_index'][rows]) == list(range(40))
for group in ('scenario', 'paths'):
    for name in r[group]:
        assert f[group][name][rows].tobytes() == r[group][name][:].tobytes(), (group, name)
# The point's summary is the run's summary of its rows.
i, j = 2, 0   # point 4 = (shock.size index 2, sigma index 0)
for stat in ('mean', 'p99', 'es99', 'n'):
    x, y = f['summary'][stat][i, j, :], r['summary'][stat][:]
    assert x.tobytes() == y.tobytes(), stat
assert r['scenario/shock.size'][0] == 0.15
PYEOF

# ---- a Latin hypercube: deterministic from the seed, stratified per axis ----
expect_exit 0 "$WIPEOUT" sweep --lhs shock.size.median=0.03:0.08 --lhs 'book.depth_1pct=log:2e6:2e7' --points 5 \
  --paths-per-point 20 --seed 9 -o lhs.h5 -q --threads 1
expect_exit 0 "$WIPEOUT" sweep --lhs shock.size.median=0.03:0.08 --lhs 'book.depth_1pct=log:2e6:2e7' --points 5 \
  --paths-per-point 20 --seed 9 -o lhs2.h5 -q --threads 2 --chunk-paths 7
$PY compare.py lhs.h5 lhs2.h5 scenario,paths,summary,sweep || fail "LHS is not deterministic"
$PY - <<'PYEOF' || fail "LHS layout"
import h5py, numpy as np
f = h5py.File('lhs.h5', 'r')
assert f.attrs['sweep_design'] == 'latin_hypercube' and f['summary/mean'].shape[0] == 5
assert f['summary/mean'].dims[0][0].name == '/point'
u = (f['sweep/shock.size.median'][:] - 0.03) / 0.05
assert sorted(np.floor(u * 5).astype(int)) == [0, 1, 2, 3, 4]
PYEOF

# ---- bad sweep input: exit 2 naming key and value ----
expect_exit 2 "$WIPEOUT" sweep --grid shock.size=-1:0.1:2 --paths-per-point 5 -o bad.h5
expect_grep "shock.size=-1.0.*must be within" "$tmp/err"
expect_exit 2 "$WIPEOUT" sweep --grid shock.size.mode=1:2:2 --paths-per-point 5 -o bad.h5
expect_grep "shock.size.mode.*its parameters are median, sigma, min, max" "$tmp/err"
expect_exit 2 "$WIPEOUT" sweep --grid shock.size=0.1:0.2:x --paths-per-point 5 -o bad.h5
expect_grep "not a finite number|whole number" "$tmp/err"
expect_exit 2 "$WIPEOUT" run --set shock.size.sigma=-1 -o bad.h5
expect_grep "shock.size.sigma=-1.*sigma" "$tmp/err"
[[ ! -e bad.h5 ]] || fail "a refused sweep created its output"

# ---- shards of a run, merged in any order, equal the single run (trajectories too) ----
run=(run --paths 300 --seed 5 --chunk-paths 64 --save-trajectories 2 -q)
expect_exit 0 "$WIPEOUT" "${run[@]}" -o single.h5
for k in 0 1 2; do expect_exit 0 "$WIPEOUT" "${run[@]}" --shard $k/3 -o shard$k.h5; done
$PY -c "import h5py; a = h5py.File('shard1.h5','r').attrs; assert (a['shard_index'], a['shard_count'], a['shard_first'], a['shard_end']) == (1, 3, 100, 200)" || fail "shard attributes"
expect_exit 0 "$WIPEOUT" merge merged.h5 shard2.h5 shard0.h5 shard1.h5
$PY compare.py merged.h5 single.h5 scenario,paths,summary,trajectories || fail "merged run differs"

# ---- shards of a sweep (slices of the points) ----
sweep=(sweep --grid shock.size=0.05:0.15:3 --paths-per-point 30 --seed 2 --chunk-paths 16 -q)
expect_exit 0 "$WIPEOUT" "${sweep[@]}" -o sweep.h5
for k in 0 1; do expect_exit 0 "$WIPEOUT" "${sweep[@]}" --shard $k/2 -o sweep_shard$k.h5; done
expect_exit 0 "$WIPEOUT" merge sweep_merged.h5 sweep_shard0.h5 sweep_shard1.h5
$PY compare.py sweep_merged.h5 sweep.h5 scenario,paths,summary,sweep,grid || fail "merged sweep differs"

# ---- merge refusals: exit 2, naming the problem and the file ----
expect_exit 2 "$WIPEOUT" merge merged.h5 shard0.h5 shard1.h5 shard2.h5
expect_grep 'merged.h5 already exists .*--force' "$tmp/err"
expect_exit 0 "$WIPEOUT" merge --force merged.h5 shard0.h5 shard1.h5 shard2.h5
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 shard1.h5
expect_grep 'shard 2/3 is missing' "$tmp/err"
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 shard1.h5 shard1.h5 shard2.h5
expect_grep 'shard1.h5: shard 1/3 is given twice' "$tmp/err"
expect_exit 0 "$WIPEOUT" run --paths 300 --seed 6 --chunk-paths 64 --save-trajectories 2 -q --shard 1/3 -o seed6.h5
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 seed6.h5 shard2.h5
expect_grep 'seed6.h5: seed 6' "$tmp/err"
expect_exit 0 "$WIPEOUT" run --paths 301 --seed 5 --chunk-paths 64 --save-trajectories 2 -q --shard 1/3 -o n301.h5
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 n301.h5 shard2.h5
expect_grep 'n301.h5: 301 paths' "$tmp/err"
expect_exit 0 "$WIPEOUT" "${run[@]}" --set shock.size=0.1 --shard 1/3 -o other.h5
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 other.h5 shard2.h5
expect_grep 'other.h5: its scenario differs' "$tmp/err"
expect_exit 0 "$WIPEOUT" "${run[@]}" --shard 1/4 -o four.h5
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 four.h5 shard2.h5
expect_grep 'four.h5: shard 1/4' "$tmp/err"
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 single.h5 shard2.h5
expect_grep 'single.h5: it is not a shard' "$tmp/err"
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 sweep_shard1.h5
expect_grep 'sweep_shard1.h5: it is a wipeout-sweep file' "$tmp/err"
cp shard1.h5 version.h5
$PY -c "import h5py; h5py.File('version.h5','r+').attrs['software_version'] = '0.0.0'"
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 version.h5 shard2.h5
expect_grep 'version.h5: written by wipeout 0.0.0' "$tmp/err"
cp shard1.h5 partial.h5
$PY -c "import h5py; f = h5py.File('partial.h5','r+'); f.attrs['complete'] = 0; f.attrs['n_paths_done'] = 64"
expect_exit 2 "$WIPEOUT" merge m.h5 shard0.h5 partial.h5 shard2.h5
expect_grep 'partial.h5: shard 1/3 is incomplete' "$tmp/err"
[[ ! -e m.h5 ]] || fail "a refused merge created its output"
expect_exit 2 "$WIPEOUT" run --paths 10 --shard 3/3 -o bad.h5
expect_grep "--shard '3/3'" "$tmp/err"

# ---- a shard resumes ----
expect_exit 0 "$WIPEOUT" "${run[@]}" --shard 1/3 -o r1.h5
expect_exit 0 "$WIPEOUT" "${run[@]}" --shard 1/3 -o r1.h5 --resume
expect_grep 'already complete' "$tmp/out"
expect_exit 2 "$WIPEOUT" "${run[@]}" --shard 2/3 -o r1.h5 --resume
expect_grep 'it holds shard 1/3, not shard 2/3' "$tmp/err"

# ---- MPI: 2 ranks write the file one process writes (run and sweep) ----
if command -v mpirun >/dev/null && ldd "$WIPEOUT" | grep -q libmpi; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  # Under AddressSanitizer, Open MPI's own start-up allocations are reported as leaks: not ours.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
  mpi=(mpirun --allow-run-as-root --oversubscribe -np 2)
  expect_exit 0 "${mpi[@]}" "$WIPEOUT" run --paths 300 --seed 5 --chunk-paths 32 --threads 1 --save-trajectories 2 -o mpi.h5 -q
  $PY compare.py mpi.h5 single.h5 scenario,paths,summary,trajectories || fail "2 MPI ranks differ from one process"
  expect_exit 0 "${mpi[@]}" "$WIPEOUT" sweep --grid shock.size=0.05:0.15:3 --paths-per-point 30 --seed 2 --chunk-paths 16 --threads 1 -o mpi_sweep.h5 -q
  $PY compare.py mpi_sweep.h5 sweep.h5 scenario,paths,summary,sweep,grid || fail "MPI sweep differs"
  expect_exit 2 "${mpi[@]}" "$WIPEOUT" run --paths 300 --seed 5 -o mpi.h5 -q
  expect_grep 'already exists' "$tmp/err"
  expect_exit 0 "${mpi[@]}" "$WIPEOUT" run --paths 300 --seed 5 --chunk-paths 32 --threads 1 --save-trajectories 2 -o mpi.h5 -q --resume
else
  echo "sweep: MPI part skipped (no mpirun or wipeout built without WIPEOUT_MPI)"
fi
echo "sweep: ok"
