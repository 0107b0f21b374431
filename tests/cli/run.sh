# wipeout run / summary / scenario show end to end: the HDF5 layout read by h5dump and h5py, bit-identical
# results for --threads 1 and 2, SIGINT/SIGTERM + --resume equal to an uninterrupted run, refusals to
# overwrite, bad scenario inputs refused with exit 2 naming file, key and value.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3  # the system Python has h5py and numpy
cd "$tmp"

# ---- a small run with 1 and 2 threads (and different chunk grids) ----
expect_exit 0 "$WIPEOUT" run --paths 300 --seed 5 --threads 1 --chunk-paths 64 -o t1.h5 --save-trajectories 2 -q
expect_grep 'complete' "$tmp/out"
expect_exit 0 "$WIPEOUT" run --paths 300 --seed 5 --threads 2 --chunk-paths 128 -o t2.h5 --save-trajectories 2 -q

h5dump -H t1.h5 >dump.txt || fail "h5dump cannot read t1.h5"
expect_grep 'DATASET "max_drawdown"' dump.txt
expect_grep 'GROUP "summary"' dump.txt
h5dump -a /filetype t1.h5 >filetype.txt || fail "h5dump -a /filetype"
expect_grep 'wipeout-results' filetype.txt

# Layout, attributes, dimension scales, summary definitions and thread-count determinism, with h5py.
$PY - <<'EOF' || fail "h5py layout check"
import math
import h5py, numpy as np

def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == 'f')

f = h5py.File('t1.h5', 'r')
a = f.attrs
assert a['filetype'] == 'wipeout-results', a['filetype']
assert list(a['format_version']) == [1, 0]
for key in ('software_version', 'git_sha', 'created_utc', 'scenario', 'command_line'):
    assert isinstance(a[key], str) and a[key], key
assert a['seed'] == 5 and a['n_paths'] == 300 and a['n_paths_done'] == 300 and a['complete'] == 1
assert '[shock]' in a['scenario'] and 'wipeout' in a['command_line']

n = 300
assert f['path'].attrs['CLASS'] == b'DIMENSION_SCALE'
assert list(f['path'][:]) == list(range(n))
outputs = list(f['paths'].keys())
assert len(outputs) > 30 and 'max_drawdown' in outputs and 'fund_depleted' in outputs
for name, d in f['paths'].items():
    assert d.shape == (n,) and d.dtype == np.float64, name
    assert d.compression == 'gzip' and d.shuffle and d.chunks == (64,), name
    assert d.dims[0][0].name == '/path', name
    for key in ('unit', 'doc', 'kind', 'adverse_tail'):
        assert key in d.attrs, (name, key)
params = list(f['scenario'].keys())
assert 'shock.size' in params and 'mark.rule' in params and len(params) > 50
for name, d in f['scenario'].items():
    assert d.shape == (n,) and d.dims[0][0].name == '/path', name
    assert 'unit' in d.attrs and 'doc' in d.attrs and 'distribution' in d.attrs, name
assert list(f['scenario/mark.rule'].attrs['choices']) == ['median', 'index', 'last']
size = f['scenario/shock.size'][:]
assert size.min() >= 0.01 and size.max() <= 0.30 and len(np.unique(size)) == n

s = f['summary']
names = [x.decode() for x in s['output'][:]]
assert names == outputs, (names, outputs)
assert s['output'].attrs['CLASS'] == b'DIMENSION_SCALE'
stats = ['mean', 'sd', 'se', 'p01', 'p05', 'p50', 'p95', 'p99', 'p999', 'es95', 'es99',
         'probability', 'probability_lo', 'probability_hi', 'n', 'n_missing']
for stat in stats:
    assert s[stat].shape == (len(names),) and s[stat].dims[0][0].name == '/summary/output', stat
for i, name in enumerate(names):
    col = f['paths'][name][:]
    col = col[np.isfinite(col)]
    assert s['n'][i] == len(col)
    if len(col) == 0:
        continue
    assert math.isclose(s['mean'][i], col.mean(), rel_tol=1e-12, abs_tol=1e-300), name
    for stat, p in (('p01', .01), ('p50', .5), ('p999', .999)):
        assert math.isclose(s[stat][i], np.quantile(col, p), rel_tol=1e-12, abs_tol=1e-12), (name, stat)
    k = math.ceil(0.05 * len(col) - 1e-9)
    tail = np.sort(col)[-k:] if s['adverse_tail'][i] == b'upper' else np.sort(col)[:k]
    assert math.isclose(s['es95'][i], tail.mean(), rel_tol=1e-12, abs_tol=1e-12), name
    if s['kind'][i] == b'flag':
        assert 0 <= s['probability_lo'][i] <= s['probability'][i] <= s['probability_hi'][i] <= 1
    else:
        assert math.isnan(s['probability'][i])

