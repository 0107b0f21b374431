# Every numeric option of every subcommand gets -1, 0, 1e30, nan and abc, one at a time, on a valid base
# command. Each value is either legal for that option (the command succeeds) or refused: exit 2, one line on
# stderr naming the option and the value as typed, nothing on stdout, no file created.
# The options come from the CLI's own --help (CLI11's, and argparse's for report), the list a user sees: it
# needs no hook in the binary, and an option added later fails this test until it is classified below, as a
# number (with its legal values) or as text. The table also fails on an option the CLI no longer has.
source "$(dirname "$0")/lib.sh"
values=(-1 0 1e30 nan abc)

# The values of $values each numeric option takes; every other one must be refused.
declare -A legal=(
  ["run --paths"]="" ["run --seed"]="0" ["run --threads"]="" ["run --chunk-paths"]=""
  ["run --compression"]="0" ["run --log-interval"]="" ["run --save-trajectories"]="0"
  ["sweep --points"]="" ["sweep --paths-per-point"]="" ["sweep --seed"]="0" ["sweep --threads"]=""
  ["sweep --chunk-paths"]="" ["sweep --compression"]="0" ["sweep --log-interval"]=""
  ["merge --threads"]=""
  ["path --seed"]="0" ["path --index"]="0"
  ["liq-price --entry"]="" ["liq-price --qty"]="" ["liq-price --leverage"]="" ["liq-price --margin"]=""
  ["liq-price --extra-margin"]="0" ["liq-price --mmr"]="0" ["liq-price --maint-amount"]="0"
  ["liq-price --max-leverage"]="" ["liq-price --fee"]="0" ["liq-price --wallet-balance"]=""
  ["liq-price --other-maint-margin"]="0" ["liq-price --other-upnl"]="-1 0"
  ["fund --p-adl"]="" ["fund --confidence"]=""
  ["liq-map --seed"]="0" ["liq-map --path"]="0" ["liq-map --bins"]=""
  ["snapshot --path"]="0" ["snapshot --positions"]="" ["snapshot --accounts"]="" ["snapshot --cross-share"]="0"
  ["snapshot --seed"]="0"
)
# Options that take text (--shard's K/N is walked at the end).
declare -A text=()
for key in "run --output" "run --set" "run --shard" "sweep --grid" "sweep --lhs" "sweep --output" "sweep --set" \
  "sweep --shard" "path --set" "path --trace" "liq-price --side" "liq-price --tiers" "liq-price --venue" \
  "scenario show --set" "report --output" "report --stat" "report --outputs" "report --daily-data" \
  "fund --csv" "fund --png" "liq-map --set" "liq-map --range" "liq-map --csv" "liq-map --png" "snapshot --set" \
  "snapshot --output"; do
  text[$key]=1
done

# Valid base commands, run in an empty folder (merge's shards are made first); an option they already hold
# is replaced.
"$WIPEOUT" run --paths 10 --seed 3 --shard 0/2 -q -o "$tmp/part0.h5" >/dev/null
"$WIPEOUT" run --paths 10 --seed 3 --shard 1/2 -q -o "$tmp/part1.h5" >/dev/null
"$WIPEOUT" run --paths 10 --seed 3 -q -o "$tmp/fund.h5" >/dev/null
declare -A base=(
  [run]="run --paths 10 -q -o out.h5"
  [sweep]="sweep --lhs shock.size=0.02:0.1 --points 2 --paths-per-point 5 -q -o out.h5"
  [merge]="merge out.h5 $tmp/part0.h5 $tmp/part1.h5"
  [path]="path --index 1 --trace trace.csv"
  [fund]="fund $tmp/fund.h5"
  [liq-map]="liq-map --bins 10 --csv map.csv"
  [snapshot]="snapshot --positions 100 -o drawn.csv"
  [liq-price]="liq-price --side long --entry 100000 --qty 0.1 --leverage 10"
  ["liq-price --margin"]="liq-price --side long --entry 100000 --qty 0.1 --margin 1000"
  ["liq-price --maint-amount"]="liq-price --side long --entry 100000 --qty 0.1 --leverage 10 --mmr 0.005"
  ["liq-price --max-leverage"]="liq-price --side long --entry 100000 --qty 0.1 --leverage 10 --mmr 0.005"
)
cross="liq-price --side long --entry 100000 --qty 0.1 --wallet-balance 20000 --other-maint-margin 100"
cross+=" --other-upnl -50"
for o in --wallet-balance --other-maint-margin --other-upnl; do base["liq-price $o"]=$cross; done

