#!/usr/bin/env bash
# The slow image tier (not part of scripts/test.sh): builds the catalog and
# search images with podman from deploy/docker/*.Dockerfile on a Debian
# bookworm base made here with debootstrap (no registry pulls), then runs them
# the way the rendered dev overlay says a kubelet would: its args (ConfigMap
# values through $(VAR)), numeric user, read-only root, all capabilities
# dropped, no new privileges, a volume at each volumeMount; it polls the
# startup probe as declared (native gRPC health on the numeric port), imports
# the seed film, searches it through the search port, then stops each
# container as the kubelet would (preStop sleep, SIGTERM) and checks the drain
# ends within terminationGracePeriodSeconds and the acknowledged write
# survives a restart on the same volume.
#
#   scripts/test-images.sh            # needs root; installs podman, buildah,
#                                     # runc, debootstrap when missing
#   REEL_REBUILD_BASE=1 scripts/test-images.sh   # re-debootstrap the base
#   REEL_SKIP_BUILD=1 scripts/test-images.sh     # run the images already in
#                                     # podman's storage (no rebuild)
#
# Podman runs as root with runc and the cgroupfs manager from a containers.conf
# written to a temp dir (CONTAINERS_CONF). Each container gets its own network
# namespace on podman's default bridge (like a pod), its port published on a
# free loopback port; search reaches the catalog as reel-catalog:50051 through
# an /etc/hosts entry for the catalog container's IP (standing in for the
# Service's DNS name).
#
# Not in CI. Measured here: 25 s with REEL_SKIP_BUILD=1; about 3 minutes when
# the sources changed (apt layers cached, the compile step re-runs); about
# 4.5 minutes when the apt layers rebuild too; plus the one-time debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
[[ $(id -u) -eq 0 ]] || { echo "test-images: run as root" >&2; exit 1; }
start=$(date +%s)
log() { echo "test-images [$(( $(date +%s) - start ))s]: $*"; }

