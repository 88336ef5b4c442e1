#!/usr/bin/env bash
# Builds floe's local test images without any image registry (none is reachable here):
#
#   floe-test/busybox:1     Debian's busybox-static binary with its applets linked in /bin  (< 1 s)
#   floe-test/python:3.11   a minimal Debian bookworm rootfs with python3, made by mmdebstrap (~90 s cold)
#
# Both carry containers/floe-job as /usr/local/bin/floe-job (their default command).
#
#   containers/build.sh [busybox|python|all]     (default: all)
#
# Idempotent and fast when present: each image is labelled floe.recipe=<hash of its recipe and inputs>
# and rebuilt only when that hash changes. The python rootfs (the slow part) is cached as a tar under
# $FLOE_IMAGE_CACHE (default ~/.cache/floe-test-images), keyed by the hash of the mmdebstrap recipe alone, so
# a new floe-job or a lost podman store costs an import (seconds), not a new debootstrap.
# Builds are serialized with a lock in the cache dir: parallel test workers and checkouts share one store.
# Needs: podman, busybox-static, mmdebstrap (.ci/containers.sh installs them), root.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CACHE=${FLOE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/floe-test-images}
JOB_SCRIPT=$HERE/floe-job
# same containers.conf / storage.conf as the API service (.ci/containers.sh writes them)
if [[ -f "$ROOT/.containers/env" ]]; then
  # shellcheck disable=SC1091
  source "$ROOT/.containers/env"
fi

say() { echo "build.sh: $*" >&2; }
sha() { sha256sum | cut -c1-16; }

mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

IMAGE_CHANGES=(
  --change 'ENV=PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'CMD=["/usr/local/bin/floe-job"]'
)

current_recipe() { # image -> its floe.recipe label, or nothing
  podman image inspect --format '{{index .Labels "floe.recipe"}}' "$1" 2>/dev/null || true
}

import_tar() { # tar image recipe: import a rootfs tar as the image, labelled with its recipe hash
  local tar=$1 image=$2 recipe=$3 old
  old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  podman import --quiet "${IMAGE_CHANGES[@]}" --change "LABEL=floe.recipe=$recipe" "$tar" "$image" >/dev/null
  # the replaced image, if no container still uses it
  [[ -n "$old" ]] && podman image rm "$old" >/dev/null 2>&1 || true
}

add_floe_job() { # tar: appends /usr/local/bin/floe-job (root-owned, 0755) to an uncompressed rootfs tar
  tar --append -f "$1" --owner=0 --group=0 --numeric-owner --mode=0755 \
    --transform='s,^.*floe-job$,usr/local/bin/floe-job,' -C "$HERE" floe-job
}

build_busybox() {
  local image=floe-test/busybox:1 busybox=/bin/busybox recipe
  [[ -x "$busybox" ]] && "$busybox" --list >/dev/null || {
    say "no $busybox: apt-get install busybox-static (.ci/containers.sh does)"
    return 1
  }
  dpkg-query -S "$busybox" 2>/dev/null | grep -q '^busybox-static:' || {
    say "$busybox is not statically linked: install busybox-static, not busybox"
    return 1
  }
  recipe=$({
    echo "busybox-recipe-1"
    sha256sum <"$busybox"
    sha256sum <"$JOB_SCRIPT"
    printf '%s\n' "${IMAGE_CHANGES[@]}"
  } | sha)
  if [[ "$(current_recipe "$image")" == "$recipe" ]]; then
    say "$image up to date ($recipe)"
    return 0
  fi
  local work=$WORK/busybox
  local rootfs=$work/rootfs
  mkdir -p "$rootfs"/{bin,etc,root,proc,sys,dev,tmp,usr/local/bin,var/tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" --owner=0 --group=0 --numeric-owner -cf "$work/rootfs.tar" .
  add_floe_job "$work/rootfs.tar"
  import_tar "$work/rootfs.tar" "$image" "$recipe"
  say "$image built ($recipe)"
}

# The python rootfs. Everything that shapes it is in these lines, and their hash names the cached tar.
PY_SUITE=bookworm # python3 = 3.11, the tag's promise
# shellcheck disable=SC2054  # the commas separate mmdebstrap's package list, not array elements
PY_MMDEBSTRAP=(
  --variant=essential
  --include=python3,ca-certificates
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --format=tar
)

debian_mirror() { # the host's own Debian mirror for PY_SUITE (whatever apt here is configured to use)
  local uri
  uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
    awk -v suite="$PY_SUITE" '$2 == suite { print $1; exit }')
  if [[ -z "$uri" ]]; then
    uri=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
      grep -v -- -security | head -n1)
  fi
  [[ -n "$uri" ]] || { say "no Debian mirror in apt's configuration (run apt-get update)"; return 1; }
  echo "deb $uri $PY_SUITE main"
}

python_rootfs() { # -> path of the cached rootfs tar, building it when absent
  local key tar
  key=$({
    echo "python-rootfs-1 $PY_SUITE"
    printf '%s\n' "${PY_MMDEBSTRAP[@]}"
  } | sha)
  tar=$CACHE/python-rootfs-$key.tar
  if [[ ! -s "$tar" ]]; then
    command -v mmdebstrap >/dev/null || {
      say "no mmdebstrap: apt-get install mmdebstrap (.ci/containers.sh does)"
      return 1
    }
    local mirror started=$SECONDS
    mirror=$(debian_mirror)
    say "building the python rootfs with mmdebstrap ($PY_SUITE; takes ~90 s once, then cached as $tar)"
    mmdebstrap --quiet "${PY_MMDEBSTRAP[@]}" "$PY_SUITE" "$tar.tmp" "$mirror" >&2
    mv -f "$tar.tmp" "$tar"
    say "python rootfs built in $((SECONDS - started)) s"
    # older rootfs tars (other recipes) are dead weight
    find "$CACHE" -maxdepth 1 -name 'python-rootfs-*.tar' ! -name "python-rootfs-$key.tar" -delete
  fi
  echo "$tar"
}

build_python() {
  local image=floe-test/python:3.11 rootfs recipe
  rootfs=$(python_rootfs)
  recipe=$({
    basename "$rootfs"
    sha256sum <"$JOB_SCRIPT"
    printf '%s\n' "${IMAGE_CHANGES[@]}"
  } | sha)
  if [[ "$(current_recipe "$image")" == "$recipe" ]]; then
    say "$image up to date ($recipe)"
    return 0
  fi
  local work=$WORK/python
  mkdir -p "$work"
  cp "$rootfs" "$work/rootfs.tar"
  add_floe_job "$work/rootfs.tar"
  import_tar "$work/rootfs.tar" "$image" "$recipe"
  say "$image built ($recipe)"
}

case "${1:-all}" in
  busybox) build_busybox ;;
  python) build_python ;;
  all) build_busybox && build_python ;;
  *)
    say "unknown image '${1}': busybox, python or all"
    exit 2
    ;;
esac
