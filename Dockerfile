# syntax=docker/dockerfile:1.7
# Greenhouse ELT image: dlt extract + dbt build, driven by the `elt` command.
#
#   docker build -t greenhouse-elt:local .
#   docker run --rm --env-file .env -v greenhouse-data:/data greenhouse-elt:local          # elt run
#   docker run --rm ... greenhouse-elt:local extract|transform|demo|schedule|bash
#
# Two stages, after astral's uv Docker example: the builder installs the locked dependencies with uv;
# the final stage is a plain slim Python with the virtual environment and the code copied in. No
# compiler, no uv and no secret reaches the final image: credentials come from the environment at run
# time (.env / secrets), never from a layer. The dbt project uses no dbt packages: no `dbt deps` step.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# Dependencies first (their own layer, cached until uv.lock or pyproject.toml change): the main ones
# and the `sandbox` extra, for `elt demo` (not the benchmarks' or the dashboard's).
# An optional CA bundle for uv's downloads (a TLS-intercepting proxy): a build secret, mounted only
# while uv runs and never written to a layer (`--secret id=ca_bundle,src=FILE`; deploy/build-image.sh).
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi \
    && uv sync --frozen --no-dev --no-install-project --extra sandbox

# Then the code (.dockerignore keeps .env, secrets, data, tests and local build output out).
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export SSL_CERT_FILE=/run/secrets/ca_bundle; fi \
    && uv sync --frozen --no-dev --extra sandbox

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="greenhouse-elt" \
      org.opencontainers.image.description="dlt extract + dbt transform for Greenhouse Harvest data" \
      org.opencontainers.image.licenses="Apache-2.0"

# A non-root user with a home directory: dlt keeps its global config and telemetry id in ~/.dlt.
RUN groupadd --system --gid 10001 elt \
    && useradd --system --uid 10001 --gid elt --create-home --home-dir /home/elt --shell /bin/bash elt \
    && mkdir -p /data \
    && chown elt:elt /data

# Code and virtual environment stay root-owned (read-only for the pipeline); everything the pipeline
# writes goes to /data: the DuckDB file, dlt's pipeline working directory, dbt's target/ and logs/.
COPY --from=builder /app /app
RUN ln -s /data /app/data

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/elt \
    DEST=duckdb \
    DUCKDB_PATH=/data/greenhouse.duckdb \
    GREENHOUSE_PIPELINES_DIR=/data/pipelines \
    DBT_PROFILES_DIR=/app/profiles \
    DBT_PROJECT_DIR=/app/transform \
    DBT_TARGET_PATH=/data/dbt/target \
    DBT_LOG_PATH=/data/dbt/logs \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    RUNTIME__DLTHUB_TELEMETRY=false

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]

ENTRYPOINT ["/app/bin/entrypoint"]
CMD ["run"]
