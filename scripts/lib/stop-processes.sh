# shellcheck shell=bash
# Sourced by the test tiers that start services (test-clients.sh,
# test-monitoring.sh).
#
# stop_processes PID...: SIGTERM to each (the services drain on it), then
# waits for each; whatever has not exited 30 s after SIGTERM is killed. Never
# fails, so an EXIT trap can call it before exiting with its own status.
stop_processes() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  return 0
}
