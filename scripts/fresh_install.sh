#!/usr/bin/env bash
# The fresh-install stage of scripts/test.sh (run alone: scripts/fresh_install.sh).
# Clones the committed tree into a scratch folder, where the README's demo command builds a venv from
# requirements.txt alone (no test extras) and starts the demo on a free port with no database and no
# var/; then tests/smoke/ speaks to it over HTTP, and everything the demo started is stopped by its
# process group. A runtime import missing from requirements.txt fails here.
source "$(dirname "$0")/lib.sh"

TEST_PYTHON="$VENV/bin/python"
[ -x "$TEST_PYTHON" ] || die "Run scripts/test.sh first: the smoke test runs in the test venv ($VENV)."
START_TIMEOUT="${PANLEARN_FRESH_START_TIMEOUT:-900}"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/panlearn-fresh.XXXXXX")"
chmod 755 "$SCRATCH"  # as a clone's folder usually is: the kernel sandboxes' unprivileged uid reads it
DEMO_PID=""

stop_demo() {
  if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill -TERM -- "-$DEMO_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$DEMO_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$SCRATCH"
}
trap stop_demo EXIT

git clone -q --no-hardlinks "$ROOT" "$SCRATCH/panlearn"
[ -z "$(git status --porcelain --untracked-files=no)" ] \
  || say "Note: the fresh-install stage tests the committed tree (HEAD), not uncommitted changes."
PORT="$("$TEST_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"

say "Fresh install: scripts/demo.sh in a clean clone, venv from requirements.txt only ($SCRATCH)"
started=$(date +%s)
# setsid: the demo leads a process group of its own, so one signal stops it and all it started.
(cd "$SCRATCH/panlearn" && PANLEARN_VENV="$SCRATCH/venv" PORT="$PORT" exec setsid scripts/demo.sh) \
  > "$SCRATCH/demo.log" 2>&1 < /dev/null &
DEMO_PID=$!
until curl -fsS -o /dev/null "$URL/"; do
  if ! kill -0 "$DEMO_PID" 2>/dev/null || [ $(( $(date +%s) - started )) -gt "$START_TIMEOUT" ]; then
    tail -n 40 "$SCRATCH/demo.log" >&2
    die "The demo did not serve its home page (log above)."
  fi
  sleep 1
done
say "The demo served its home page after $(( $(date +%s) - started )) s; smoke test against $URL"

mkdir -p var/test-results
status=0
PANLEARN_DEMO_URL="$URL" PANLEARN_DEMO_DIR="$SCRATCH/panlearn" \
  "$VENV/bin/pytest" tests/smoke -p no:xdist -q --junitxml=var/test-results/fresh-install.xml || status=$?
if [ "$status" != 0 ]; then
  say "Demo log (last lines):"; tail -n 30 "$SCRATCH/demo.log" >&2
  for log in worker runner; do say "var/$log.log:"; tail -n 20 "$SCRATCH/panlearn/var/$log.log" >&2 || true; done
fi
exit "$status"
