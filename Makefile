# One-command set-up: every target creates .venv and installs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Ultralytics depends on opencv-python (GUI build) and easyocr on the headless one; both
# ship a cv2 package, and two side by side break each other. Keep exactly one.
OPENCV := opencv-python-headless==4.14.0.94
export YOLO_OFFLINE := 1
export YOLO_CONFIG_DIR := $(CURDIR)/var/ultralytics
export HF_HUB_OFFLINE := 1

.PHONY: install test lint typecheck pytest demo browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip uninstall --yes --quiet opencv-python opencv-contrib-python opencv-python-headless
	$(PY) -m pip install --quiet --no-deps '$(OPENCV)'
	$(PY) -c "import cv2, torch, torchvision, ultralytics, easyocr; print('cv2', cv2.__version__, 'torch', torch.__version__)"
	@$(MAKE) --no-print-directory browser
	@touch $(STAMP)

# The console's end-to-end tests drive Debian's Chromium through Playwright (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the console's browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: chromium could not be installed; browser tests will be skipped"; }

lint: $(STAMP)
	$(VENV)/bin/ruff check anpr api db tests
	$(VENV)/bin/ruff format --check anpr api db tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy anpr api db

pytest: $(STAMP)
	$(VENV)/bin/pytest

test: lint typecheck pytest

# The main job on the embedded default (SQLite under var/): render a synthetic gate scenario,
# run the real pipeline on it, import declarations, cross-check, then serve the API and console.
demo: $(STAMP)
	$(VENV)/bin/anpr demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