t = f['trajectories']
assert list(t['trajectory'][:]) == [0, 1]
assert t['trade_price'].shape[0] == 2 and t['trade_price'].dims[0][0].name == '/trajectories/trajectory'
assert t['trade_price'].dims[1][0].name == '/trajectories/step'
assert all(t['n_rows'][:] > 1)
time = t['time_s'][0, :t['n_rows'][0]]
assert np.all(np.diff(time) > 0)

g = h5py.File('t2.h5', 'r')
for group in ('scenario', 'paths', 'summary'):
    for name in f[group]:
        assert same(f[group][name][:], g[group][name][:]), (group, name)
EOF

# netCDF-4 readers see one 'path' dimension shared by /scenario and /paths (checked where netCDF4-python is
# installed: Debian's python3-netcdf4).
if $PY -c 'import netCDF4' 2>/dev/null; then
  $PY - <<'EOF' || fail "netCDF-4 reading"
import netCDF4
ds = netCDF4.Dataset('t1.h5')
assert ds.data_model == 'NETCDF4' and list(ds.dimensions) == ['path'] and ds.getncattr('filetype') == 'wipeout-results'
assert ds['paths'].variables['max_drawdown'].dimensions == ('path',)
assert ds['scenario'].variables['shock.size'].dimensions == ('path',)
assert ds['summary'].variables['es99'].dimensions == ('output',)
assert list(ds['summary'].variables['output'][:2]) == ['max_drawdown', 'trough_price']
assert ds['trajectories'].variables['trade_price'].dimensions == ('trajectory', 'step')
EOF
fi

# ---- summary as a table and as JSON ----
expect_exit 0 "$WIPEOUT" summary t1.h5
expect_grep 'max_drawdown' "$tmp/out"
expect_grep 'fund_depleted .* P = ' "$tmp/out"
expect_grep '300 of 300 paths \(complete\)' "$tmp/out"
expect_exit 0 "$WIPEOUT" summary --json t1.h5
cp "$tmp/out" summary.json
$PY - <<'EOF' || fail "summary --json"
import json, h5py, math
j = json.load(open('summary.json'))
f = h5py.File('t1.h5', 'r')
assert j['filetype'] == 'wipeout-results' and j['complete'] is True and j['n_paths'] == 300
names = [o['name'] for o in j['outputs']]
assert names == list(f['paths'].keys())
for i, o in enumerate(j['outputs']):
    m = f['summary/mean'][i]
    assert (o['mean'] is None and math.isnan(m)) or o['mean'] == m, o['name']
EOF
echo "not hdf5" >notes.txt
expect_exit 2 "$WIPEOUT" summary notes.txt
expect_grep 'not an HDF5 file' "$tmp/err"

# ---- refusals to overwrite ----
expect_exit 2 "$WIPEOUT" run --paths 300 --seed 6 -o t1.h5 -q
expect_grep 'already exists .*--force' "$tmp/err"
expect_exit 0 "$WIPEOUT" run --paths 50 --seed 6 -o t2.h5 -q --force

