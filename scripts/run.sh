#!/usr/bin/env bash
# Run the hub the embedded way: SQLite, one process, emails to the local mailbox (/dev/mailbox).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HUB_INLINE_WORKER="${HUB_INLINE_WORKER:-1}"
.venv/bin/python -m flask --app wsgi db upgrade
.venv/bin/python -m flask --app wsgi hub seed-demo --if-empty
echo "Clearance Hub on http://127.0.0.1:${PORT:-5000}  (Ctrl-C to stop)"
exec .venv/bin/python -m flask --app wsgi hub serve --host 127.0.0.1 --port "${PORT:-5000}"
