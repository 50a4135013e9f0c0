.PHONY: run test lint bench
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
lint:
	.venv/bin/python -m ruff check .
bench:
	.venv/bin/python -m bench
