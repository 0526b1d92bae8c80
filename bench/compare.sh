#!/usr/bin/env bash
# Side-by-side benchmark: aks-preflight `check` and `explain` against Checkov, in one run, on
# the same files, each timed from outside with /usr/bin/time -v (wall time and peak RSS).
#
#   bench/compare.sh                  # small plan, 0.1 and 1.0 estates (Checkov: ~4 min at 1.0)
#   SCALES="0.1" bench/compare.sh     # a quicker run
#   CHECKOV=0 bench/compare.sh        # aks-preflight only
#   FORMATS="plan arm hcl" bench/compare.sh   # check each estate in each of its forms too
#
# Inputs: the bundled scenario plan `testdata/scenarios/hub-fw-deny-before-allow/plan.json`
# (the small plan) and estates written by `cargo run --release --example gen_estate -- SCALE
# OUT [--format plan|arm|hcl]` (kept in $WORK, regenerated when missing). FORMATS (default
# `plan`) lists the forms of each estate to measure: `plan` (plan JSON: check, explain and
# Checkov), `arm` (one ARM REST list page) and `hcl` (a directory with one flattened `main.tf`),
# each of the latter two timed with `check` on one core only (Checkov reads the plan only). Checkov is installed from PyPI into a virtual
# environment under $WORK (pinned: $CHECKOV_VERSION) and run on the plan JSON
# (`--framework terraform_plan`). aks-preflight runs pinned to one core (`taskset -c 0`: the
# issue's target is one core) and, for `check`, unpinned too (rayon uses every core).
# Results go to stdout and to $WORK/compare-<date>.txt; copy them into bench/RESULTS.md with
# the load average printed at the start and the end.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK="${WORK:-target/bench}"
SCALES="${SCALES:-0.1 1.0}"
FORMATS="${FORMATS:-plan}"
CHECKOV="${CHECKOV:-1}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
SMALL="testdata/scenarios/hub-fw-deny-before-allow/plan.json"
TO="mcr.microsoft.com:443/tcp"

for tool in /usr/bin/time taskset; do
  command -v "$tool" >/dev/null || { echo "compare.sh needs $tool (apt-get install time util-linux)" >&2; exit 1; }
done
mkdir -p "$WORK"
report="$WORK/compare-$(date -u +%Y%m%dT%H%M%SZ).txt"
exec > >(tee "$report") 2>&1

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo)"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# AKS_PREFLIGHT_BIN: a binary to measure instead of building this checkout
if [ -z "${AKS_PREFLIGHT_BIN:-}" ]; then
  cargo build --release --locked --quiet --bin aks-preflight --example gen_estate
fi
BIN="${AKS_PREFLIGHT_BIN:-target/release/aks-preflight}"
GEN=target/release/examples/gen_estate

for fmt in $FORMATS; do
  case "$fmt" in plan|arm|hcl) ;; *) echo "FORMATS: plan, arm or hcl, not $fmt" >&2; exit 1 ;; esac
done
inputs=("$SMALL")
for s in $SCALES; do
  for fmt in $FORMATS; do
    case "$fmt" in
      plan) f="$WORK/estate-$s.json"; [ -s "$f" ] || "$GEN" "$s" "$f" ;;
      arm) f="$WORK/estate-$s.arm.json"; [ -s "$f" ] || "$GEN" "$s" "$f" --format arm ;;
      hcl) f="$WORK/estate-$s-hcl"; [ -s "$f/main.tf" ] || "$GEN" "$s" "$f" --format hcl ;;
    esac
    inputs+=("$f")
  done
done

if [ "$CHECKOV" = 1 ]; then
  venv="${CHECKOV_VENV:-$WORK/checkov-venv}"
  if [ ! -x "$venv/bin/checkov" ] || ! "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "checkov==$CHECKOV_VERSION"
  fi
  echo "== checkov $("$venv/bin/checkov" --version)"
fi