need=()
for tool in podman:podman buildah:buildah runc:runc debootstrap:debootstrap; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
if [[ ${#need[@]} -gt 0 ]]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
/usr/bin/python3 -c 'import grpc' 2>/dev/null ||  # the gRPC health probe below
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-grpcio >/dev/null
[[ -x build/tools/reelctl/reelctl ]] || cmake --build "${REEL_BUILD_DIR:-build}" --target reelctl >/dev/null
REELCTL=$REPO/${REEL_BUILD_DIR:-build}/tools/reelctl/reelctl
(cd deploy/tests && [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d /var/tmp/reel-images.XXXXXX)
containers=()
cleanup() {
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# Container rlimits. Podman 4.3 asks the runtime for RLIMIT_NOFILE 1048576 by
# default (and, once any ulimit is set, RLIMIT_NPROC 4194304); runc (like crun)
# sets them on the container's init process, and raising a hard limit needs
# CAP_SYS_RESOURCE. Where root lacks it (this sandbox: `runc create failed:
# ... error setting rlimit type 7 (then 6): operation not permitted`) the run
# fails, so ask for no more than podman itself holds: the hard NOFILE limit of
# this shell, and at most 32768 processes (podman lowers its own NPROC to that;
# measured in /proc/<podman pid>/limits). Only this harness needs it: Kubernetes
# has no rlimit field; the node's runtime decides.
# crun is no way out here: with cgroup v1 plus a cgroup2 mount holding a
# controller it refuses to start ("cgroups in hybrid mode not supported"), even
# with --cgroups=disabled.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
[[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
cat >"$work/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
CONF
export CONTAINERS_CONF=$work/containers.conf

# 1. A bookworm base image from the Debian archive this machine's apt uses.
BASE=localhost/reel/bookworm-base:latest
if [[ -n ${REEL_REBUILD_BASE:-} ]] || ! podman image exists "$BASE"; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
  log "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE" >/dev/null
  rm -rf "$work/rootfs"
fi
log "base image $BASE ready"

# 2. Build both images from a clean copy of the tracked (and new, unignored)
#    sources, so build trees and local data stay out of the context.
mkdir "$work/context"
git ls-files -z --cached --others --exclude-standard |
  xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
  tar --null -T - -c | tar -C "$work/context" -x
for svc in catalog search; do
  if [[ -n ${REEL_SKIP_BUILD:-} ]] && podman image exists "localhost/reel/$svc-service:dev"; then
    log "REEL_SKIP_BUILD: using the existing localhost/reel/$svc-service:dev"
  else
    log "building localhost/reel/$svc-service:dev"
    podman build --network host --build-arg BASE_IMAGE="$BASE" \
      --build-arg REEL_VERSION="$(head -n 1 VERSION)" \
      --build-arg REEL_COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
      -f "deploy/docker/$svc.Dockerfile" -t "localhost/reel/$svc-service:dev" \
      "$work/context" >"$work/build-$svc.log" 2>&1 || { tail -40 "$work/build-$svc.log"; exit 1; }
  fi
  size=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{.Size}}')
  user=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{.Config.User}}')
  entry=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{json .Config.Entrypoint}}')
  log "$svc image: $((size / 1024 / 1024)) MiB, user $user, entrypoint $entry"
  label=$(podman image inspect "localhost/reel/$svc-service:dev" \
    --format '{{index .Labels "org.opencontainers.image.version"}}')
  [[ $label == "$(head -n 1 VERSION)" ]] ||
    { echo "$svc image: version label '$label', VERSION says $(head -n 1 VERSION)" >&2; exit 1; }
  [[ $user == 65532:65532 ]] || { echo "image user is '$user', expected 65532:65532" >&2; exit 1; }
  [[ $entry == '["/usr/local/bin/'$svc'-service"]' ]] || { echo "entrypoint not exec form: $entry" >&2; exit 1; }
done

# 3. Run them as the dev overlay's pod specs say.
health() {  # HOST_PORT SERVICE -> prints SERVING / NOT_SERVING / UNKNOWN / error
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, grpc
port, service = sys.argv[1], sys.argv[2].encode()
req = b"\x0a" + bytes([len(service)]) + service if service else b""
try:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        resp = ch.unary_unary("/grpc.health.v1.Health/Check")(req, timeout=2)
    code = resp[1] if len(resp) >= 2 and resp[0] == 0x08 else 0
    print({0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING"}.get(code, "UNKNOWN"))
except grpc.RpcError as e:
    print("error:" + e.code().name)
PY
}
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

declare -A SPEC
declare -A image_of=([catalog]=catalog-service [search]=search-service)
run_pod() {  # NAME KIND WORKLOAD -> starts the container, runs its startup probe
  local name=$1 kind=$2 workload=$3 args=() mounts=() key value
  local grace prestop port probe_service period failures user readonly drop_all
  while read -r key value; do
    case $key in
      ARG) args+=("$value") ;;
      MOUNT) mounts+=("$value") ;;
      USER) user=$value ;; PORT) port=$value ;; PROBE_SERVICE) probe_service=$value ;;
      STARTUP_PERIOD) period=$value ;; STARTUP_FAILURES) failures=$value ;;
      GRACE) grace=$value ;; PRESTOP_SLEEP) prestop=$value ;;
      READONLY_ROOT) readonly=$value ;; DROP_ALL) drop_all=$value ;;
    esac
  done < <(node deploy/tests/lib/podspec-cli.mjs dev "$kind" "$workload")
  [[ $readonly == true && $drop_all == true && $user =~ ^[1-9][0-9]*:[0-9]+$ ]] ||
    { echo "$workload: expected a read-only root, drop ALL and a numeric non-root user" >&2; return 1; }
  local hostport; hostport=$(free_port)
  SPEC[$name.grace]=$grace SPEC[$name.prestop]=$prestop SPEC[$name.hostport]=$hostport
  local volume_args=() m
  for m in "${mounts[@]}"; do
    if [[ $m == /tmp ]]; then volume_args+=(--tmpfs "/tmp:rw,size=64m,mode=1777")
    else  # the PVC / emptyDir: a host directory that outlives the container
      mkdir -p "$work/volumes/$name$m" && chown "$user" "$work/volumes/$name$m"
      volume_args+=(-v "$work/volumes/$name$m:$m:rw")
    fi
  done
  local hosts=()  # the Service name search dials, resolved to the catalog pod
  [[ -n ${SPEC[catalog.ip]:-} ]] && hosts=(--add-host "reel-catalog:${SPEC[catalog.ip]}")
  podman rm -f -t 0 "reel-test-$name" >/dev/null 2>&1 || true
  containers+=("reel-test-$name")
  local t0; t0=$(date +%s%N)
  podman run -d --name "reel-test-$name" -p "127.0.0.1:$hostport:$port" "${hosts[@]}" \
    --user "$user" --read-only --read-only-tmpfs=false --cap-drop ALL \
    --security-opt no-new-privileges "${volume_args[@]}" \
    "localhost/reel/${image_of[$name]}:dev" "${args[@]}" >/dev/null
  SPEC[$name.ip]=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "reel-test-$name")
  # The startup probe as declared: every `period` s, up to `failures` times.
  local i status
  for ((i = 1; i <= failures; i++)); do
    status=$(health "$hostport" "$probe_service")
    if [[ $status == SERVING ]]; then
      log "$name: up at ${SPEC[$name.ip]}:$port (127.0.0.1:$hostport), startup probe SERVING on try $i, $(ms_since "$t0") ms after start"
      return 0
    fi
    [[ $(podman inspect -f '{{.State.Running}}' "reel-test-$name") == true ]] ||
      { podman logs "reel-test-$name" 2>&1 | tail -20; echo "$name exited" >&2; return 1; }
    sleep "$period"
  done
  podman logs "reel-test-$name" 2>&1 | tail -20; echo "$name never became SERVING ($status)" >&2; return 1
}
stop_pod() {  # NAME: preStop sleep, then SIGTERM and SIGKILL after the rest of the grace period
  local name=$1 t0 rc
  sleep "${SPEC[$name.prestop]}"
  t0=$(date +%s%N)
  podman stop -t "$(( SPEC[$name.grace] - SPEC[$name.prestop] ))" "reel-test-$name" >/dev/null
  rc=$(podman inspect -f '{{.State.ExitCode}}' "reel-test-$name")
  log "$name: exited with code $rc $(ms_since "$t0") ms after SIGTERM (grace ${SPEC[$name.grace]}s incl. ${SPEC[$name.prestop]}s preStop)"
  # 137 = SIGKILL: the drain overran the grace period.
  [[ $rc == 0 ]] || { podman logs "reel-test-$name" 2>&1 | tail -20; echo "$name did not exit cleanly" >&2; return 1; }
}

