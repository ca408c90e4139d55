#!/usr/bin/env bash
# Smoke test of a built image on a host with a Docker engine (CI's image job runs it).
#
#   deploy/smoke-image.sh [IMAGE]        default IMAGE: greenhouse-elt:local (make docker-build)
#
# Checks what a user meets first: the entry point, the non-root user, a clear error for bad input,
# no credentials baked into the image, the demo (sandbox -> DuckDB -> dbt build) inside the image,
# and the compose demo (sandbox -> bundled PostgreSQL -> dbt build) with this image.
set -euo pipefail

IMAGE="${1:-greenhouse-elt:local}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VOLUME="greenhouse-smoke-$$"
PROJECT="greenhouse-smoke-$$"
CANDIDATES="${SMOKE_CANDIDATES:-200}"

say() { printf '\n== smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  (cd "$ROOT" && IMAGE="$IMAGE" docker compose -p "$PROJECT" down -v --remove-orphans >/dev/null 2>&1) || true
}
trap cleanup EXIT

say "runs as a non-root user with a writable home"
uid="$(docker run --rm "$IMAGE" id -u)"
[ "$uid" != "0" ] || fail "the image runs as root"
docker run --rm "$IMAGE" sh -c 'test -d "$HOME" && test -w "$HOME"' || fail "HOME is missing or read-only"

say "entry point: help and passthrough"
docker run --rm "$IMAGE" help | grep -q "schedule" || fail "'help' does not list the commands"
docker run --rm "$IMAGE" dbt --version >/dev/null || fail "dbt is not on PATH in the image"

say "bad input: one clear line and a non-zero exit, no traceback"
set +e
out="$(docker run --rm -e DEST=nowhere "$IMAGE" run 2>&1)"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "DEST=nowhere exited 0"
grep -q "unknown DEST" <<<"$out" || fail "no 'unknown DEST' message: $out"
! grep -q "Traceback" <<<"$out" || fail "a traceback for bad input: $out"

say "no credentials in the image configuration"
if docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" \
  | grep -Ei '^[A-Z_]*(SECRET|PASSWORD|TOKEN|PASSPHRASE|PRIVATE_KEY)[A-Z_]*='; then
  fail "credential variables are set in the image"
fi

say "demo inside the image: sandbox -> DuckDB -> dbt build ($CANDIDATES candidates)"
docker run --rm -v "$VOLUME:/data" -e DEMO_CANDIDATES="$CANDIDATES" "$IMAGE" demo
docker run --rm -v "$VOLUME:/data" "$IMAGE" test -s /data/dbt/target/run_results.json \
  || fail "dbt wrote no run_results.json to /data/dbt/target"

say "docker compose: sandbox + postgres + pipeline"
cd "$ROOT"
IMAGE="$IMAGE" SANDBOX_CANDIDATES="$CANDIDATES" docker compose -p "$PROJECT" up --no-build \
  --abort-on-container-exit --exit-code-from pipeline pipeline \
  || fail "the compose pipeline failed (see the log above)"

say "all checks passed"
