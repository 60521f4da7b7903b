#!/usr/bin/env bash
# Costs as the log runs on past the stored snapshot (issue 17): one new
# article then `erkin export`, and one `erkin statement`, after N entries
# folded since the import's snapshot.
#
#   bench/steady.sh --erkin BIN --from DIR --key KEY --article MD [--sizes "0 1000 4000 8000"]
#
# DIR holds a data directory (DIR/data, e.g. bench/scale.sh's WORK/100000
# after its run) and its export (DIR/site); KEY is an editor's key file;
# MD a Markdown article to publish (its slug and date are replaced). For
# each N: DIR copied aside, one statement (a snapshot of another format is
# rebuilt then), a batch of N statements (`erkin batch`, one process), the
# export brought up to date; then three times one new article dated now and
# the export timed, then three statements timed (wall time from the shell,
# in ms, each a new process). The copy is deleted after. Figures, never
# assertions.
set -euo pipefail
ERKIN=target/release/erkin FROM= KEY= ARTICLE= SIZES="0 1000 4000 8000"
while [ $# -gt 0 ]; do
  case "$1" in
    --erkin) ERKIN=$2; shift 2 ;;
    --from) FROM=$2; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --article) ARTICLE=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$FROM/data" ] && [ -f "$KEY" ] && [ -f "$ARTICLE" ] || { echo "needs --from DIR (with data/ and site/), --key and --article" >&2; exit 2; }
export ERKIN_PASSPHRASE=${ERKIN_PASSPHRASE:-bench-passphrase} ERKIN_SCRYPT_WORK_FACTOR=${ERKIN_SCRYPT_WORK_FACTOR:-10}
ms() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| entries since the snapshot | export +1 (ms) | statement (ms) | stored snapshot | log |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
  d="$work/copy-$n"
  cp -a "$FROM" "$d"
  "$ERKIN" --dir "$d/data" statement --key "$KEY" "warm" > /dev/null 2>&1
  if [ "$n" -gt 0 ]; then
    for i in $(seq 1 "$n"); do echo "statement \"steady $i\""; done > "$work/batch"
    "$ERKIN" --dir "$d/data" batch --key "$KEY" "$work/batch" > /dev/null 2>&1
  fi
  "$ERKIN" --dir "$d/data" export "$d/site" > /dev/null 2>&1
  ex= st=
  for r in 1 2 3; do
    sed -e "s/^slug: .*/slug: steady-$n-$r/" -e '/^date: /d' "$ARTICLE" > "$work/one.md"
    "$ERKIN" --dir "$d/data" publish --key "$KEY" "$work/one.md" > /dev/null 2>&1
    ex="$ex $(ms "$ERKIN" --dir "$d/data" export "$d/site")"
  done
  for r in 1 2 3; do st="$st $(ms "$ERKIN" --dir "$d/data" statement --key "$KEY" "steady $r")"; done
  at=$(sqlite3 "$d/data/erkin.sqlite" 'SELECT size FROM state_snapshot')
  last=$("$ERKIN" --dir "$d/data" log 2> /dev/null | tail -1 | awk '{print $1}')
  echo "| $n |$ex |$st | $at | $last |"
  rm -rf "$d"
done
