#!/usr/bin/env bash
# Real containers for floe's tests on a fresh Debian machine, as root, without a Docker engine:
#   1. installs Debian's podman with runc (crun fails on this VM's cgroup v1/v2 hybrid) and the tools the
#      test images are built with (busybox-static, mmdebstrap);
#   2. writes containers.conf (and storage.conf only if the overlay driver fails) under the checkout's
#      ignored state dir, sized to what this VM allows;
#   3. starts podman's Docker-compatible API (`podman system service`) on a socket in that dir, unless it
#      already answers, so that the docker SDK and dagster-docker's PipesDockerClient can use it.
# Idempotent: a re-run installs nothing and starts nothing when all is in place.
# The last line printed is `DOCKER_HOST=unix://...`; `.containers/env` holds the same for `source`.
#
#   .ci/containers.sh               install (if needed), configure, start
#   .ci/containers.sh --no-install  configure and start only (what the test helper calls: it never apt-installs)
#
# Settings live in the checkout (not /etc/containers) so that nothing outside the repo changes, CI's fresh
# clone gets its own, and two checkouts on one machine don't overwrite each other's configuration. The cost:
# every podman command must see CONTAINERS_CONF (and CONTAINERS_STORAGE_CONF when written) — `source
# .containers/env` sets them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${FLOE_CONTAINERS_DIR:-$ROOT/.containers}
SOCK=$STATE/podman.sock
CONF=$STATE/containers.conf
STORAGE_CONF=$STATE/storage.conf
ENV_FILE=$STATE/env
PIDFILE=$STATE/service.pid
SERVICE_LOG=$STATE/service.log

INSTALL=1
[[ "${1:-}" == "--no-install" ]] && INSTALL=0

say() { echo "containers: $*" >&2; }

# --- 1. packages ------------------------------------------------------------------------------------------
# runc explicitly: podman depends on "crun | runc" and crun fails here. No recommends: they pull crun-free
# extras (buildah, fuse-overlayfs, dbus-user-session) this root, ext4-backed setup does not use. curl: the
# socket check below.
PACKAGES=(podman runc conmon uidmap slirp4netns catatonit busybox-static mmdebstrap curl)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if ((INSTALL == 0)); then
    say "missing Debian packages: ${missing[*]} (run .ci/containers.sh as root to install them)"
    exit 3
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # another apt (a parallel setup) may hold dpkg's lock: wait for it rather than fail
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. configuration -------------------------------------------------------------------------------------
mkdir -p "$STATE"
# one setup at a time per checkout (parallel test workers call this at once)
exec 8>"$STATE/setup.lock"
flock 8

# The VM lacks CAP_SYS_RESOURCE: podman's default ulimits (raised above the hard limit) fail with
# `setrlimit RLIMIT_NOFILE: operation not permitted`. Ask for exactly this machine's hard limits, which
# a process may always set without the capability.
limit() {
  local value
  value=$(ulimit -H "$1")
  [[ "$value" == unlimited ]] && value=1048576
  echo "$value"
}
NOFILE=$(limit -n)
NPROC=$(limit -u)
# ...and podman itself (containers/common's getDefaultProcessLimits) lowers its own RLIMIT_NPROC to
# kernel.pid_max at start, so more than pid_max fails too (`error setting rlimit type 6: operation not
# permitted`) even when `ulimit -Hu` is higher.
PID_MAX=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$NPROC")
((PID_MAX < NPROC)) && NPROC=$PID_MAX
# No systemd as PID 1 here: podman's systemd cgroup manager and journald events logger both fail.
if [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
  CGROUP_MANAGER=systemd
else
  CGROUP_MANAGER=cgroupfs
fi

write_if_changed() { # path: replaces the file with stdin only when the content differs (keeps re-runs quiet)
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if [[ -f "$1" ]] && cmp -s "$tmp" "$1"; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$1"
}

conf_changed=0
write_if_changed "$CONF" <<EOF && conf_changed=1
# Written by .ci/containers.sh for this machine; do not edit (re-run the script).
[containers]
# = this machine's hard limits (ulimit -Hn, min(ulimit -Hu, kernel.pid_max)): no CAP_SYS_RESOURCE to go above them
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]

[engine]
runtime = "runc"
cgroup_manager = "$CGROUP_MANAGER"
events_logger = "file"
events_logfile_path = "$STATE/events.log"
EOF
export CONTAINERS_CONF=$CONF

# The default overlay driver works on ext4; where it does not (overlay on overlay, old kernels), fall back
# to vfs — slower and larger, but it works everywhere. Probed once; the answer is kept in storage.conf.
if [[ ! -f "$STATE/storage.probed" ]]; then
  if ! probe=$(podman info --format '{{.Store.GraphDriverName}}' 2>&1); then
    say "podman info failed with the default storage driver: $probe"
    say "falling back to the vfs storage driver ($STORAGE_CONF)"
    cat >"$STORAGE_CONF" <<EOF
# Written by .ci/containers.sh: the overlay driver failed here ($probe)
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage-vfs"
EOF
  fi
  touch "$STATE/storage.probed"
fi
if [[ -f "$STORAGE_CONF" ]]; then
  export CONTAINERS_STORAGE_CONF=$STORAGE_CONF
fi

{
  echo "export CONTAINERS_CONF=$CONF"
  [[ -f "$STORAGE_CONF" ]] && echo "export CONTAINERS_STORAGE_CONF=$STORAGE_CONF"
  echo "export DOCKER_HOST=unix://$SOCK"
} | write_if_changed "$ENV_FILE" || true

# --- 3. the API service -----------------------------------------------------------------------------------
answers() { # GET /_ping, as the docker SDK's DockerClient.ping() does
  [[ -S "$SOCK" ]] && [[ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" == OK ]]
}

stop_ours() {
  if [[ -f "$PIDFILE" ]]; then
    local pid
    pid=$(cat "$PIDFILE")
    # only the process this script started (its pid, checked to still be a podman service)
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "system service"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$PIDFILE"
  fi
}

if answers && ((conf_changed == 0)); then
  say "podman API already answering on $SOCK"
else
  # a changed configuration needs a new service; a socket left by a dead one must go
  stop_ours
  rm -f "$SOCK"
  # setsid + nohup: the service outlives this script (and `make test`'s shell); --time=0: never idles out
  # 8>&-: the service must not inherit (and so hold forever) the setup lock
  setsid nohup podman system service --time=0 "unix://$SOCK" >>"$SERVICE_LOG" 2>&1 </dev/null 8>&- &
  echo $! >"$PIDFILE"
  for _ in $(seq 100); do
    answers && break
    sleep 0.1
  done
  if ! answers; then
    say "podman API did not answer on $SOCK within 10 s; its log ($SERVICE_LOG) ends with:"
    tail -n 20 "$SERVICE_LOG" >&2 || true
    exit 4
  fi
  say "podman API started on $SOCK (pid $(cat "$PIDFILE"))"
fi

echo "DOCKER_HOST=unix://$SOCK"
