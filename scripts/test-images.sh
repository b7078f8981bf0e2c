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
#
# Podman runs as root with runc and the cgroupfs manager from a containers.conf
# written to a temp dir (CONTAINERS_CONF), with host networking.
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
cat >"$work/containers.conf" <<'CONF'
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
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
  log "building localhost/reel/$svc-service:dev"
  podman build --network host --build-arg BASE_IMAGE="$BASE" \
    -f "deploy/docker/$svc.Dockerfile" -t "localhost/reel/$svc-service:dev" \
    "$work/context" >"$work/build-$svc.log" 2>&1 || { tail -40 "$work/build-$svc.log"; exit 1; }
  size=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{.Size}}')
  user=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{.Config.User}}')
  entry=$(podman image inspect "localhost/reel/$svc-service:dev" --format '{{json .Config.Entrypoint}}')
  log "$svc image: $((size / 1024 / 1024)) MiB, user $user, entrypoint $entry"
  [[ $user == 65532:65532 ]] || { echo "image user is '$user', expected 65532:65532" >&2; exit 1; }
  [[ $entry == '["/usr/local/bin/'$svc'-service"]' ]] || { echo "entrypoint not exec form: $entry" >&2; exit 1; }
done

# 3. Run them as the dev overlay's pod specs say.
health() {  # PORT SERVICE -> prints SERVING / NOT_SERVING / UNKNOWN / error
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

declare -A SPEC
run_pod() {  # NAME KIND WORKLOAD -> starts the container, waits for startup
  local name=$1 kind=$2 workload=$3 args=() mounts=() line
  local grace prestop port probe_service period failures user
  while read -r key value; do
    case $key in
      ARG) args+=("$value") ;;
      MOUNT) mounts+=("$value") ;;
      USER) user=$value ;; PORT) port=$value ;; PROBE_SERVICE) probe_service=$value ;;
      STARTUP_PERIOD) period=$value ;; STARTUP_FAILURES) failures=$value ;;
      GRACE) grace=$value ;; PRESTOP_SLEEP) prestop=$value ;;
    esac
  done < <(node deploy/tests/lib/podspec-cli.mjs dev "$kind" "$workload")
  SPEC[$name.grace]=$grace SPEC[$name.prestop]=$prestop SPEC[$name.port]=$port
  local volume_args=()
  for m in "${mounts[@]}"; do
    if [[ $m == /tmp ]]; then volume_args+=(--tmpfs "/tmp:rw,size=64m,mode=1777")
    else
      mkdir -p "$work/volumes/$name$m" && chown "$user" "$work/volumes/$name$m"
      volume_args+=(-v "$work/volumes/$name$m:$m:rw")
    fi
  done
  podman rm -f -t 0 "reel-test-$name" >/dev/null 2>&1 || true
  containers+=("reel-test-$name")
  # KNOWN ISSUE (this sandbox): runc's container init is refused setrlimit
  # (NOFILE, then NPROC) even at the host's own values, so the run step fails
  # here although the images build; on a normal host it does not.
  podman run -d --name "reel-test-$name" --network host --add-host reel-catalog:127.0.0.1 --ulimit host \
    --user "$user" --read-only --read-only-tmpfs=false --cap-drop ALL \
    --security-opt no-new-privileges "${volume_args[@]}" \
    "localhost/reel/${image_of[$name]}:dev" "${args[@]}" >/dev/null
  # The startup probe as declared: every `period` s, up to `failures` times.
  local i status
  for ((i = 1; i <= failures; i++)); do
    status=$(health "$port" "$probe_service")
    [[ $status == SERVING ]] && { log "$name: startup probe SERVING after $i tries"; return 0; }
    [[ $(podman inspect -f '{{.State.Running}}' "reel-test-$name") == true ]] ||
      { podman logs "reel-test-$name" | tail -20; echo "$name exited" >&2; return 1; }
    sleep "$period"
  done
  podman logs "reel-test-$name" | tail -20; echo "$name never became SERVING ($status)" >&2; return 1
}
stop_pod() {  # NAME: preStop sleep, SIGTERM, wait at most grace - preStop
  local name=$1 t0 rc
  sleep "${SPEC[$name.prestop]}"
  t0=$(date +%s%N)
  podman kill --signal TERM "reel-test-$name" >/dev/null
  rc=$(timeout "$(( SPEC[$name.grace] - SPEC[$name.prestop] ))" podman wait "reel-test-$name") ||
    { echo "$name did not exit within its grace period" >&2; return 1; }
  log "$name: drained and exited (code $rc) $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM (grace ${SPEC[$name.grace]}s incl. ${SPEC[$name.prestop]}s preStop)"
  [[ $rc == 0 ]] || { podman logs "reel-test-$name" | tail -20; return 1; }
}
declare -A image_of=([catalog]=catalog-service [search]=search-service)

run_pod catalog StatefulSet reel-catalog
"$REELCTL" --catalog=127.0.0.1:${SPEC[catalog.port]} import ../shared/seed/the-red-shoes.txt
run_pod search Deployment reel-search
out=$("$REELCTL" --search=127.0.0.1:${SPEC[search.port]} search red shoes dance --max 3)
echo "$out" | head -5
grep -qi "red shoes" <<<"$out" || { echo "search did not find the seed film" >&2; exit 1; }
log "search found the seed film through port ${SPEC[search.port]}"
stop_pod search
stop_pod catalog
# The acknowledged import must survive the drain: restart on the same volume.
run_pod catalog StatefulSet reel-catalog
"$REELCTL" --catalog=127.0.0.1:${SPEC[catalog.port]} films get the-red-shoes | grep -q '"title"' ||
  { echo "the imported film is gone after the restart" >&2; exit 1; }
log "catalog restarted on its volume with the imported film"
stop_pod catalog
log "passed in $(( $(date +%s) - start ))s"
