#!/usr/bin/env bash
# Server crash soak: 200 rounds of SIGKILL-while-submitting (the suite runs 20).
# Each round starts `erkin serve --sequence`, has several members submit signed
# statements over HTTP, kills the server at a random moment, then checks every
# acknowledged entry is in the log exactly once at its receipt's index and that
# the data directory verifies; the next round restarts on the same directory.
#   bench/soak-server-crash.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ERKIN_CRASH_ROUNDS="${1:-200}" cargo test --release -p erkin --test suite \
  -- --exact crash_server::sigkill_while_submitting_loses_nothing_acknowledged --nocapture
