#!/usr/bin/env bash
# Installs and starts the panlearn demo: Django on SQLite (ASGI), the task worker, the kernel runner and
# the demo courses, with production-like settings on loopback (panlearn/settings/demo.py).
# Usage: scripts/demo.sh            (PORT=8000 by default; Ctrl+C stops everything)
source "$(dirname "$0")/lib.sh"

PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
export DJANGO_SETTINGS_MODULE=panlearn.settings.demo
export PANLEARN_BASE_URL="http://$HOST:$PORT"

ensure_venv requirements.txt
check_sandbox_can_reach
mkdir -p var
say "Preparing the database (SQLite: db.sqlite3) and the datasets"
python manage.py migrate --noinput -v 0
python manage.py datasets sync > /dev/null
python manage.py datasets install > /dev/null  # verified copies the kernels mount at /data/<id>
python manage.py collectstatic --noinput -v 0

say "Starting the task worker and the sandboxed kernel runner"
# Exported first: the worker grades submissions through the runner, the web process runs cells with it.
export PANLEARN_RUNNER_SOCKET="$ROOT/var/runner.sock"
# The demo's queue is its database, whatever a shell may have set for a scale-out layout.
export PANLEARN_TASKS_BACKEND=database
# A short poll: a lone submission otherwise waits half a second on average before grading starts.
python manage.py db_worker --queue-name '*' --interval 0.1 --no-reload > var/worker.log 2>&1 &
WORKER_PID=$!
python -m runner serve > var/runner.log 2>&1 &
RUNNER_PID=$!
trap 'kill $WORKER_PID $RUNNER_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do [ -S "$PANLEARN_RUNNER_SOCKET" ] && break; kill -0 $RUNNER_PID 2>/dev/null || break; sleep 0.2; done
if ! kill -0 $RUNNER_PID 2>/dev/null; then
  printf '\033[1;33mThe kernel runner did not start, so code cells are off:\033[0m\n%s\n' "$(tail -n 3 var/runner.log)"
fi

say "Loading the demo content (its exercises are validated by the runner)"
python manage.py load_demo_content

cat <<MSG

  panlearn is running at  http://$HOST:$PORT/
  authoring (Wagtail)     http://$HOST:$PORT/admin/

  demo logins   student  / panlearn-student    enrolled in Neutron reflectometry; an invitation waits
                trainer  / panlearn-trainer    owns the reflectometry and data courses (gradebook, regrade)
                trainer2 / panlearn-trainer2   owns the masterclass only: another trainer's view
                facility / panlearn-facility   the demo facility's staff: invitations, who is ready
                admin    / panlearn-admin      superuser
  logs: var/worker.log, var/runner.log   ·   emails are printed here   ·   Ctrl+C stops

MSG
python -m uvicorn panlearn.asgi:application --host "$HOST" --port "$PORT" --log-level warning
