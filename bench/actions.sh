#!/usr/bin/env bash
# Everyday actions on a large publication, two builds side by side
# (issue 17: "a local action <= 100 ms plus key derivation", "an export with
# nothing new does nothing measurable").
#
#   bench/actions.sh --data DIR --key KEY --article MD [--rounds 3] BIN...
#
# DIR is a data directory (with DIR/../site, an export of it, for the export
# rows: made by the first build if missing), KEY an editor's key file, MD a
# Markdown article whose `slug:` and `title:` lines are replaced by fresh
# ones each time. Every build runs, in turn, each round (the order rotated
# every round, so both see the same noise), on the same directory:
#
#   publish     `erkin publish` of a fresh article
#   export +1   `erkin export` of the copy (the new article's pages)
#   export +0   `erkin export` again, nothing new
#   statement   `erkin statement`
#   members     `erkin members`
#
# each under GNU time (wall, CPU user+system, peak RSS), keys at
# ERKIN_SCRYPT_WORK_FACTOR=10 (about a millisecond per key derivation, so
# the figure is the action's own). Prints one line per command and build
# with the median wall and CPU, their range, and the peak memory range;
# then the ratio of medians of each build to the first. Figures, never
# assertions. The entries each round appends stay in DIR.
set -euo pipefail

DATA=
KEY=
ARTICLE=
ROUNDS=3
BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --article) ARTICLE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) BINS+=("$1"); shift ;;
  esac
done
if [ -z "$DATA" ] || [ -z "$KEY" ] || [ -z "$ARTICLE" ] || [ ${#BINS[@]} -eq 0 ]; then
  echo "usage: bench/actions.sh --data DIR --key KEY --article MD [--rounds N] BIN..." >&2
  exit 2
fi
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
export ERKIN_PASSPHRASE=${ERKIN_PASSPHRASE:-bench-passphrase}
export ERKIN_SCRYPT_WORK_FACTOR=${ERKIN_SCRYPT_WORK_FACTOR:-10}
SITE=$(dirname "$DATA")/site
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RAW=$WORK/raw.tsv
: > "$RAW"

if [ ! -d "$SITE" ]; then
  echo "making $SITE with ${BINS[0]} (a whole export, not timed)" >&2
  "${BINS[0]}" --dir "$DATA" export --json "$SITE" > /dev/null
fi

# timed NAME BIN ARGS...: runs `BIN --dir DATA ARGS`, appends a raw row.
timed() {
  local name=$1 bin=$2; shift 2
  /usr/bin/time -o "$WORK/t" -f "%e %U %S %M" "$bin" --dir "$DATA" "$@" > "$WORK/out" 2> "$WORK/err" || {
    echo "$name failed with $bin:" >&2; cat "$WORK/err" >&2; exit 1; }
  read -r wall user sys kb < <(tail -1 "$WORK/t")
  echo -e "$name\t$bin\t$wall\t$(echo "$user + $sys" | bc)\t$((kb / 1024))" >> "$RAW"
}

n=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  # Rotate the order each round.
  order=("${BINS[@]:$(( (round - 1) % ${#BINS[@]} ))}" "${BINS[@]:0:$(( (round - 1) % ${#BINS[@]} ))}")
  for bin in "${order[@]}"; do
    n=$((n + 1))
    sed -e "s/^slug: .*/slug: bench-actions-$n/" -e "s/^title: .*/title: \"Bench $n\"/" \
      "$ARTICLE" > "$WORK/new-$n.md"
    timed publish "$bin" publish --key "$KEY" "$WORK/new-$n.md"
    sync
    timed "export +1" "$bin" export --json "$SITE"
    timed "export +0" "$bin" export --json "$SITE"
    timed statement "$bin" statement --key "$KEY" "bench $n"
    timed members "$bin" members
  done
done

python3 - "$RAW" "${BINS[@]}" <<'EOF'
import statistics, sys
raw, bins = sys.argv[1], sys.argv[2:]
rows = [l.rstrip("\n").split("\t") for l in open(raw)]
names = []
for r in rows:
    if r[0] not in names:
        names.append(r[0])
print("| command | build | wall median (range) | CPU median (range) | peak MiB | wall, CPU vs first |")
print("|---|---|---|---|---|---|")
for name in names:
    first = None
    for b in bins:
        sel = [r for r in rows if r[0] == name and r[1] == b]
        wall = [float(r[2]) for r in sel]
        cpu = [float(r[3]) for r in sel]
        mem = [int(r[4]) for r in sel]
        med = (statistics.median(wall), statistics.median(cpu))
        if first is None:
            first = med
        ratio = "/".join(f"{m / f:.2f}" if f else "-" for m, f in zip(med, first))
        print(f"| {name} | {b} | {med[0]:.3f} s ({min(wall):.2f}–{max(wall):.2f}) "
              f"| {med[1]:.3f} s ({min(cpu):.2f}–{max(cpu):.2f}) | {min(mem)}–{max(mem)} | {ratio} |")
EOF
