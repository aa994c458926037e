# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22
ARG ALPINE=3.19

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=bind,source=go.mod,target=go.mod \
    go mod download -x
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,target=. \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /bin/server .

FROM alpine:${ALPINE} AS final
RUN --mount=type=cache,target=/var/cache/apk \
    apk --update add ca-certificates tzdata && update-ca-certificates
ARG UID=10001
RUN adduser --disabled-password --gecos "" --home "/nonexistent" \
    --shell "/sbin/nologin" --no-create-home --uid "${UID}" appuser
USER appuser
COPY --from=build /bin/server /bin/
EXPOSE 8000
HEALTHCHECK --interval=30s CMD ["/bin/server", "-health"]
ENTRYPOINT [ "/bin/server" ]
LABEL org.opencontainers.image.title="server" \
      org.opencontainers.image.version="${GO_VERSION}"
