#!/usr/bin/env bash
# Build the Whisk action runtime images, offline when no registry is reachable.
#
#   scripts/build-images.sh [python] [nodejs] [native]    (no argument: all three)
#
# Base images: when WHISK_BASE_PYTHON / WHISK_BASE_NODE are unset, minimal bases are made with
# `debootstrap --variant=minbase` and `docker import` (needs root and Debian's package mirror):
#   whisk-base/python:3.11-slim  Debian bookworm + python3 (3.11)
#   whisk-base/node:20-slim      Debian trixie + nodejs (20) + python3 (for the action proxy)
# The root file system tarballs are cached under ${WHISK_CACHE_DIR:-$HOME/.cache/whisk}, so a
# rerun (or a new Docker engine) imports them again without debootstrap.
# With a registry: WHISK_BASE_PYTHON=python:3.11-slim WHISK_BASE_NODE=node:20-slim scripts/build-images.sh
#
# Runtime images built: whisk/action-python-v3.11:latest (python), whisk/action-nodejs-v20:latest
# (nodejs), and openwhisk/dockerskeleton:latest (native: the skeleton of `--native` actions, on
# the Python base), named as OpenWhisk's so that `--native` and `--docker openwhisk/dockerskeleton`
# run it with no registry.
# Idempotent; Docker's build cache makes a rerun with no change take seconds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${WHISK_CACHE_DIR:-$HOME/.cache/whisk}"
mirror="${WHISK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
proxy_dir="${root}/invoker/actionproxy"
runtimes_dir="${root}/invoker/runtimes"

say() { echo "[build-images] $*"; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# make_rootfs TARBALL SUITE PACKAGES: debootstrap a minimal tree and pack it, without docs.
make_rootfs() {
    local tarball="$1" suite="$2" packages="$3" tree
    tree="$(mktemp -d "${cache_dir}/rootfs.XXXXXX")"
    say "debootstrap ${suite} (+${packages}) into ${tree}; this takes a few minutes"
    if ! debootstrap --variant=minbase --include="${packages}" "${suite}" "${tree}" "${mirror}" \
        >"${tree}.log" 2>&1; then
        tail -n 30 "${tree}.log" >&2
        rm -rf "${tree}"
        say "debootstrap ${suite} failed (log: ${tree}.log)" >&2
        return 1
    fi
    say "trimming ${suite} tree (apt lists, caches, docs, man pages, locales)"
    rm -rf "${tree}"/var/lib/apt/lists/* "${tree}"/var/cache/apt/* "${tree}"/var/cache/debconf/*-old \
        "${tree}"/usr/share/doc/* "${tree}"/usr/share/man/* "${tree}"/usr/share/info/* \
        "${tree}"/usr/share/locale/* "${tree}"/usr/share/lintian/* "${tree}"/var/log/* \
        "${tree}"/tmp/* "${tree}"/root/.cache
    find "${tree}/usr/lib" -name '__pycache__' -type d -prune -exec rm -rf {} +
    say "packing ${tarball}"
    tar -C "${tree}" --numeric-owner -cf "${tarball}.part" .
    mv "${tarball}.part" "${tarball}"
    rm -rf "${tree}" "${tree}.log"
}

# ensure_base IMAGE SUITE PACKAGES: the image exists afterwards (imported from the cached tarball).
ensure_base() {
    local image="$1" suite="$2" packages="$3"
    local tarball="${cache_dir}/rootfs-${suite}-${packages//,/-}.tar"
    if image_exists "${image}"; then
        say "base ${image} present"
        return 0
    fi
    if [ ! -s "${tarball}" ]; then
        if ! command -v debootstrap >/dev/null 2>&1; then
            say "installing debootstrap"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        fi
        make_rootfs "${tarball}" "${suite}" "${packages}"
    else
        say "using cached ${tarball}"
    fi
    say "docker import ${image}"
    docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
        "${tarball}" "${image}" >/dev/null
}

# The proxy's content digest, stored as a label so tests can tell a stale image
# (tests/contract/conftest.py computes the same digest).
proxy_digest() {
    (cd "${proxy_dir}" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
        | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
}

# build_runtime IMAGE DOCKERFILE BASE
build_runtime() {
    local image="$1" dockerfile="$2" base="$3"
    local build_log
    build_log="$(mktemp)"
    say "docker build ${image} (base ${base})"
    if ! docker build --build-arg "BASE_IMAGE=${base}" -f "${dockerfile}" -t "${image}" \
        --label "whisk.actionproxy.digest=$(proxy_digest)" \
        "${proxy_dir}" >"${build_log}" 2>&1; then
        cat "${build_log}" >&2
        rm -f "${build_log}"
        say "docker build ${image} failed" >&2
        return 1
    fi
    rm -f "${build_log}"
    say "built ${image} ($(docker image inspect --format '{{.Size}}' "${image}" \
        | awk '{printf "%.0f MB", $1/1000000}'))"
}

mkdir -p "${cache_dir}"
docker info >/dev/null 2>&1 || { say "no Docker engine: run scripts/docker-engine.sh" >&2; exit 1; }

wanted=" ${*:-python nodejs native} "
for name in ${wanted}; do
    case "${name}" in
        python | nodejs | native) ;;
        *) say "unknown image '${name}' (python, nodejs, native)" >&2; exit 2 ;;
    esac
done
wants() { [[ "${wanted}" == *" $1 "* ]]; }

base_python="${WHISK_BASE_PYTHON:-}"
if [ -z "${base_python}" ] && { wants python || wants native; }; then
    base_python="whisk-base/python:3.11-slim"
    ensure_base "${base_python}" bookworm python3
fi
base_node="${WHISK_BASE_NODE:-}"
if [ -z "${base_node}" ] && wants nodejs; then
    base_node="whisk-base/node:20-slim"
    ensure_base "${base_node}" trixie nodejs,python3
fi

if wants python; then
    build_runtime whisk/action-python-v3.11:latest "${runtimes_dir}/python/Dockerfile" "${base_python}"
fi
if wants nodejs; then
    build_runtime whisk/action-nodejs-v20:latest "${runtimes_dir}/nodejs/Dockerfile" "${base_node}"
fi
if wants native; then
    build_runtime openwhisk/dockerskeleton:latest "${runtimes_dir}/native/Dockerfile" "${base_python}"
fi
# Drop the runtime images that these builds replaced (untagged, still labelled).
docker image prune --force --filter "label=whisk.actionproxy.digest" >/dev/null
say "done"
