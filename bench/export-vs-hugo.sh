#!/usr/bin/env bash
# Full export beside Hugo (issue 17's goal: a full export of 10,000 articles
# in at most 1/5 of Hugo's time), in alternating rounds, on two kinds of
# filesystem:
#
#   bench/export-vs-hugo.sh [--erkin BIN] [--size 10000] [--rounds 3]
#                           [--work DIR] [--fs fresh,shared]
#
# Both build the same generated corpus: erkin exports the publication
# bench/scale.sh imported (WORK/N/data; made here the same way if missing),
# Hugo builds its Markdown files (WORK/corpus-N, `hugo --buildFuture`).
# Each round runs both, the order flipped every round (erkin, Hugo; Hugo,
# erkin), each into a folder of its own that nothing has written to, with
# the disk flushed (`sync`) before each. Each side is timed by GNU time
# (wall, user + system CPU, peak memory).
#
# The filesystems (--fs):
#
#   fresh   a new ext4 filesystem for every build: a file of WORK made into
#           ext4 (`mkfs.ext4`, its defaults, journal included) and mounted
#           through a loop device with direct I/O (`losetup --direct-io=on`),
#           so what a build writes and what erkin's `syncfs` waits for goes
#           to the disk, not only into the host's page cache. Needs root;
#           without it this part is skipped, loudly.
#   shared  WORK's own filesystem, as bench/scale.sh measures. Its result
#           depends on what else the machine has done: ext4 skips the inode
#           slots of files deleted in the last minutes, and reads each
#           one's inode-table block to find that out, so a build that makes
#           tens of thousands of files soon after others were deleted pays
#           for every one of them in kernel time (docs/BENCHMARKS.md,
#           "Import + render and incremental export, beside Hugo"). Output
#           folders are moved aside, deleted when the run ends.
#
# Prints a Markdown table per filesystem on stdout: medians, spread
# (lowest–highest) and the ratio of medians (progress on stderr). Figures,
# never assertions: nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."

ERKIN=target/release/erkin
SIZE=10000
ROUNDS=3
WORK=${TMPDIR:-/tmp}/erkin-scale
FS=fresh,shared
while [ $# -gt 0 ]; do
  case "$1" in
    --erkin) ERKIN=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --fs) FS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
ERKIN=$(realpath "$ERKIN")
GEN=$(realpath ../shared/bench/gen_corpus.py)
HUGO=$(command -v hugo || true)
[ -n "$HUGO" ] || { echo "needs hugo (apt-get install hugo)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
export ERKIN_PASSPHRASE=bench-passphrase ERKIN_SCRYPT_WORK_FACTOR=10
unset ERKIN_DIR ERKIN_SERVER
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
say() { echo "export-vs-hugo: $(date -u +%H:%M:%S) $*" >&2; }

corpus="$WORK/corpus-$SIZE"
data="$WORK/$SIZE/data"
if [ ! -f "$corpus/hugo.toml" ] && [ ! -f "$corpus/config.toml" ]; then
  say "generating the corpus of $SIZE articles (not timed)"
  rm -rf "$corpus"
  python3 "$GEN" --n "$SIZE" --hugo --out "$corpus" > /dev/null
fi
if [ ! -f "$data/erkin.sqlite" ]; then
  say "importing the corpus (not timed)"
  rm -rf "$WORK/$SIZE"
  mkdir -p "$WORK/$SIZE"
  vkey=$("$ERKIN" key new --name editor --out "$WORK/$SIZE/editor.key" 2> /dev/null)
  "$ERKIN" --dir "$data" init --origin bench.example/news --name Bench --founder "$vkey" > /dev/null 2>&1
  "$ERKIN" --dir "$data" import --key "$WORK/$SIZE/editor.key" "$corpus/content" > /dev/null
fi

SCRATCH=$(mktemp -d "$WORK/export-vs-hugo.XXXXXX")
MNT=
LOOP=
cleanup() {
  if [ -n "$MNT" ]; then umount "$MNT" 2> /dev/null || true; fi
  if [ -n "$LOOP" ]; then losetup -d "$LOOP" 2> /dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# An image large enough for either build's output: about 30 KiB of the
# export per article, with room to spare.
IMAGE_MIB=$((SIZE / 16 + 1024))

# fresh_fs: a new ext4 filesystem mounted at $MNT.
fresh_fs() {
  rm -f "$SCRATCH/fs.img"
  truncate -s "${IMAGE_MIB}M" "$SCRATCH/fs.img"
  mkfs.ext4 -q -F "$SCRATCH/fs.img"
  LOOP=$(losetup --direct-io=on --find --show "$SCRATCH/fs.img")
  MNT="$SCRATCH/mnt"
  mkdir -p "$MNT"
  mount "$LOOP" "$MNT"
}

drop_fs() {
  umount "$MNT"
  MNT=
  losetup -d "$LOOP"
  LOOP=
  rm -f "$SCRATCH/fs.img"
}

# build SIDE OUT: one timed build into OUT; appends "wall cpu peak_mib" to
# $SCRATCH/SIDE.
build() {
  local side=$1 out=$2 t="$SCRATCH/time.txt"
  sync
  case "$side" in
    erkin) /usr/bin/time -f '%e %U %S %M' -o "$t" "$ERKIN" --dir "$data" export "$out" > /dev/null 2>&1 ;;
    hugo) /usr/bin/time -f '%e %U %S %M' -o "$t" "$HUGO" --quiet --buildFuture -s "$corpus" -d "$out" > /dev/null ;;
  esac
  read -r wall user sys kb < <(tail -1 "$t")
  local files
  files=$(find "$out" -type f | wc -l)
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') $((kb / 1024)) $files" >> "$SCRATCH/$side.$mode"
  say "$mode round $round $side: ${wall} s wall, $user s user, $sys s system, $((kb / 1024)) MiB, $files files"
}

