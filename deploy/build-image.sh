#!/usr/bin/env bash
# Build the container image (`make image`).
#
#   deploy/build-image.sh [IMAGE]          default IMAGE: greenhouse-elt:local
#
# With a Docker engine that answers, `docker build` (BuildKit). Without one, podman
# (`podman build --isolation chroot`; podman, buildah and debootstrap are installed by bin/ensure-podman
# when missing). The Dockerfile's public base images (its PYTHON_IMAGE and UV_IMAGE defaults) are used
# when they can be pulled; when no registry answers, local equivalents are made once and reused:
#   localhost/greenhouse-elt-python:bookworm  Debian bookworm (debootstrap minbase) with python3,
#                                             python3-venv and ca-certificates, imported with podman
#   localhost/greenhouse-elt-uv:<version>     the uv binary of PyPI's uv wheel at /uv (FROM scratch)
#
# Variables:
#   CA_BUNDLE      a PEM bundle uv trusts for its downloads during the build (a proxy that re-signs TLS
#                  needs its CA in it). Default: the file PIP_CERT names, if any. It is passed as a build
#                  secret (id=ca_bundle), mounted only while uv runs: it reaches no layer of the image.
#   PYTHON_IMAGE, UV_IMAGE   other base images (skip the pull / local base logic)
#   IMAGE_ENGINE   docker | podman (default: docker when `docker info` answers, else podman)
#   DEBIAN_MIRROR  for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

IMAGE="${1:-${IMAGE:-greenhouse-elt:local}}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
LOCAL_PYTHON_IMAGE="localhost/greenhouse-elt-python:bookworm"

say() { printf '>> image: %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# The defaults live in the Dockerfile (one home); read them from there.
dockerfile_default() { sed -n "s/^ARG $1=//p" "$ROOT/Dockerfile" | head -n1; }
DEFAULT_PYTHON_IMAGE="$(dockerfile_default PYTHON_IMAGE)"
DEFAULT_UV_IMAGE="$(dockerfile_default UV_IMAGE)"
UV_VERSION="${DEFAULT_UV_IMAGE##*:}"
[ -n "$DEFAULT_PYTHON_IMAGE" ] && [ -n "$UV_VERSION" ] \
  || die "the Dockerfile has no 'ARG PYTHON_IMAGE=' / 'ARG UV_IMAGE=...:<version>' default"

CA_BUNDLE="${CA_BUNDLE:-${PIP_CERT:-}}"
if [ -n "$CA_BUNDLE" ] && [ ! -s "$CA_BUNDLE" ]; then
  die "CA_BUNDLE=$CA_BUNDLE is not a readable, non-empty PEM file; point it at your CA bundle or unset it"
fi

if [ -z "${IMAGE_ENGINE:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then IMAGE_ENGINE=docker; else IMAGE_ENGINE=podman; fi
fi
case "$IMAGE_ENGINE" in docker | podman) ;; *) die "IMAGE_ENGINE=$IMAGE_ENGINE: use docker or podman" ;; esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian bookworm with the distribution's Python 3.11 (the version the lock is tested on).
make_local_python_image() {
  local dir
  dir="$(mktemp -d)"
  say "no registry: making $LOCAL_PYTHON_IMAGE with debootstrap (bookworm minbase + python3; about a minute)"
  if ! as_root debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$dir/rootfs" "$DEBIAN_MIRROR" >"$dir/debootstrap.log" 2>&1; then
    tail -n 20 "$dir/debootstrap.log" >&2
    as_root rm -rf "$dir"
    die "debootstrap failed (log above); set DEBIAN_MIRROR to a Debian mirror you can reach"
  fi
  as_root rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"*
  as_root tar -C "$dir/rootfs" -c . \
    | podman import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' - "$LOCAL_PYTHON_IMAGE" >/dev/null
  as_root rm -rf "$dir"
}

# The uv binary PyPI's uv wheel ships, alone in an image at /uv (as in astral's ghcr.io/astral-sh/uv).
make_local_uv_image() {
  local target="$1" dir
  dir="$(mktemp -d)"
  say "no registry: making $target from PyPI's uv $UV_VERSION wheel"
  # pip downloads the wheel; a python3 without pip (a uv-made virtual environment first on PATH,
  # as under `make test`) gets a throwaway one from its own ensurepip (no network needed for that)
  local pip=(python3 -m pip)
  if ! python3 -m pip --version >/dev/null 2>&1; then
    python3 -m venv "$dir/pip" || { rm -rf "$dir"; die "python3 has no pip and cannot make a venv with one"; }
    pip=("$dir/pip/bin/python" -m pip)
  fi
  "${pip[@]}" download --quiet --no-deps --only-binary=:all: --dest "$dir" "uv==$UV_VERSION" \
    || { rm -rf "$dir"; die "cannot download uv $UV_VERSION from PyPI (pip download uv==$UV_VERSION)"; }
  python3 - "$dir" <<'EOF'
import pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
(wheel,) = out.glob("uv-*.whl")
with zipfile.ZipFile(wheel) as zf:
    (member,) = [n for n in zf.namelist() if n.endswith(".data/scripts/uv")]
    (out / "uv").write_bytes(zf.read(member))
(out / "uv").chmod(0o755)
EOF
  tar -C "$dir" -c uv | podman import - "$target" >/dev/null
  rm -rf "$dir"
}

build_args=()
secret=()
[ -n "$CA_BUNDLE" ] && secret=(--secret "id=ca_bundle,src=$CA_BUNDLE")

if [ "$IMAGE_ENGINE" = docker ]; then
  [ -n "${PYTHON_IMAGE:-}" ] && build_args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
  [ -n "${UV_IMAGE:-}" ] && build_args+=(--build-arg "UV_IMAGE=$UV_IMAGE")
  say "building $IMAGE with docker"
  DOCKER_BUILDKIT=1 docker build "${build_args[@]}" "${secret[@]}" -t "$IMAGE" "$ROOT"
else
  "$ROOT/bin/ensure-podman"
  if [ -z "${PYTHON_IMAGE:-}" ]; then
    if podman image exists "$DEFAULT_PYTHON_IMAGE" || podman pull -q "$DEFAULT_PYTHON_IMAGE" >/dev/null 2>&1; then
      PYTHON_IMAGE="$DEFAULT_PYTHON_IMAGE"
    else
      podman image exists "$LOCAL_PYTHON_IMAGE" || make_local_python_image
      PYTHON_IMAGE="$LOCAL_PYTHON_IMAGE"
    fi
  fi
  if [ -z "${UV_IMAGE:-}" ]; then
    if podman image exists "$DEFAULT_UV_IMAGE" || podman pull -q "$DEFAULT_UV_IMAGE" >/dev/null 2>&1; then
      UV_IMAGE="$DEFAULT_UV_IMAGE"
    else
      UV_IMAGE="localhost/greenhouse-elt-uv:$UV_VERSION"
      podman image exists "$UV_IMAGE" || make_local_uv_image "$UV_IMAGE"
    fi
  fi
  say "building $IMAGE with podman (PYTHON_IMAGE=$PYTHON_IMAGE, UV_IMAGE=$UV_IMAGE)"
  podman build --isolation chroot --pull=never --layers \
    --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" --build-arg "UV_IMAGE=$UV_IMAGE" \
    "${secret[@]}" -t "$IMAGE" "$ROOT"
fi
say "built $IMAGE"
