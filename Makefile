# The two README commands: `make demo` and `make test`. Everything installs into .venv from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .uv/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

.uv/bin/uv:
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (CI images often do), every command
# would otherwise compile Prefect's ~1 200 modules again (about 4 s of each `policywatch run`).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	$(BIN)/python -m compileall -q flows parsers warehouse >/dev/null
	touch $@

install: $(VENV)/.installed

# One Prefect server for the demo and after it (its UI shows the runs): `policywatch server stop` ends it.
demo: install
	$(BIN)/policywatch server start
	$(BIN)/policywatch run
	$(BIN)/policywatch digest --week $$($(BIN)/python -c "from warehouse.weeks import current_week_now; print(current_week_now())")

test: install
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) || echo "no chromium: the digest browser and browser-fetch tests will skip"
	command -v antiword >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq antiword) || echo "no antiword: the DOC cross-check and its bench peer will skip"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict parsers warehouse
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict parsers warehouse

clean:
	rm -rf $(VENV) .uv .pytest_cache .ruff_cache
