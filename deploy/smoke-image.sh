#!/usr/bin/env bash
# Smoke test of a built image (CI's image job runs it; so do the image tests here).
#
#   deploy/smoke-image.sh [IMAGE]        default IMAGE: greenhouse-elt:local (make image)
#
# Checks what a user meets first: the entry point, the non-root user, a clear error for bad input,
# no credentials baked into the image, the demo (sandbox -> DuckDB -> dbt build) inside the image,
# and the compose demo (sandbox -> PostgreSQL -> dbt build) with this image.
#
# With a Docker engine the checks use `docker run` and `docker compose`. Without one (an image built
# with podman: make image), each command runs inside the image with `buildah run --isolation chroot`
# (host network; the entry point is called as `docker run` would), /data lives in the working
# container, and the compose step becomes its equivalent: the sandbox started from the image (on any
# free port, or SMOKE_SANDBOX_PORT), then the pipeline from the image into the PostgreSQL that
# POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB name (skipped,
# saying so, when POSTGRES_HOST is unset). SMOKE_ENGINE=docker|buildah chooses explicitly.
set -euo pipefail

IMAGE="${1:-greenhouse-elt:local}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VOLUME="greenhouse-smoke-$$"
PROJECT="greenhouse-smoke-$$"
CANDIDATES="${SMOKE_CANDIDATES:-200}"

say() { printf '\n== smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }

if [ -z "${SMOKE_ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then SMOKE_ENGINE=docker; else SMOKE_ENGINE=buildah; fi
fi

CONTAINERS=()
SANDBOX_PID=""
cleanup() {
  set +e
  if [ "$SMOKE_ENGINE" = docker ]; then
    docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    (cd "$ROOT" && IMAGE="$IMAGE" docker compose -p "$PROJECT" down -v --remove-orphans >/dev/null 2>&1) || true
  else
    if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null; fi
    local c
    for c in "${CONTAINERS[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  fi
}
trap cleanup EXIT

if [ "$SMOKE_ENGINE" = buildah ]; then
  command -v buildah >/dev/null 2>&1 || fail "no Docker engine and no buildah: run bin/ensure-podman"
  podman image exists "$IMAGE" || fail "no image $IMAGE: build it with make image"
  read -r -a ENTRYPOINT < <(podman image inspect --format '{{range .Config.Entrypoint}}{{.}} {{end}}' "$IMAGE")
  DATA_CTR="$(buildah from --pull-never "$IMAGE")"
  CONTAINERS+=("$DATA_CTR")
fi

# run_image [--data] [-e NAME=VALUE]... COMMAND...: COMMAND through the image's entry point, as
# `docker run --rm IMAGE COMMAND` does; --data mounts the volume at /data (the smoke's own).
run_image() {
  local data="" envs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --data) data=1; shift ;;
      -e) envs+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  if [ "$SMOKE_ENGINE" = docker ]; then
    local args=(--rm)
    [ -n "$data" ] && args+=(-v "$VOLUME:/data")
    local e
    for e in "${envs[@]}"; do args+=(-e "$e"); done
    docker run "${args[@]}" "$IMAGE" "$@"
  else
    local args=(--isolation chroot) e
    for e in "${envs[@]}"; do args+=(--env "$e"); done
    buildah run "${args[@]}" "$DATA_CTR" "${ENTRYPOINT[@]}" "$@"
  fi
}

image_env() {
  if [ "$SMOKE_ENGINE" = docker ]; then
    docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE"
  else
    podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE"
  fi
}

say "runs as a non-root user with a writable home"
uid="$(run_image id -u)"
[ "$uid" != "0" ] || fail "the image runs as root"
run_image sh -c 'test -d "$HOME" && test -w "$HOME"' || fail "HOME is missing or read-only"

say "entry point: help and passthrough"
run_image help | grep -q "schedule" || fail "'help' does not list the commands"
run_image dbt --version >/dev/null || fail "dbt is not on PATH in the image"

say "bad input: one clear line and a non-zero exit, no traceback"
set +e
out="$(run_image -e DEST=nowhere run 2>&1)"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "DEST=nowhere exited 0"
grep -q "unknown DEST" <<<"$out" || fail "no 'unknown DEST' message: $out"
! grep -q "Traceback" <<<"$out" || fail "a traceback for bad input: $out"

say "no credentials in the image configuration"
if image_env | grep -Ei '^[A-Z_]*(SECRET|PASSWORD|TOKEN|PASSPHRASE|PRIVATE_KEY)[A-Z_]*='; then
  fail "credential variables are set in the image"
fi

say "demo inside the image: sandbox -> DuckDB -> dbt build ($CANDIDATES candidates)"
run_image --data -e DEMO_CANDIDATES="$CANDIDATES" demo
run_image --data test -s /data/dbt/target/run_results.json \
  || fail "dbt wrote no run_results.json to /data/dbt/target"

if [ "$SMOKE_ENGINE" = docker ]; then
  say "docker compose: sandbox + postgres + pipeline"
  cd "$ROOT"
  IMAGE="$IMAGE" SANDBOX_CANDIDATES="$CANDIDATES" docker compose -p "$PROJECT" up --no-build \
    --abort-on-container-exit --exit-code-from pipeline pipeline \
    || fail "the compose pipeline failed (see the log above)"
elif [ -z "${POSTGRES_HOST:-}" ]; then
  say "compose step skipped: no Docker engine; set POSTGRES_HOST (and POSTGRES_PORT, POSTGRES_USER," \
    "POSTGRES_PASSWORD, POSTGRES_DB) to run the sandbox and the pipeline from the image into that PostgreSQL"
else
  say "the compose demo without compose: sandbox + pipeline from the image into $POSTGRES_HOST:${POSTGRES_PORT:-5432}"
  SANDBOX_CTR="$(buildah from --pull-never "$IMAGE")"
  CONTAINERS+=("$SANDBOX_CTR")
  # the port the sandbox bound (any free one unless SMOKE_SANDBOX_PORT is set), read from its file
  buildah run --isolation chroot "$SANDBOX_CTR" "${ENTRYPOINT[@]}" sandbox --port "${SMOKE_SANDBOX_PORT:-0}" \
    --port-file /home/elt/sandbox.port --candidates "$CANDIDATES" &
  SANDBOX_PID=$!
  port_file="$(buildah mount "$SANDBOX_CTR")/home/elt/sandbox.port"
  for _ in $(seq 1 120); do
    [ -s "$port_file" ] && break
    kill -0 "$SANDBOX_PID" 2>/dev/null || fail "the sandbox from the image exited (see the log above)"
    sleep 1
  done
  [ -s "$port_file" ] || fail "the sandbox from the image did not start within 120 s"
  SANDBOX_PORT="$(cat "$port_file")"
  run_image --data -e DEST=postgres -e GREENHOUSE_BASE_URL="http://127.0.0.1:$SANDBOX_PORT" \
    -e GREENHOUSE_AUTH_URL="http://127.0.0.1:$SANDBOX_PORT/token" \
    -e GREENHOUSE_CLIENT_ID=sandbox-client -e GREENHOUSE_CLIENT_SECRET=sandbox-secret \
    -e GREENHOUSE_API_TOKEN=sandbox-token \
    -e POSTGRES_HOST="$POSTGRES_HOST" -e POSTGRES_PORT="${POSTGRES_PORT:-5432}" \
    -e POSTGRES_USER="${POSTGRES_USER:-postgres}" -e POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}" \
    -e POSTGRES_DB="${POSTGRES_DB:-postgres}" run \
    || fail "the pipeline from the image into PostgreSQL failed (see the log above)"
fi

say "all checks passed"