# try KEY VALUE...: runs KEY's base command with VALUEs, the option KEY names replaced, in a fresh folder.
try() {
  local key=$1; shift
  option=${key##* }
  local -a words args=()
  read -ra words <<<"${base[$key]:-${base[${key% *}]}}"
  for ((i = 0; i < ${#words[@]}; i++)); do
    if [[ ${words[i]} == "$option" ]]; then ((i += 1)); else args+=("${words[i]}"); fi
  done
  rm -rf "$tmp/case" && mkdir "$tmp/case"
  set +e; (cd "$tmp/case" && "$WIPEOUT" "${args[@]}" "$option" "$@" >"$tmp/out" 2>"$tmp/err"); rc=$?; set -e
}
# refused: what the last try must show when it refused $value for $option.
refused() {
  [[ $rc == 2 ]] || fail "$option $value: exit $rc, expected 2 (a refusal); stderr: $(cat "$tmp/err")"
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "$option $value: expected one line on stderr: $(cat "$tmp/err")"
  grep -Fq -- "wipeout: error: $option '$value': " "$tmp/err" ||
    fail "$option $value: stderr does not name both: $(cat "$tmp/err")"
  [[ ! -s "$tmp/out" ]] || fail "$option $value: printed on stdout: $(head -n 3 "$tmp/out")"
  [[ -z $(ls -A "$tmp/case") ]] || fail "$option $value: created $(ls -A "$tmp/case")"
}

subcommands() { sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'; }
commands=()  # every leaf subcommand: "run", ..., "scenario show"
for sub in $("$WIPEOUT" --help | subcommands); do
  nested=$("$WIPEOUT" "$sub" --help | subcommands)
  if [[ -n $nested ]]; then for n in $nested; do commands+=("$sub $n"); done; else commands+=("$sub"); fi
done
((${#commands[@]} >= 8)) || fail "only ${#commands[@]} subcommands found in --help: ${commands[*]}"
walked=0
declare -A seen=()
for command in "${commands[@]}"; do
  # shellcheck disable=SC2086
  help=$("$WIPEOUT" $command --help)
  ! grep -Eq '^  [a-z][a-z_.-]* (UINT|INT|FLOAT)' <<<"$help" || fail "$command: a numeric positional, not walked"
  # Value-taking options: "  --paths UINT  ...", "  -o,--output TEXT=...", argparse's "  -o DIR, --output DIR".
  options=$(sed -nE 's/^  (-[A-Za-z]( [A-Z.,]+)?, ?)?(--[a-z][a-z0-9-]*)[ =]([A-Z][A-Z.,:]*)( |=|$).*/\3/p' <<<"$help")
  for option in $options; do
    key="$command $option"
    seen[$key]=1
    [[ -v "text[$key]" ]] && continue
    [[ -v "legal[$key]" ]] || fail "$key takes a value but this test does not know it: classify it above"
    for value in "${values[@]}"; do
      try "$key" "$value"
      if [[ " ${legal[$key]} " == *" $value "* ]]; then
        [[ $rc == 0 ]] || fail "$key $value: legal, but exit $rc: $(cat "$tmp/err")"
        [[ $command == liq-price || -n $(ls -A "$tmp/case") ]] || fail "$key $value: exit 0 but no file written"
      else
        refused
      fi
      walked=$((walked + 1))
    done
  done
done
for key in "${!legal[@]}" "${!text[@]}"; do
  [[ -v "seen[$key]" ]] || fail "$key is in this test's tables but not in the CLI's --help"
done
((walked >= 140)) || fail "only $walked cases walked: is --help parsed?"

# --shard K/N is text to CLI11; its numbers are refused the same way.
for key in "run --shard" "sweep --shard"; do
  for value in -1/2 1/-2 1e30/2 nan/2 abc/2 0/0 2/2 1/65537 1/2x; do
    try "$key" "$value"
    refused
  done
done
echo "numeric_options: $walked cases: ok"
