#!/usr/bin/env bash
# Scaling benchmark (issue 17): how the everyday paths grow with the archive.
#
#   bench/scale.sh [--erkin BIN] [--sizes "1000 10000"] [--work DIR] [--export-up-to N]
#
# For each size N of the generated corpus (../shared/bench/gen_corpus.py),
# with GNU time (`/usr/bin/time -v`, Debian package `time`): `erkin import`
# (wall time, peak memory), `erkin statement` on the imported publication,
# the open of the publication (`erkin log --json | tail`), `erkin verify` of
# the data directory, a mirror's incremental sync of one new entry from a
# directory copy, and (up to --export-up-to, default 10000) a full `erkin
# export`. Keys are made at a work factor of 10 (ERKIN_SCRYPT_WORK_FACTOR),
# so the figures exclude key derivation (2^18 costs about 0.5 s and 256 MiB
# per derivation on its own). Prints one Markdown table row per command and
# size; nothing here is a test.
set -euo pipefail

ERKIN=${ERKIN:-target/release/erkin}
SIZES="1000 10000"
WORK=${TMPDIR:-/tmp}/erkin-scale
EXPORT_UP_TO=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --erkin) ERKIN=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --export-up-to) EXPORT_UP_TO=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ERKIN=$(realpath "$ERKIN")
GEN=$(realpath "$(dirname "$0")/../../shared/bench/gen_corpus.py")
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
export ERKIN_PASSPHRASE=bench-passphrase ERKIN_SCRYPT_WORK_FACTOR=10
mkdir -p "$WORK"

# measure LABEL N CMD...: runs CMD under GNU time, prints a table row.
measure() {
  local label=$1 n=$2; shift 2
  local t="$WORK/time.txt"
  if ! /usr/bin/time -v -o "$t" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt"; then
    echo "| $label | $n | FAILED: $(tail -1 "$WORK/err.txt") | | |"
    return
  fi
  local wall kb cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$t")
  printf '| %s | %s | %s | %d MiB | %s s |\n' "$label" "$n" "$wall" $((kb / 1024)) "$cpu"
}

echo "| command | articles | wall (m:ss) | peak memory (max RSS) | CPU (user+sys) |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
  d="$WORK/$n"
  rm -rf "$d"; mkdir -p "$d"
  [ -d "$WORK/corpus-$n" ] || python3 "$GEN" --n "$n" --out "$WORK/corpus-$n" > /dev/null
  vkey=$("$ERKIN" key new --name editor --out "$d/editor.key" 2>/dev/null)
  "$ERKIN" --dir "$d/data" init --origin bench.example/news --name Bench --founder "$vkey" > "$d/init.txt" 2>&1
  logkey=$(grep -o 'bench.example/news+[0-9a-f]*+[A-Za-z0-9+/=]*' "$d/init.txt" | head -1)
  measure "import" "$n" "$ERKIN" --dir "$d/data" import --key "$d/editor.key" "$WORK/corpus-$n/content"
  measure "statement (one local action)" "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "one more"
  measure "statement again" "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "and one more"
  measure "log --json (open + list)" "$n" "$ERKIN" --dir "$d/data" log --json
  if [ "$n" -le "$EXPORT_UP_TO" ]; then
    measure "export (full, fresh folder)" "$n" "$ERKIN" --dir "$d/data" export "$d/site"
  fi
  measure "verify (data directory)" "$n" "$ERKIN" verify "$d/data" --key "$logkey"
  # A mirror of the data directory (no site: rendering is measured by
  # export), then one new entry, then its sync.
  measure "mirror (first sync, directory, --no-site)" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --key "$logkey" --no-site
  "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "for the mirror" > /dev/null 2>&1
  measure "mirror sync of one new entry (directory, --no-site)" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --no-site
done
