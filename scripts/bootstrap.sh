#!/usr/bin/env bash
# Create .venv and install the pinned requirements: what the app needs (requirements.txt) and,
# with --dev, the tests' and tools' too (requirements-dev.txt). Each set is installed again only
# when one of its files changed since its last install.
#   bash scripts/bootstrap.sh          # the app (scripts/run.sh, production)
#   bash scripts/bootstrap.sh --dev    # the app, tests, benchmark and linters (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Clearance Hub needs Python 3.11 or newer; set PYTHON=/path/to/python3.11 (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
case "${1:-}" in
  "") dev=0 ;;
  --dev) dev=1 ;;
  *) echo "usage: bash scripts/bootstrap.sh [--dev]" >&2; exit 2 ;;
esac

# True when the stamp file is missing or older than one of the requirement files after it.
outdated() {
  local stamp="$1" file
  shift
  [ -f "$stamp" ] || return 0
  for file in "$@"; do
    [ "$file" -nt "$stamp" ] && return 0
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if outdated .venv/.installed requirements.txt; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  touch .venv/.installed
fi
if [ "$dev" = 1 ] && outdated .venv/.installed-dev requirements.txt requirements-dev.txt; then
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
  touch .venv/.installed-dev
fi
# The message catalogues (.mo) are built from their sources (hub/translations/*/LC_MESSAGES/*.po)
# on every bootstrap, never committed: a binary file each branch rebuilds cannot be merged.
.venv/bin/pybabel -q compile -d hub/translations
