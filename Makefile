# ris3-miner: the two commands are 'make app' and 'make test'.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
export HAYSTACK_TELEMETRY_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1

.PHONY: setup app ingest test test-fast bench report browser clean-index

setup: $(STAMP)

# torch 2.13.0 (CPU) first: installed later by resolution, pip would fetch a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

ingest: setup
	$(BIN)/ris3 ingest

# Bring the index up to date with the bundled corpus (a no-op in seconds when nothing changed;
# first run: the whole corpus, with progress bars), then serve the app.
app: setup
	$(BIN)/ris3 ingest
	$(BIN)/streamlit run app/streamlit_app.py --server.headless true --server.address 127.0.0.1 \
		--server.port $(PORT) --browser.gatherUsageStats false

test: setup
	$(BIN)/python -m pytest -q

# The fast unit tier (under a minute): no model load, no ingest, no server ('make test' runs all).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

clean-index:
	rm -rf data/index-*

# Dated keyword-frequency report (CSV + HTML) of the strategies and programmes, by region.
report: setup
	$(BIN)/ris3 ingest -q
	$(BIN)/ris3 report keywords --by region --doc-type ris3,op,op-operations -f csv -f html \
		-o 'reports/keywords-{date}.{ext}'

# Benchmarks (eval/results/): speed and memory (fresh ingest, questions at corpus size and at
# 50k passages, app start-up), keyword reports, Chroma server vs embedded, a long PDF's memory,
# and retrieval quality against the baselines.
bench: setup
	$(BIN)/ris3 bench
	$(BIN)/python -m eval.bench_reports
	$(BIN)/python -m eval.bench_regions
	$(BIN)/python -m eval.bench_server
	$(BIN)/python -m eval.bench_large_pdf
	$(BIN)/ris3 eval qa

# Debian's Chromium and chromedriver for the real-browser test (tests/test_browser.py); needs root.
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