run_pod catalog StatefulSet reel-catalog
CATALOG=127.0.0.1:${SPEC[catalog.hostport]}
"$REELCTL" --catalog="$CATALOG" import ../shared/seed/the-red-shoes.txt
"$REELCTL" --catalog="$CATALOG" films list --all | grep -q '"The Red Shoes"' ||
  { echo "the catalog does not list the imported film" >&2; exit 1; }
log "imported the seed film through $CATALOG"
run_pod search Deployment reel-search  # SERVING only once its first snapshot is applied
SEARCH=127.0.0.1:${SPEC[search.hostport]}
out=$("$REELCTL" --search="$SEARCH" search red shoes dance --max 3)
echo "$out" | head -5
grep -qi "red shoes" <<<"$out" || { echo "search did not find the seed film" >&2; exit 1; }
log "search found the seed film through $SEARCH"
stop_pod search
stop_pod catalog
# The acknowledged import must survive the drain: restart on the same volume.
run_pod catalog StatefulSet reel-catalog
"$REELCTL" --catalog="127.0.0.1:${SPEC[catalog.hostport]}" films list --all | grep -q '"The Red Shoes"' ||
  { echo "the imported film is gone after the restart" >&2; exit 1; }
log "catalog restarted on its volume with the imported film"
stop_pod catalog
log "passed in $(( $(date +%s) - start ))s"
