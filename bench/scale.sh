#!/usr/bin/env bash
# Scaling benchmark (issue 17): how the everyday paths grow with the archive,
# every size in one run, side by side, Hugo beside the full export.
#
#   bench/scale.sh [--erkin BIN] [--sizes "1000 10000 100000"] [--work DIR]
#                  [--hugo-up-to N] [--hugo-timeout S] [--deadline EPOCH]
#                  [--fresh-fs]
#
# For each size N of the generated corpus (../shared/bench/gen_corpus.py
# --hugo; generated once into WORK/corpus-N and kept), under GNU time
# (`/usr/bin/time`, Debian package `time`) so each command's wall time, peak
# memory (max RSS) and CPU are its own:
#
#   import          `erkin import` of the corpus into a fresh publication
#   export          full `erkin export` into a fresh folder (files written)
#   hugo            Hugo building the same Markdown files (`hugo -s CORPUS`),
#                   last for each size, under `timeout --hugo-timeout`
#                   (default 600 s; with --deadline, ending a minute before
#                   it; above --hugo-up-to, default 10000, skipped when that
#                   leaves less than 30 s)
#   export +1       `erkin publish` of one new article, dated when it is
#                   published (a newsroom's everyday case; not timed), then
#                   `erkin export` into the same folder (files written)
#   export +1 back  the same with an article dated two years back (its
#                   pages are deep in its lists)
#   export +0       `erkin export` again with nothing new
#   batch 1000      `erkin batch` of 1,000 statements (one process); then
#                   the copy is brought up to date (not timed)
#   export +1 later one new article then `erkin export`, as export +1, but
#                   with the log run on past the import's snapshot (what
#                   every later open folds: the entries since the stored one)
#   statement later one local statement then, as statement
#   statement       one local `erkin statement` (two key derivations, at the
#                   work factor 10 every key here is made with: about 1 MiB
#                   and a millisecond each, so the figure is the action's own;
#                   at erkin's fixed 2^18 each adds 256 MiB and ~0.5 s)
#   serve first     `erkin serve` started on the data directory for the first
#                   time: it renders its copy (DIR/site) before the first page;
#                   how long that first answer took (waiting up to 300 s) and
#                   VmHWM from /proc
#   serve RSS       `erkin serve` restarted on its current copy (nothing to
#                   render): how long its first answer took, and VmRSS then
#   mirror first    a mirror's first sync, from the data directory (--no-site)
#   mirror +1       one statement, then the mirror's sync from the running
#                   server over loopback HTTP (--no-site): requests and body
#                   bytes from `erkin mirror --json`
#   verify          `erkin verify` of the data directory, and of the export;
#                   `verify --deep` (the refold checked against the snapshot)
#
# Then one table per figure with a column per size and the growth factor
# between sizes, and the goals of issue 17 judged on the largest size.
# Figures, never assertions: nothing here is a test. Raw rows go to
# WORK/results.tsv (metric, N, wall s, peak MiB, CPU s, extra), written as
# they are measured, so an interrupted run keeps what it finished.
# --deadline (Unix seconds) shortens Hugo's timeout so the run ends by then.
# --fresh-fs (root only): the full export's folder (kept mounted for the
# size's later steps) and Hugo's are each a new ext4 filesystem (a file of
# WORK, a loop device with direct I/O), so neither build pays for inodes
# other processes deleted shortly before (see `discard` below and
# bench/export-vs-hugo.sh).
set -euo pipefail

ERKIN=${ERKIN:-target/release/erkin}
SIZES="1000 10000 100000"
WORK=${TMPDIR:-/tmp}/erkin-scale
HUGO_UP_TO=10000
HUGO_TIMEOUT=600
DEADLINE=0
FRESH_FS=
while [ $# -gt 0 ]; do
  case "$1" in
    --erkin) ERKIN=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --hugo-up-to) HUGO_UP_TO=$2; shift 2 ;;
    --hugo-timeout) HUGO_TIMEOUT=$2; shift 2 ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    --fresh-fs) FRESH_FS=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ERKIN=$(realpath "$ERKIN")
if [ -n "$FRESH_FS" ] && { [ "$(id -u)" -ne 0 ] || ! command -v losetup > /dev/null; }; then
  echo "--fresh-fs needs root and losetup" >&2
  exit 2
