#!/usr/bin/env bash
# Reading through censorship (issue 19): how long `erkin read`'s sync takes,
# from an empty reader folder, to hold the genuine newest copy when the copy
# tried first is blocked in each way the loopback harness reproduces
# (crates/erkin-reader/tests/harness) — beside the reference measured in the
# same run and the same harness: the same sync from the working copy alone.
#
#   bench/reader.sh [--runs 3]
#
# Runs the harness's timing tests in release, one test at a time (the
# figures are lines `bench-reader: LABEL: MS ms` on stderr; the tests assert
# the outcome, never the time), RUNS times, and prints a Markdown table: the
# median of each scenario, the median reference, their ratio.
set -euo pipefail
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
cargo test --release -q -p erkin-reader --test censorship --no-run >/dev/null 2>&1
for i in $(seq "$RUNS"); do
  echo "run $i of $RUNS ..." >&2
  cargo test --release -q -p erkin-reader --test censorship -- --nocapture \
    --test-threads 1 every_blocking all_at_once a_name_blocked_by_sni 2>&1 \
    | grep -o 'bench-reader: .*' >>"$OUT"
done
echo "When: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $RUNS runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$OUT" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, label, ms = line.rstrip("\n").split(": ")
    rows.setdefault(label, []).append(float(ms.split()[0]))
ref_label = "reference (the working copy alone)"
ref = statistics.median(rows.pop(ref_label))
def fmt(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"
print(f"| copy tried first | time to the genuine newest copy (median) | ratio to the reference ({fmt(ref)}) |")
print("|---|---|---|")
for label, ms in rows.items():
    m = statistics.median(ms)
    print(f"| {label} | {fmt(m)} | {m / ref:.1f} |")
PY
