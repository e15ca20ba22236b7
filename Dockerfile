# zoombot: docker build -t zoombot . && docker run --env-file .env -p 127.0.0.1:8080:8080 -v zoombot-data:/data zoombot

# Both base images are pinned, so two builds of one commit use the same compiler and runtime.
# The Rust image by its exact toolchain version (the one the project is built and tested with).
# The runtime by digest: distroless publishes no version tags (cc-debian12:nonroot, which already
# fixes the Debian release and the user, is as precise as its tags go), and its digest could not
# be looked up where this file was written (no registry is reachable from the development
# machines), so it is left for the build to supply rather than invented here:
#   docker buildx imagetools inspect gcr.io/distroless/cc-debian12:nonroot --format '{{json .Manifest.Digest}}'
#   docker build --build-arg RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:<digest> -t zoombot .
# (README → Docker: how to update either.)
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# Build on the Debian release the runtime image is made from, so the binary needs no newer glibc
# than the runtime has (a plain rust:1.95.0-slim follows Debian's newest release).
FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Without its symbol table, and with fat link-time optimisation over one codegen unit: kept over
# thin LTO (codegen-units 4) after measuring both on the 2-core build machine (README → Docker):
# fat is 14.1 MB (image about 37.8 MB) and rebuilt the sources layer in 4 m 49 s; thin is 16.3 MB
# (image about 40.0 MB, past the 40 MB bar) and took 5 m 41 s, since on two cores ThinLTO's
# parallel work has nowhere to run and it compiles more code; load figures were equal. Panics
# still name their source line. (Set before both builds: the profile is part of what the
# dependency layer caches.)
ENV CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_PROFILE_RELEASE_LTO=true \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1

# The dependencies, in a layer of their own that is rebuilt only when Cargo.toml or Cargo.lock
# change: stub targets let cargo build every dependency before the sources are copied.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -r src

# COPY keeps the sources' modification times, which can be older than the stub's build: touch the
# crate roots so cargo rebuilds zoombot instead of keeping the stub.
COPY src ./src
# The PostgreSQL schema's migrations are built into the binary (include_str! in
# src/store/postgres/schema.rs).
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && mkdir -p -m 700 out/data \
    && cp target/release/zoombot out/zoombot

# glibc, libgcc, CA certificates and time zone data; no shell, no package manager. User 65532 is
# the image's "nonroot".
FROM ${RUNTIME_IMAGE}
COPY --from=build /src/out/zoombot /usr/local/bin/zoombot
# Owned by the non-root user, so a new named volume mounted here is writable; 0700 (from the
# build stage), since it says who scheduled what and the bot warns about a directory others can read.
COPY --from=build --chown=65532:65532 /src/out/data /data
# Every interface inside the container, where a published port arrives (the binary's own default is
# 127.0.0.1); publish it on the host's loopback unless a proxy elsewhere must reach it.
ENV DATA_DIR=/data \
    HTTP_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# No curl in the image: the binary asks its own /healthz (port from HTTP_ADDR), exit 0 or 1.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/zoombot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/zoombot"]