fi
GEN=$(realpath "$(dirname "$0")/../../shared/bench/gen_corpus.py")
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
command -v curl > /dev/null || { echo "needs curl" >&2; exit 2; }
HUGO=$(command -v hugo || true)
[ -n "$HUGO" ] || echo "hugo not found (apt-get install hugo): its column stays empty" >&2
export ERKIN_PASSPHRASE=bench-passphrase ERKIN_SCRYPT_WORK_FACTOR=10
unset ERKIN_DIR ERKIN_SERVER
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
echo "bench/scale.sh: sizes $SIZES; erkin $ERKIN;${FRESH_FS:+ export and Hugo each into a new ext4 filesystem;} checkout $(git -C "$(dirname "$0")" rev-parse --short HEAD 2> /dev/null || echo '?');" \
  "started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
SERVE_PID=

cleanup() {
  [ -z "$SERVE_PID" ] || kill "$SERVE_PID" 2> /dev/null || true
  for m in "${MOUNTED[@]}"; do unmount_fresh "$m"; done
  rm -rf "$WORK/.discarded"
}

# mount_fresh DIR: a new ext4 filesystem at DIR, large enough for a build of
# the current size ($n), on a loop device with direct I/O (writes reach the
# disk, not only the host's page cache). unmount_fresh DIR undoes it.
MOUNTED=()
mount_fresh() {
  local img="$WORK/.images/$(basename "$(dirname "$1")")-$(basename "$1").img" loop
  mkdir -p "$WORK/.images" "$1"
  rm -f "$img"
  truncate -s "$((n / 16 + 1024))M" "$img"
  mkfs.ext4 -q -F "$img"
  loop=$(losetup --direct-io=on --find --show "$img")
  mount "$loop" "$1"
  MOUNTED+=("$1")
}
unmount_fresh() {
  local loop
  loop=$(findmnt -n -o SOURCE "$1" 2> /dev/null) || return 0
  umount "$1" || { echo "could not unmount $1" >&2; return 0; }
  losetup -d "$loop" 2> /dev/null || true
  rm -rf "$1" "$WORK/.images/$(basename "$(dirname "$1")")-$(basename "$1").img"
}

# discard PATH: moves PATH aside (a rename), deleted when the run ends. On
# ext4 without a journal (this machine's /), creating a file skips every
# inode deleted in the last ~35 s and reads its inode-table block to find
# out: an export right after a copy's 23,000 (or 228,000) files were
# deleted paid for it, several times its own CPU (docs/BENCHMARKS.md, "Full
# export on both cores"). Nothing is deleted while something is timed.
discard() {
  [ -e "$1" ] || return 0
  mkdir -p "$WORK/.discarded"
  mv "$1" "$(mktemp -u "$WORK/.discarded/XXXXXXXX")"
}
trap cleanup EXIT

say() { echo "scale: $(date -u +%H:%M:%S) $*" >&2; }

# record METRIC N WALL PEAK_MIB CPU [EXTRA]
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >> "$RESULTS"; }

# measure METRIC N CMD...: runs CMD under GNU time (stdout kept in
# $WORK/out.txt) and records its wall time, peak memory and CPU. Returns
# the command's status (a failure is recorded as such).
measure() {
  local metric=$1 n=$2; shift 2
  local t="$WORK/time.txt" status=0
  /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || status=$?
  if [ "$status" -ne 0 ]; then
    say "$metric at $n FAILED ($status): $(grep -v '^Command exited' "$WORK/err.txt" | tail -2 | tr '\n' ' ')"
    if [ "$status" -eq 124 ]; then
      record "$metric" "$n" "TIMED OUT" "" "" "${EXTRA:-}"
    else
      record "$metric" "$n" FAILED "" "" "exit $status"
    fi
    return "$status"
  fi
  read -r wall kb user sys < <(tail -1 "$t")
  record "$metric" "$n" "$wall" $((kb / 1024)) "$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')" "${EXTRA:-}"
  say "$metric at $n: ${wall} s, $((kb / 1024)) MiB"
}

