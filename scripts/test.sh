#!/usr/bin/env bash
# The README's test command (and all that .ci/run does): provisions what is
# missing, then formatting, lints, the layering rule, and every test against
# real Postgres, a real Kafka-compatible broker and a real Temporal server.
source "$(dirname "$0")/lib.sh"
cd "$STEWARD_ROOT"

"$STEWARD_ROOT/scripts/provision.sh" --except-broker
start_broker_build

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Workflow code must not be able to reach I/O: the deterministic crates may
# not depend on database, Kafka or HTTP client crates, even transitively.
log "layering: domain and workflows have no I/O dependencies"
for crate in steward-domain steward-workflows; do
  forbidden="$(cargo tree -p "$crate" -e normal --prefix none --locked \
    | grep -E '^(sqlx|rdkafka|reqwest|hyper|axum|tokio-postgres|steward-activities|steward-gateway) ' || true)"
  if [ -n "$forbidden" ]; then
    log "$crate depends on I/O crates:"; echo "$forbidden" | sort -u; exit 1
  fi
done

# Kafka is the bus crate's: neither it nor the worker reaches into the edge.
log "layering: bus and the worker do not depend on the gateway"
if cargo tree -p steward-bus -e normal --prefix none --locked | grep -q '^steward-gateway '; then
  log "steward-bus depends on steward-gateway"; exit 1
fi
if grep -q 'steward_gateway' "$STEWARD_ROOT/src/worker.rs"; then
  log "src/worker.rs uses steward_gateway"; exit 1
fi

log "deployment files (docker-compose, Kubernetes, KEDA, monitoring)"
python3 "$STEWARD_ROOT/scripts/validate_deploy.py"

# The cargo-fuzz targets build (their own workspace); STEWARD_FUZZ=run
# fuzzes each for FUZZ_SECONDS instead (scripts/fuzz.sh).
if [ "${STEWARD_FUZZ:-check}" = "run" ]; then
  "$STEWARD_ROOT/scripts/fuzz.sh"
else
  "$STEWARD_ROOT/scripts/fuzz.sh" --check
fi

log "cargo test"
cargo test --workspace --locked --no-run
wait_for_broker
cargo test --workspace --locked
log "all checks passed"
