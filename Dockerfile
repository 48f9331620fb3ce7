# Multi-stage build: a static binary on a distroless base, run as non-root.
# .dockerignore keeps local data, node_modules and .git out of the context,
# so the build has no commit to stamp: pass one for `server version` with
# --build-arg VERSION=$(git describe --always --dirty).
FROM golang:1.26 AS build
ARG VERSION=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/server ./server && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
COPY --from=build --chown=65532:65532 /out/data /data
ENV HTTP_ADDR=:8080 DATA_DIR=/data
USER nonroot:nonroot
# DATA_DIR: the embedded database and generated secrets. Nothing is written
# there when DATABASE_URL, AUTH_SECRET and ENCRYPTION_KEY are set.
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/server", "healthcheck"]
ENTRYPOINT ["/server"]
