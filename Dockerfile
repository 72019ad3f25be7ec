# bingraph: build with the Rust toolchain, run on a small Debian image as a
# non-root user. `docker compose up` (docker-compose.yml) runs it on Neo4j.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Every target Cargo.toml names must be present, tests and benches included.
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY cypher cypher
COPY schema schema
COPY benches benches
COPY tests tests
RUN cargo build --release --locked --bin bingraph \
 && strip target/release/bingraph

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home bingraph \
 && mkdir -p /data \
 && chown bingraph:bingraph /data
COPY --from=build /src/target/release/bingraph /usr/local/bin/bingraph
USER bingraph
ENV BINGRAPH_DATA_DIR=/data \
    BINGRAPH_LISTEN=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=5 \
  CMD curl -fsS http://127.0.0.1:8080/api/v1/health || exit 1
ENTRYPOINT ["bingraph"]
CMD ["serve"]
