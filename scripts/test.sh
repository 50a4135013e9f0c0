#!/usr/bin/env bash
# Install the app's and the tests' requirements and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --dev
exec .venv/bin/python -m pytest "$@"
