# syntax=docker/dockerfile:1.7
# The rendering image. Build from the repository root (the context needs the lock file and the
# workspace):
#   docker build -f deploy/docker/rendering.Dockerfile -t billwire/rendering:$(git rev-parse --short HEAD) .
# Settings come from the environment at run time, exactly as for a local run
# (docs/configuration.md); nothing secret is baked in.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# ---- builder: a virtual environment with exactly what uv.lock pins for billwire-rendering ----
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
    uv sync --frozen --no-dev --no-editable --no-install-workspace --package billwire-rendering
# Then billwire-shared and billwire-rendering themselves, installed as wheels (not links to /src).
COPY shared/ shared/
COPY services/rendering/ services/rendering/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package billwire-rendering

# ---- runtime: the same slim Python, the environment, an unprivileged user ----
FROM ${PYTHON_IMAGE} AS runtime
# Debian's Chromium headless shell and fonts for the PDFs (Playwright's own browser download is
# not used; the shell prints without a print compositor process per PDF, full Chromium does not);
# Ghostscript and an sRGB ICC profile turn an issued Factur-X document's PDF into PDF/A-3.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        chromium-headless-shell fonts-dejavu-core fonts-liberation fonts-liberation2 fonts-inter fonts-noto-core fonts-noto-color-emoji \
        fontconfig ghostscript icc-profiles-free \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 billwire \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin billwire
# Owned by root and read-only for the service: the code cannot be changed at run time.
COPY --from=builder /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    BILLWIRE_CHROMIUM_EXECUTABLE=/usr/bin/chromium-headless-shell \
    BILLWIRE_CHROMIUM_INSTALL=false \
    BILLWIRE_FONTS_DIR=/opt/billwire/fonts
# TrueType copies of Inter (Debian ships it as CFF, which Chromium prints as Type 3 drawings),
# converted once here instead of at every start; see billwire_rendering/fonts.py.
RUN python -m billwire_rendering.fonts /opt/billwire/fonts \
    && FONTCONFIG_FILE=/opt/billwire/fonts/fonts.conf fc-cache -f
WORKDIR /app
USER 10001:10001
# Prometheus /metrics when BILLWIRE_METRICS_PORT is set (deploy/k8s sets 9100).
EXPOSE 9100
# No HTTP port: ask the service over NATS whether it answers and reaches its database.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "billwire_shared.probe", "rendering"]
ENTRYPOINT ["python", "-m", "billwire_rendering"]
