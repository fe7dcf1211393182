# syntax=docker/dockerfile:1.7
# The gateway image. Build from the repository root (the context needs the lock file and the
# workspace):
#   docker build -f deploy/docker/gateway.Dockerfile -t billwire/gateway:$(git rev-parse --short HEAD) .
# Settings come from the environment at run time, exactly as for a local run
# (docs/configuration.md); nothing secret is baked in.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# ---- builder: a virtual environment with exactly what uv.lock pins for billwire-gateway ----
FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The workspace's metadata first: uv needs every member's pyproject.toml to read the lock.
COPY pyproject.toml uv.lock README.md ./
COPY shared/pyproject.toml shared/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/invoices/pyproject.toml services/invoices/
COPY services/rendering/pyproject.toml services/rendering/
COPY services/mailer/pyproject.toml services/mailer/
# Third-party packages only: this layer is reused until uv.lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-workspace --package billwire-gateway
# Then billwire-shared and billwire-gateway themselves, installed as wheels (not links to /src).
COPY shared/ shared/
COPY services/gateway/ services/gateway/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package billwire-gateway

# ---- runtime: the same slim Python, the environment, an unprivileged user ----
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 billwire \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin billwire
# Owned by root and read-only for the service: the code cannot be changed at run time.
COPY --from=builder /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    BILLWIRE_HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# /health is "the process answers"; Kubernetes uses its own probes (deploy/k8s).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=3)"]
ENTRYPOINT ["python", "-m", "billwire_gateway"]