# median/min/max of column COL of FILE.
stat_col() {
  sort -g -k"$2","$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", m, v[1], v[NR] }'
}

echo "bench/export-vs-hugo.sh: $SIZE articles, $ROUNDS rounds; erkin $ERKIN;" \
  "checkout $(git rev-parse --short HEAD 2> /dev/null || echo '?'); $($HUGO version | cut -d' ' -f1-2);" \
  "started $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for mode in ${FS//,/ }; do
  if [ "$mode" = fresh ] && { [ "$(id -u)" -ne 0 ] || ! command -v losetup > /dev/null; }; then
    echo "SKIPPED: the fresh filesystem needs root and losetup" | tee /dev/stderr
    continue
  fi
  : > "$SCRATCH/erkin.$mode"
  : > "$SCRATCH/hugo.$mode"
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="erkin hugo"; else order="hugo erkin"; fi
    for side in $order; do
      if [ "$mode" = fresh ]; then
        fresh_fs
        build "$side" "$MNT/out"
        drop_fs
      else
        build "$side" "$WORK/$SIZE/vs-$side-$round"
        mkdir -p "$SCRATCH/discarded"
        mv "$WORK/$SIZE/vs-$side-$round" "$SCRATCH/discarded/$side-$round"
      fi
    done
  done
  read -r ew ewmin ewmax < <(stat_col "$SCRATCH/erkin.$mode" 1)
  read -r hw hwmin hwmax < <(stat_col "$SCRATCH/hugo.$mode" 1)
  read -r ec eclo echi < <(stat_col "$SCRATCH/erkin.$mode" 2)
  read -r hc hclo hchi < <(stat_col "$SCRATCH/hugo.$mode" 2)
  read -r em _ _ < <(stat_col "$SCRATCH/erkin.$mode" 3)
  read -r hm _ _ < <(stat_col "$SCRATCH/hugo.$mode" 3)
  read -r ef _ _ < <(stat_col "$SCRATCH/erkin.$mode" 4)
  read -r hf _ _ < <(stat_col "$SCRATCH/hugo.$mode" 4)
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  if [ "$mode" = fresh ]; then
    echo "A new ext4 filesystem for every build (loop device, direct I/O), finished at $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg):"
  else
    echo "WORK's own filesystem ($(df --output=fstype "$WORK" | tail -1)), finished at $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg):"
  fi
  echo
  echo "| $SIZE articles | erkin export | Hugo | erkin / Hugo |"
  echo "|---|---|---|---|"
  echo "| wall time: median (spread) | $ew s ($ewmin–$ewmax) | $hw s ($hwmin–$hwmax) | **$(ratio "$ew" "$hw")** |"
  echo "| CPU, user + system: median (spread) | $ec s ($eclo–$echi) | $hc s ($hclo–$hchi) | $(ratio "$ec" "$hc") |"
  echo "| peak memory | $em MiB | $hm MiB | $(ratio "$em" "$hm") |"
  echo "| files written | $ef | $hf | — |"
  echo
done
