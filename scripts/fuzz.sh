#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each (default 60
# s; `FUZZ_SECONDS=600 scripts/fuzz.sh` for a long run, or name targets:
# `scripts/fuzz.sh mime envelope`). `scripts/fuzz.sh --check` only builds
# the targets (what scripts/test.sh runs with STEWARD_FUZZ=check).
#
# The machine has one stable toolchain and cargo-fuzz's instrumentation
# needs nightly flags: RUSTC_BOOTSTRAP=1 lets stable rustc accept them, and
# the sanitizer is off (`-s none`; AddressSanitizer needs nightly's
# sanitizer runtimes, and the code under test forbids `unsafe` anyway), so
# libFuzzer still gets coverage guidance and finds panics and overflows.
#
# The committed seeds in fuzz/corpus/<target> are read only; what a run
# learns goes to a scratch corpus, and a crash lands in fuzz/artifacts
# (ignored by git): turn it into a regression test, then fix it.
source "$(dirname "$0")/lib.sh"
cd "$STEWARD_ROOT/fuzz"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$STEWARD_CACHE/fuzz-target}"
seconds="${FUZZ_SECONDS:-60}"

if [ "${1:-}" = "--check" ]; then
  log "fuzz targets: build check (cargo check, fuzzing cfg)"
  RUSTFLAGS="--cfg fuzzing" cargo check --bins --locked
  exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
for target in "${targets[@]}"; do
  scratch="$(mktemp -d)"
  log "fuzzing $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
  rm -rf "$scratch"
done
log "fuzzing done: ${targets[*]}"
