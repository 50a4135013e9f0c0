#!/usr/bin/env bash
# Run the hub the embedded way: SQLite in ./instance, one process, emails to the local mailbox
# (/dev/mailbox). Creates .venv and installs the app's requirements (requirements.txt, not the
# tests') on the first run, applies the migrations, seeds the demo once, prints the demo logins
# and serves until Ctrl-C / SIGTERM.
#   PORT=8080 bash scripts/run.sh     # another port
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PORT="${PORT:-5000}"
export HUB_INLINE_WORKER="${HUB_INLINE_WORKER:-1}"
# Links in emails and the websocket origin check use this address.
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:${PORT}}"
.venv/bin/python -m flask --app wsgi db upgrade
.venv/bin/python -m flask --app wsgi hub seed-demo --if-empty
echo
echo "Clearance Hub on http://127.0.0.1:${PORT}  (Ctrl-C to stop)"
exec .venv/bin/python -m flask --app wsgi hub serve --host 127.0.0.1 --port "${PORT}"
