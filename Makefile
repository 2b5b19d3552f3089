# The two commands a new user runs: `make demo` and `make test`.
# Both create .venv when missing and install torch==2.13.0 first (the CPU build
# on this machine's disk), then the package, so nothing pulls a CUDA build.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= demo-output

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint venv browser tmux clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's chromium for the browser tests; never a downloaded browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null)) \
	     && echo "installed Debian's chromium"; \
	  else echo "chromium missing and not root: browser tests will skip (apt-get install chromium)"; fi; }

# tmux for the `monitor watch` pane test.
tmux:
	@command -v tmux >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y --no-install-recommends tmux >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends tmux >/dev/null)) \
	     && echo "installed tmux"; \
	  else echo "tmux missing and not root: the watch-in-tmux test will skip (apt-get install tmux)"; fi; }

demo: $(STAMP)
	$(BIN)/modelexport export all-MiniLM-L6-v2 -o $(DEMO_DIR)/all-MiniLM-L6-v2.onnx --report
	$(BIN)/modelexport analyze $(DEMO_DIR)/all-MiniLM-L6-v2.onnx --max-depth 3
	$(BIN)/modelexport monitor list --limit 3

test: $(STAMP) browser tmux
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(DEMO_DIR) .pytest_cache build
