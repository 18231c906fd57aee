#!/usr/bin/env bash
# respawn.sh COMMAND...: run COMMAND, and run it again a second after it exits, until this script is told to
# stop (TERM or INT, passed on to COMMAND). For process managers without a restart policy (honcho).
child=""
stop() { [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0; }
trap stop TERM INT
while true; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  echo "respawn: '$*' exited with status $status; starting it again in 1 s" >&2
  sleep 1
done
