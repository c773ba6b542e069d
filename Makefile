# The two commands of the README: `make dev` runs the system, `make test` runs the tests.
# Both create the project's virtualenv on first use (and refresh it when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test lint typecheck browser ocr-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/verachain dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The browser tests (tests/e2e/test_dashboard.py) drive Debian's chromium through playwright;
# `playwright install` downloads its own build, which cannot work here. Installed once.
# A failed install is said loudly and the browser test then skips, saying why.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes \
		apt-get install -y -qq chromium >/dev/null) || \
		echo "WARNING: could not install chromium; the dashboard browser test will be skipped" >&2

# The OCR tests render labels in Noto CJK (Chinese, Korean) and read Korean with tesseract's
# `kor` data. Installed once; a failed install is said loudly and those tests then skip,
# saying why (the Latin font, DejaVu, comes with the base system).
ocr-deps:
	@(fc-list :lang=zh | grep -q . && tesseract --list-langs 2>/dev/null | grep -qx kor) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes \
		apt-get install -y -qq fonts-noto-cjk tesseract-ocr tesseract-ocr-kor >/dev/null) || \
		echo "WARNING: could not install fonts-noto-cjk/tesseract-ocr-kor; the Chinese and Korean OCR tests will be skipped" >&2

test: lint typecheck browser ocr-deps
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/verachain bench write --json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
