#!/usr/bin/env bash
# Start N interviewer replicas on one machine, all on one history, on consecutive ports from BASE_PORT
# (default 7861), for nginx in front (deploy/nginx.conf). Each logs to LOG_DIR/replica-<port>.log;
# Ctrl+C stops them all.
#
#   INTERVIEWER_DATABASE_URL=postgresql+psycopg://interviewer:PASSWORD@db-host/interviewer \
#   INTERVIEWER_DATA_DIR=/srv/interviewer INTERVIEWER_USERS=/srv/interviewer/users.txt \
#   deploy/run-replicas.sh 2
#
# They share the history in INTERVIEWER_DATABASE_URL (PostgreSQL; replicas on other machines can use the same
# one). Without it they share the SQLite file in INTERVIEWER_DATA_DIR, which works for processes on one machine
# only. INTERVIEWER_DATA_DIR also holds the key that signs browser ids: give every replica the same one.
# Set INTERVIEWER_USERS too, so that people log in and their history follows them across replicas.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-2}"
base="${BASE_PORT:-7861}"
logs="${LOG_DIR:-${INTERVIEWER_DATA_DIR:-.}/logs}"
python="${PYTHON:-.venv/bin/python}"
# Behind a proxy the replicas listen on 127.0.0.1 but serve others: a login is required, browsers' LLM
# settings are off, and a typed base URL may not reach internal hosts (see README, Security).
export INTERVIEWER_HOSTED="${INTERVIEWER_HOSTED:-1}"
export INTERVIEWER_TRUSTED_PROXIES="${INTERVIEWER_TRUSTED_PROXIES:-127.0.0.1,::1}"  # nginx on this machine: its X-Forwarded-For counts
mkdir -p "$logs"
"$python" -m interviewer db upgrade  # the schema once, before any replica serves (each would also check it)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for ((i = 0; i < count; i++)); do
  port=$((base + i))
  GRADIO_SERVER_PORT="$port" "$python" app.py >"$logs/replica-$port.log" 2>&1 &
  pids+=("$!")
  echo "replica $((i + 1)) of $count on 127.0.0.1:$port (log: $logs/replica-$port.log)"
done
wait