# run LABEL CMD...: time one run; prints "wall_s cpu_s peak_mib" (cpu: user + system; on a
# busy machine it is the better measure of what one core needs)
run() {
  local label="$1"; shift
  local t="$WORK/time.txt"
  local rc=0
  /usr/bin/time -v -o "$t" "$@" >/dev/null 2>"$WORK/stderr.txt" || rc=$?
  if ! grep -q "Elapsed" "$t"; then
    echo "$label: did not run ($(head -c 300 "$WORK/stderr.txt"))" >&2
    exit 1
  fi
  # exit 1 is a finding; 2 or more is an error of the tool
  if [ "$rc" -ge 2 ] && [ "$label" != checkov ]; then
    echo "$label failed (exit $rc): $(head -c 600 "$WORK/stderr.txt")" >&2
    exit 1
  fi
  local wall peak cpu
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$t")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$t")
  peak=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$t")
  echo "$wall $cpu $peak"
}

printf '\n%-40s %7s  %-20s %8s %8s %9s %10s\n' input "MB" command "wall s" "cpu s" "peak MiB" "peak/input"
for f in "${inputs[@]}"; do
  if [ -d "$f" ]; then bytes=$(stat -c %s "$f/main.tf"); else bytes=$(stat -c %s "$f"); fi
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
  declare -A wall=() cpu=() peak=()
  read -r wall[check-1core] cpu[check-1core] peak[check-1core] < <(run check-1core taskset -c 0 "$BIN" check "$f")
  case "$f" in
    *.arm.json|*-hcl)
      # another form of an estate: check on one core only
      ratio=$(awk -v p="${peak[check-1core]}" -v b="$bytes" 'BEGIN { printf "%.1f×", p * 1048576 / b }')
      printf '%-40s %7s  %-20s %8s %8s %9s %10s\n' "$f" "$mb" check-1core "${wall[check-1core]}" "${cpu[check-1core]}" "${peak[check-1core]}" "$ratio"
      unset wall cpu peak
      continue ;;
  esac
  cmds=(check-1core check explain-1core explain-json-1core)
  read -r wall[check] cpu[check] peak[check] < <(run check "$BIN" check "$f")
  read -r wall[explain-1core] cpu[explain-1core] peak[explain-1core] < <(run explain-1core taskset -c 0 "$BIN" explain "$f" --to "$TO")
  read -r wall[explain-json-1core] cpu[explain-json-1core] peak[explain-json-1core] < <(run explain-json-1core taskset -c 0 "$BIN" explain "$f" --to "$TO" --format json)
  if [ "$CHECKOV" = 1 ]; then
    cmds+=(checkov)
    read -r wall[checkov] cpu[checkov] peak[checkov] < <(run checkov "$venv/bin/checkov" -f "$f" --framework terraform_plan --quiet --compact --skip-download)
  fi
  for c in "${cmds[@]}"; do
    ratio=$(awk -v p="${peak[$c]}" -v b="$bytes" 'BEGIN { printf "%.1f×", p * 1048576 / b }')
    printf '%-40s %7s  %-20s %8s %8s %9s %10s\n' "$f" "$mb" "$c" "${wall[$c]}" "${cpu[$c]}" "${peak[$c]}" "$ratio"
  done
  # a ratio of b to a; n/a when either is 0 (under /usr/bin/time's 0.01 s resolution)
  r() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.1f×", b / a; else print "n/a" }'; }
  echo "  explain (human) / check, one core: wall $(r "${wall[check-1core]}" "${wall[explain-1core]}"), cpu $(r "${cpu[check-1core]}" "${cpu[explain-1core]}")"
  if [ "$CHECKOV" = 1 ]; then
    echo "  Checkov / aks-preflight check (one core): wall $(r "${wall[check-1core]}" "${wall[checkov]}"), cpu $(r "${cpu[check-1core]}" "${cpu[checkov]}"), peak memory $(r "${peak[check-1core]}" "${peak[checkov]}")"
  fi
  unset wall cpu peak
done
echo
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== written to $report"
