#!/usr/bin/env bash
# The persisted state's costs (issue 17 item 1), one binary at a time: the
# commands docs/BENCHMARKS.md's "Scaling with the archive" section measured
# before bench/scale.sh grew (as of commit 112d2d5), plus `verify --deep`,
# each under GNU time (`/usr/bin/time -v`): import of the generated corpus,
# `statement` twice, `log --json`, `verify` with and without `--deep`, a
# mirror's first sync and its sync of one new entry (--no-site), and the
# size of erkin.sqlite. Keys at ERKIN_SCRYPT_WORK_FACTOR=10 (no key
# derivation in the figures). Run it for the build before a change and the
# build after, one after the other; prints one Markdown row per command.
#
#   bench/scale-state.sh BIN LABEL "10000 100000" [WORK]
#
# The corpus of N articles is generated once into WORK/corpus-N
# (../shared/bench/gen_corpus.py). Figures, never assertions.
set -euo pipefail
ERKIN=$(realpath "$1"); LABEL=$2; SIZES=$3; WORK=${4:-${TMPDIR:-/tmp}/erkin-scale-state}
GEN=$(realpath "$(dirname "$0")/../../shared/bench/gen_corpus.py")
export ERKIN_PASSPHRASE=bench-passphrase ERKIN_SCRYPT_WORK_FACTOR=10
mkdir -p "$WORK/$LABEL"
measure() {
  local label=$1 n=$2; shift 2
  local t="$WORK/$LABEL/time.txt"
  if ! /usr/bin/time -v -o "$t" "$@" > "$WORK/$LABEL/out.txt" 2> "$WORK/$LABEL/err.txt"; then
    echo "| $LABEL | $label | $n | FAILED: $(tail -1 "$WORK/$LABEL/err.txt") | | |"; return
  fi
  local wall kb cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$t")
  printf '| %s | %s | %s | %s | %d MiB | %s s |\n' "$LABEL" "$label" "$n" "$wall" $((kb / 1024)) "$cpu"
}
for n in $SIZES; do
  [ -d "$WORK/corpus-$n" ] || python3 "$GEN" --n "$n" --out "$WORK/corpus-$n" > /dev/null
  d="$WORK/$LABEL/$n"; rm -rf "$d"; mkdir -p "$d"
  vkey=$("$ERKIN" key new --name editor --out "$d/editor.key" 2>/dev/null)
  "$ERKIN" --dir "$d/data" init --origin bench.example/news --name Bench --founder "$vkey" > "$d/init.txt" 2>&1
  logkey=$(grep -o 'bench.example/news+[0-9a-f]*+[A-Za-z0-9+/=]*' "$d/init.txt" | head -1)
  measure "import" "$n" "$ERKIN" --dir "$d/data" import --key "$d/editor.key" "$WORK/corpus-$n/content"
  measure "statement" "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "one more"
  measure "statement again" "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "and one more"
  measure "log --json" "$n" "$ERKIN" --dir "$d/data" log --json
  measure "verify (data directory)" "$n" "$ERKIN" verify "$d/data" --key "$logkey"
  measure "verify --deep" "$n" "$ERKIN" verify "$d/data" --key "$logkey" --deep
  measure "mirror first sync (--no-site)" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --key "$logkey" --no-site
  "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "for the mirror" > /dev/null 2>&1
  measure "mirror sync of one new entry (--no-site)" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --no-site
  du -sb "$d/data/erkin.sqlite" | awk -v l="$LABEL" -v n="$n" '{printf "| %s | erkin.sqlite bytes | %s | %s |\n", l, n, $1}'
done
