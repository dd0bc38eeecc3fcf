# monban's container image: a static-ish release binary on distroless, run as non-root.
# Keys and secrets are never baked in: Cloud Run mounts them from Secret Manager (docs/deploy.md).

# --- build ---------------------------------------------------------------------------------
# The exact toolchain CI uses, so the image is built as the tests were.
FROM rust:1.95.0-slim-bookworm AS chef
# cargo-chef caches the dependency build in its own layer: a source-only change rebuilds fast.
RUN cargo install cargo-chef --locked --version 0.1.71
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin monban
COPY . .
RUN cargo build --release --locked --bin monban

# --- runtime -------------------------------------------------------------------------------
# distroless/cc: glibc and libgcc, nothing else (no shell, no package manager), about 23 MB.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/monban /usr/local/bin/monban
# Cloud Run sets PORT; 8080 is monban's default too.
ENV PORT=8080 \
    MONBAN_KEYS_DIR=/keys
EXPOSE 8080
# distroless "nonroot" user, numerically so that the platform can check it is not root.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/monban"]
CMD ["serve"]