# ---- SIGINT finishes the chunk in flight, leaves a resumable file; --resume equals an uninterrupted run ----
# interrupt SIGNAL FILE PATHS: starts a run, waits for its first progress line, sends SIGNAL. Retries with
# more paths if the run finished before the signal arrived. Leaves the exit status in $rc and paths in $paths.
interrupt() {
  local signal=$1 file=$2
  paths=$3
  for attempt in 1 2 3 4 5; do
    rm -f "$file"
    "$WIPEOUT" run --paths "$paths" --seed 9 --threads 2 --chunk-paths 128 -o "$file" --log-interval 0.05 \
      >"$file.out" 2>"$file.err" &
    local pid=$!
    for _ in $(seq 1 600); do
      grep -Eq 'wipeout run: [1-9][0-9]*/' "$file.err" 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "-$signal" "$pid" 2>/dev/null || true
    set +e; wait "$pid"; rc=$?; set -e
    [[ $rc == 0 ]] || return 0
    paths=$((paths * 4))
  done
}
interrupt INT int.h5 3000
[[ $rc == 130 ]] || fail "SIGINT: exit $rc, expected 130: $(cat int.h5.err)"
expect_grep 'interrupted after [0-9]+ of [0-9]+ paths' int.h5.err
expect_grep '--resume' int.h5.err
$PY - "$paths" <<'EOF' || fail "interrupted file"
import sys, h5py
total = int(sys.argv[1])
f = h5py.File('int.h5', 'r')
done = int(f.attrs['n_paths_done'])
assert f.attrs['complete'] == 0, 'an interrupted file must not claim completeness'
assert 0 < done < total and done % 128 == 0, done
assert f['paths/max_drawdown'].shape == (done,) and 'summary' not in f
EOF
expect_exit 2 "$WIPEOUT" run --paths "$paths" --seed 9 -o int.h5 -q
expect_grep '--resume' "$tmp/err"
expect_exit 2 "$WIPEOUT" run --paths "$paths" --seed 10 -o int.h5 -q --resume
expect_grep 'seed' "$tmp/err"
expect_exit 2 "$WIPEOUT" run --paths "$paths" --seed 9 -o int.h5 -q --resume --set shock.size=0.2
expect_grep 'shock.size' "$tmp/err"
expect_exit 0 "$WIPEOUT" run --paths "$paths" --seed 9 --threads 1 -o int.h5 -q --resume
expect_exit 0 "$WIPEOUT" run --paths "$paths" --seed 9 --threads 2 --chunk-paths 512 -o ref.h5 -q
$PY - <<'EOF' || fail "resumed run differs from the uninterrupted one"
import h5py, numpy as np
a, b = h5py.File('int.h5', 'r'), h5py.File('ref.h5', 'r')
assert a.attrs['complete'] == 1 and a.attrs['n_paths_done'] == b.attrs['n_paths_done']
for group in ('scenario', 'paths', 'summary'):
    for name in b[group]:
        x, y = a[group][name][:], b[group][name][:]
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == 'f'), (group, name)
EOF

interrupt TERM term.h5 3000
[[ $rc == 143 ]] || fail "SIGTERM: exit $rc, expected 143: $(cat term.h5.err)"
expect_grep 'terminated after' term.h5.err
expect_exit 0 "$WIPEOUT" run --paths "$paths" --seed 9 -o term.h5 -q --resume

# ---- bad scenario inputs: exit 2 before any path runs, naming file, key and value ----
printf '[shock]\nsise = 0.1\n' >unknown.toml
expect_exit 2 "$WIPEOUT" run unknown.toml -o bad.h5
expect_grep "unknown.toml:2:[0-9]+: shock.sise = 0.1: unknown key; did you mean 'shock.size'" "$tmp/err"
printf '[positions]\nlong_share = 1.5\n' >probability.toml
expect_exit 2 "$WIPEOUT" run probability.toml -o bad.h5
expect_grep 'probability.toml:2:[0-9]+: positions.long_share = 1.5: must be within \[0, 1\]' "$tmp/err"
printf '[shock]\nsize = { dist = "lognormal", median = 0.05, sigma = 0.6 }\n' >unbounded.toml
expect_exit 2 "$WIPEOUT" run unbounded.toml -o bad.h5
expect_grep 'unbounded.toml:2:[0-9]+: shock.size = .*add truncation bounds' "$tmp/err"
printf '[shock]\nsize = = 1\n' >syntax.toml
expect_exit 2 "$WIPEOUT" run syntax.toml -o bad.h5
expect_grep 'syntax.toml:2:[0-9]+: TOML syntax error' "$tmp/err"
expect_exit 2 "$WIPEOUT" run --set book.depth_1pct=-5 -o bad.h5
expect_grep "--set 'book.depth_1pct=-5': book.depth_1pct = -5" "$tmp/err"
expect_exit 2 "$WIPEOUT" run no_such_file.toml -o bad.h5
expect_grep 'no_such_file.toml: cannot read' "$tmp/err"
[[ ! -e bad.h5 ]] || fail "a refused run created its output file"

# ---- scenario show: a valid scenario file that parses back to the same scenario ----
expect_exit 0 "$WIPEOUT" scenario show "$WIPEOUT_SOURCE_DIR/experiments/weekend_air_pocket.toml" --set mark.rule=last
cp "$tmp/out" shown.toml
expect_grep '^air_pocket = true' shown.toml
expect_grep '^rule = "last"' shown.toml
expect_grep '^# s: the move the shock alone makes' shown.toml
expect_exit 0 "$WIPEOUT" scenario show shown.toml
grep -v '^# Effective scenario from' shown.toml >a.txt
grep -v '^# Effective scenario from' "$tmp/out" >b.txt
diff a.txt b.txt >/dev/null || fail "scenario show does not round-trip: $(diff a.txt b.txt | head)"
echo "run: ok"
