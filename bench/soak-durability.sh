#!/usr/bin/env bash
# Durability soak: 200 rounds of SIGKILL-while-appending (the suite runs 20).
# Each round kills the appender at a random moment, reopens the store, verifies
# it in full and checks every acknowledged entry is there.
#   bench/soak-durability.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ERKIN_DURABILITY_TRIALS="${1:-200}" cargo test --release -p erkin-store --test suite \
  -- --exact durability::sigkill_while_appending_loses_nothing_acknowledged --nocapture
