# catalog-service image. Build from the repository root:
#   docker build -f deploy/docker/catalog.Dockerfile -t reel/catalog-service .
# (scripts/test-images.sh builds it with podman from a debootstrapped base:
#  --build-arg BASE_IMAGE=localhost/reel/bookworm-base).
#
# The build stage is the same in catalog.Dockerfile and search.Dockerfile and
# builds both binaries and reelctl, so the second image reuses the first one's
# layers.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      grpc-proto \
      librocksdb-dev libabsl-dev libspdlog-dev nlohmann-json3-dev zlib1g-dev liblz4-dev \
      libicu-dev libstemmer-dev libmicrohttpd-dev libssl-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt VERSION ./
COPY cmake cmake
COPY proto proto
COPY common common
COPY catalog-service catalog-service
COPY search-service search-service
COPY tools tools
# No .git in the build context: the commit comes as a build argument.
ARG REEL_COMMIT=unknown
ENV REEL_COMMIT=${REEL_COMMIT}
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DREEL_BUILD_TESTS=OFF >/dev/null \
 && cmake --build /build -j"$(nproc)" --target catalog-service search-service reelctl \
 && strip /build/catalog-service/catalog-service /build/search-service/search-service \
      /build/tools/reelctl/reelctl

# Runtime: the slim base plus only the shared libraries the binary links
# (apt brings their own dependencies), no compiler, no headers.
FROM ${BASE_IMAGE}
# The version from the repository's VERSION file and the commit, passed by
# the builder (scripts/test-images.sh): --build-arg REEL_VERSION=$(cat VERSION).
ARG REEL_VERSION=unknown
ARG REEL_COMMIT=unknown
LABEL org.opencontainers.image.title="reel catalog-service" \
      org.opencontainers.image.version="${REEL_VERSION}" \
      org.opencontainers.image.revision="${REEL_COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libgrpc++1.51 libprotobuf32 librocksdb7.8 libspdlog1.10 libabsl20220623 libmicrohttpd12 zlib1g \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
 && mkdir -p /var/lib/reel && chown 65532:65532 /var/lib/reel
COPY --from=build /build/catalog-service/catalog-service /usr/local/bin/catalog-service
# reelctl runs from this image in the backup CronJob (reelctl admin backup);
# it links a subset of catalog-service's libraries.
COPY --from=build /build/tools/reelctl/reelctl /usr/local/bin/reelctl
# Numeric user and group, so runAsNonRoot can verify them without /etc/passwd.
USER 65532:65532
WORKDIR /var/lib/reel
EXPOSE 50051
# Exec form: the binary is PID 1 and gets SIGTERM directly (it drains on it).
# Kubernetes passes the flags as args (deploy/k8s); these defaults listen on
# every interface and keep data under /var/lib/reel.
ENTRYPOINT ["/usr/local/bin/catalog-service"]
CMD ["--listen=0.0.0.0:50051", "--data_dir=/var/lib/reel/catalog"]
