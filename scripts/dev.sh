#!/usr/bin/env bash
# The README's run command: provisions what is missing, then `steward dev`
# (Temporal dev server + UI, broker, migrations, gateway + intake + worker).
source "$(dirname "$0")/lib.sh"
cd "$STEWARD_ROOT"
"$STEWARD_ROOT/scripts/provision.sh"
cargo build --locked --bin steward
exec "$CARGO_TARGET_DIR/debug/steward" dev "$@"
