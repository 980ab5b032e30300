#!/usr/bin/env bash
# The README's run command: provisions what is missing, then `steward dev`
# (Temporal dev server + UI, broker, migrations, gateway + intake + worker).
# A fresh machine builds the broker and Steward side by side.
source "$(dirname "$0")/lib.sh"
cd "$STEWARD_ROOT"
STEWARD_PROVISION_TESTS=0 "$STEWARD_ROOT/scripts/provision.sh" --except-broker
start_broker_build
cargo build --locked --profile fast --bin steward
wait_for_broker
exec "$CARGO_TARGET_DIR/fast/steward" dev "$@"
