#!/usr/bin/env bash
# The source inbox's cost (issue 18): one tip of SIZE MiB (random bytes, so
# nothing compresses) sent as a browser would (curl -F, multipart) to
# `erkin serve --sequence` on loopback, sealed to two tip readers — beside
# the Debian `age` CLI encrypting the same file to the same two recipients
# (the reference: encryption alone, no HTTP, no padding, no fsync).
#
#   bench/tips.sh [--erkin target/release/erkin] [--size 100] [--runs 3]
#
# Prints a Markdown table: median wall seconds of each, the ratio, and the
# server's peak resident memory (VmHWM) after the runs.
set -euo pipefail
ERKIN=target/release/erkin
SIZE=100
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --erkin) ERKIN=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--erkin BIN] [--size MiB] [--runs N]" >&2; exit 2 ;;
  esac
done
ERKIN=$(realpath "$ERKIN")
export ERKIN_PASSPHRASE="benchmark passphrase" ERKIN_SCRYPT_WORK_FACTOR=10
W=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$W"' EXIT
cd "$W"
A=$("$ERKIN" --dir none key new --out a.key --name alice)
B=$("$ERKIN" --dir none key new --out b.key --name bob)
"$ERKIN" --dir news init --origin bench.example --name Bench --founder "$A" --founder "$B" >/dev/null
PORT=$((20000 + RANDOM % 20000))
"$ERKIN" --dir news serve --sequence --quiet --listen 127.0.0.1:$PORT 2>serve.log &
SERVER=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/checkpoint" >/dev/null && break; sleep 0.1; done
act() { "$ERKIN" --server "$URL" --dir "copy-$1" "${@:2}"; }
ID=$(act a propose --key a.key --title Readers tip-readers alice bob)
act a vote "$ID" yes --key a.key >/dev/null
act b vote "$ID" yes --key b.key >/dev/null
act a close "$ID" --key a.key >/dev/null
age-keygen -o a.id 2>/dev/null; age-keygen -o b.id 2>/dev/null
RA=$(age-keygen -y a.id); RB=$(age-keygen -y b.id)
"$ERKIN" tips publish --server "$URL" --dir copy-a --key a.key --recipient "$RA" >/dev/null
"$ERKIN" tips publish --server "$URL" --dir copy-b --key b.key --recipient "$RB" >/dev/null
for _ in $(seq 100); do curl -sf "$URL/tips/en/" | grep -q "$RB" && break; sleep 0.1; done
head -c $((SIZE * 1024 * 1024 - 4096)) /dev/urandom > doc.bin

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
ref=$(for _ in $(seq "$RUNS"); do secs age -r "$RA" -r "$RB" -o age.out doc.bin; done | median)
tip=$(for _ in $(seq "$RUNS"); do
  secs sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -F message=hello -F file=@doc.bin $URL/tips/en/submit)\" = 200"
done | median)
stored=$(ls news/tips/*.age | head -1 | xargs stat -c %s)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
printf '| what | median s (%s runs) |\n|---|---|\n' "$RUNS"
printf '| age CLI, %s MiB to 2 recipients | %.2f |\n' "$SIZE" "$ref"
printf '| erkin tip, %s MiB via multipart to /tips/ (sealed, padded to %s bytes, fsync) | %.2f |\n' "$SIZE" "$stored" "$tip"
printf '| ratio erkin / age | %.2f |\n' "$(echo "$tip / $ref" | bc -l)"
printf '| server peak memory (VmHWM) | %s MiB |\n' "$((hwm / 1024))"