# A field of the JSON object in $WORK/out.txt (numbers only).
json_field() { grep -o "\"$1\": *[0-9]*" "$WORK/out.txt" | head -1 | grep -o '[0-9]*$'; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for n in $SIZES; do
  d="$WORK/$n"
  discard "$d"; mkdir -p "$d"
  corpus="$WORK/corpus-$n"
  if [ ! -f "$corpus/hugo.toml" ] && [ ! -f "$corpus/config.toml" ]; then
    say "generating the corpus of $n articles (not timed)"
    rm -rf "$corpus"
    python3 "$GEN" --n "$n" --hugo --out "$corpus" > /dev/null
  fi
  vkey=$("$ERKIN" key new --name editor --out "$d/editor.key" 2> /dev/null)
  logkey=$("$ERKIN" --dir "$d/data" init --origin bench.example/news --name Bench --founder "$vkey" 2> /dev/null)

  measure import "$n" "$ERKIN" --dir "$d/data" import --key "$d/editor.key" "$corpus/content" || continue

  # Full export, after a sync so it does not pay for earlier dirty pages.
  [ -z "$FRESH_FS" ] || mount_fresh "$d/site"
  sync
  EXTRA= measure export "$n" "$ERKIN" --dir "$d/data" export --json "$d/site" &&
    sed -i "\$s/\$/files $(json_field written)/" "$RESULTS"

  # export_one METRIC NAME TITLE DATE: one article (the corpus's first,
  # its slug scale-NAME-N, its title TITLE, dated DATE or, if empty, when
  # published; not timed), then the export into the same folder, measured.
  export_one() {
    local article="$d/$2-article.md" date=()
    if [ -n "$4" ]; then date=(-e "s/^date: .*/date: $4/"); else date=(-e '/^date: /d'); fi
    sed -e "s/^slug: .*/slug: scale-$2-$n/" -e "s/^title: .*/title: \"$3\"/" "${date[@]}" \
      "$(find "$corpus/content" -name '*.md' | head -1)" > "$article"
    "$ERKIN" --dir "$d/data" publish --key "$d/editor.key" "$article" > /dev/null 2>&1
    sync
    measure "$1" "$n" "$ERKIN" --dir "$d/data" export --json "$d/site" &&
      sed -i "\$s/\$/files $(json_field written)/" "$RESULTS"
  }

  # One new article, dated when published, then the export into the same
  # folder; then one dated years back.
  export_one "export +1" new "One new article" ""
  export_one "export +1 back" back "One article dated back" "$(date -u -d '2 years ago' +%Y-%m-%dT%H:%M:%SZ)"
  measure "export +0" "$n" "$ERKIN" --dir "$d/data" export --json "$d/site" &&
    sed -i "\$s/\$/files $(json_field written)/" "$RESULTS"

  EXTRA="2 derivations at 2^10" measure statement "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "one more" || true

  # Later: a newsroom's log runs on past the import's snapshot. A batch of
  # 1,000 statements (one process, each key opened once), the copy brought
  # up to date (not timed), then one new article and the export, and one
  # statement: what every later open pays for the entries folded since the
  # stored snapshot (a snapshot is stored every SNAPSHOT_EVERY entries or
  # so, erkin-store's `snapshot_due`).
  batch="$d/batch-1000"
  for i in $(seq 1 1000); do echo "statement \"later $i\""; done > "$batch"
  measure "batch 1000" "$n" "$ERKIN" --dir "$d/data" batch --key "$d/editor.key" "$batch" || true
  "$ERKIN" --dir "$d/data" export "$d/site" > /dev/null 2>&1
  export_one "export +1 later" later "One article later" ""
  EXTRA="2 derivations at 2^10" measure "statement later" "$n" "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "one more, later" || true

  # The server, twice: first on a data directory it has never served (it
  # renders its copy, DIR/site, before the first page: "serve first", its
  # memory the high-water mark), then restarted on that current copy
  # ("serve RSS": nothing to render; VmRSS once it answers). The second
  # one stays up for the mirror's sync.
  start_serve() {
    port=$(free_port)
    started=$(date +%s.%N)
    "$ERKIN" serve --dir "$d/data" --listen "127.0.0.1:$port" --quiet > "$d/serve.log" 2>&1 &
    SERVE_PID=$!
    answered=
    until_s=$(($(date +%s) + 300))
    while [ "$(date +%s)" -lt "$until_s" ]; do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then answered=1; break; fi
      kill -0 "$SERVE_PID" 2> /dev/null || break
      sleep 0.1
    done
    if [ -n "$answered" ]; then
      ready=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
      rss=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$SERVE_PID/status")
      hwm=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$SERVE_PID/status")
      if [ "$1" = "serve first" ]; then shown=$hwm; else shown=$rss; fi
      record "$1" "$n" "$ready" "$shown" "" "first answer after $ready s; VmRSS $rss MiB, VmHWM $hwm MiB"
      say "$1 at $n: answered after $ready s, VmRSS $rss MiB (VmHWM $hwm MiB)"
    else
      record "$1" "$n" FAILED "" "" "$(tail -1 "$d/serve.log")"
    fi
  }
  start_serve "serve first"
  kill "$SERVE_PID" 2> /dev/null || true
  wait "$SERVE_PID" 2> /dev/null || true
  start_serve "serve RSS"

  # A mirror: its first sync from the directory, then one new entry and the
  # incremental sync over HTTP from the server.
  measure "mirror first" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --key "$logkey" --no-site --json || true
  "$ERKIN" --dir "$d/data" statement --key "$d/editor.key" "for the mirror" > /dev/null 2>&1
  if [ -n "$answered" ]; then
    EXTRA="HTTP: " measure "mirror +1" "$n" "$ERKIN" mirror "http://127.0.0.1:$port/" --into "$d/mirror" --no-site --json &&
      sed -i "\$s/\$/$(json_field requests) requests, $(json_field bytes) bytes, $(json_field old_size) -> $(json_field new_size)/" "$RESULTS"
  else
    # The server did not answer in time: the sync from the directory (no
    # requests to count).
    EXTRA="from the directory (the server did not answer): " measure "mirror +1" "$n" "$ERKIN" mirror "$d/data" --into "$d/mirror" --no-site --json &&
      sed -i "\$s/\$/$(json_field old_size) -> $(json_field new_size)/" "$RESULTS"
  fi
  kill "$SERVE_PID" 2> /dev/null || true
  wait "$SERVE_PID" 2> /dev/null || true
  SERVE_PID=

  measure "verify data" "$n" "$ERKIN" verify "$d/data" --key "$logkey" || true
  measure "verify export" "$n" "$ERKIN" verify "$d/site" --key "$logkey" || true
  measure "verify --deep" "$n" "$ERKIN" verify "$d/data" --key "$logkey" --deep || true
  discard "$d/mirror"

  # Hugo on the same files, last (at 100,000 it may take the rest of the
  # time): under `timeout`, shortened to end a minute before --deadline.
  # --buildFuture: the corpus dates its articles 3 hours apart from 2020, so
  # above about 20,000 most are in the future, which Hugo skips by default
  # (erkin publishes them all, dated no later than now).
  if [ -n "$HUGO" ]; then
    limit=$HUGO_TIMEOUT
    if [ "$DEADLINE" -gt 0 ]; then
      left=$((DEADLINE - $(date +%s) - 60))
      [ "$left" -lt "$limit" ] && limit=$left
    fi
    if [ "$n" -le "$HUGO_UP_TO" ] || [ "$limit" -gt 30 ]; then
      [ -z "$FRESH_FS" ] || mount_fresh "$d/hugo-out"
      sync
      EXTRA="timeout ${limit}s" measure hugo "$n" timeout "$limit" "$HUGO" --quiet --buildFuture -s "$corpus" -d "$d/hugo-out" || true
      if [ -n "$FRESH_FS" ]; then unmount_fresh "$d/hugo-out"; else discard "$d/hugo-out"; fi
    else
      record hugo "$n" SKIPPED "" "" "no time left before the deadline"
    fi
  fi
  [ -z "$FRESH_FS" ] || unmount_fresh "$d/site"
done

# ---------------------------------------------------------------------------
# The report: one table per figure, a column per size, growth between sizes.

sizes=($SIZES)
get() { # get METRIC N FIELD(3 wall, 4 peak, 5 cpu, 6 extra)
  awk -F'\t' -v m="$1" -v n="$2" -v f="$3" '$1 == m && $2 == n {v = $f} END {print v}' "$RESULTS"
}
growth() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1f×", b / a; else printf "—" }'; }

table() { # table TITLE FIELD UNIT METRIC...
  local title=$1 field=$2 unit=$3; shift 3
  local head="| $title |" rule="|---|"
  for n in "${sizes[@]}"; do head="$head $n |"; rule="$rule---|"; done
  for ((i = 1; i < ${#sizes[@]}; i++)); do head="$head growth ${sizes[i-1]} → ${sizes[i]} |"; rule="$rule---|"; done
  echo; echo "$head"; echo "$rule"
  for m in "$@"; do
    local row="| $m |" prev= v
    local vals=()
    for n in "${sizes[@]}"; do
      v=$(get "$m" "$n" "$field")
      vals+=("$v")
      row="$row ${v:-—}${v:+ $unit} |"
    done
    for ((i = 1; i < ${#vals[@]}; i++)); do row="$row $(growth "${vals[i-1]}" "${vals[i]}") |"; done
    echo "$row"
  done
}

metrics=(import export hugo "export +1" "export +1 back" "export +0" statement "batch 1000" "export +1 later" "statement later" "serve first" "serve RSS" "mirror first" "mirror +1" "verify data" "verify export" "verify --deep")
echo
echo "erkin: $ERKIN ($("$ERKIN" --version)); ended $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
table "wall time" 3 s "${metrics[@]}"
table "peak memory (max RSS; serve first: VmHWM, serve RSS: VmRSS after its first answer)" 4 MiB "${metrics[@]}"
table "CPU (user + system)" 5 s import export hugo "export +1" "export +1 back" "export +0" statement "batch 1000" "export +1 later" "statement later" "mirror first" "mirror +1" "verify data" "verify export" "verify --deep"
echo
echo "| what | $(printf '%s | ' "${sizes[@]}")"
echo "|---|$(printf -- '---|%.0s' "${sizes[@]}")"
for m in export hugo "export +1" "export +1 back" "export +0" statement "export +1 later" "statement later" "serve first" "serve RSS" "mirror +1"; do
  row="| $m: details |"
  for n in "${sizes[@]}"; do row="$row $(get "$m" "$n" 6) |"; done
  echo "$row"
done
row="| full export / Hugo (wall) |"
for n in "${sizes[@]}"; do
  row="$row $(awk -v a="$(get export "$n" 3)" -v b="$(get hugo "$n" 3)" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "—" }') |"
done
echo "$row"

# The goals of issue 17, on the largest size measured (and 10,000 for Hugo).
big=${sizes[-1]}
echo
echo "Goals of issue 17 at $big articles:"
judge() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v == "" || v == "FAILED") print "not measured"; else if (v + 0 <= lim + 0) print "met"; else print "NOT met" }'; }
# The slower of right after the import and later (entries folded since
# the stored snapshot).
slower() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "FAILED" || b == "" || b == "FAILED") print ""; else if (a + 0 >= b + 0) print a; else print b }'; }
inc=$(slower "$(get "export +1" "$big" 3)" "$(get "export +1 later" "$big" 3)")
echo "- incremental export of one article <= 50 ms (export +1, export +1 later: the slower): ${inc:-—} s: $(judge "$inc" 0.05)"
st=$(slower "$(get statement "$big" 3)" "$(get "statement later" "$big" 3)")
echo "- a local action <= 100 ms plus key derivation (statement, statement later: the slower): ${st:-—} s: $(judge "$st" 0.1)"
worst=$(awk -F'\t' -v n="$big" '$2 == n && $1 != "hugo" && $4 != "" && $4 + 0 > w {w = $4 + 0; m = $1} END {if (m != "") print w "\t" m}' "$RESULTS")
echo "- peak memory of every command <= 250 MB (238 MiB): the largest is ${worst%%$'\t'*} MiB (${worst#*$'\t'}): $(judge "${worst%%$'\t'*}" 238)"
ratio=$(awk -v a="$(get export 10000 3)" -v b="$(get hugo 10000 3)" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b }')
echo "- full export of 10,000 articles <= 1/5 of Hugo's time: ${ratio:-—}: $(judge "$ratio" 0.2)"
