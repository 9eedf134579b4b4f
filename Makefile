# The README's commands. Each one sets up .venv/ first if needed (tools/install.sh is
# idempotent: seconds when everything is installed, 7-40 min on a fresh machine for the mmcv build, depending on the host).
PY := .venv/bin/python
SHARED ?= ../shared

.PHONY: install demo test test-fast lint benchmark clean-demo

install:
	bash tools/install.sh

demo: install
	$(PY) tools/demo.py --work-dir work_dirs/demo

test: install lint
	$(PY) -m pytest tests

# the tests that neither start subprocesses nor train (pytest marker `slow`)
test-fast: install
	$(PY) -m pytest tests -m "not slow"

benchmark: install
	$(PY) -m pip install -q -r requirements/benchmark.txt
	$(PY) tools/benchmark_speed.py --out-dir work_dirs/benchmarks
	$(PY) tools/benchmark_train.py --out-dir work_dirs/benchmarks

lint: install
	$(PY) -m ruff check mmlaplace tools tests configs

clean-demo:
	rm -rf work_dirs/demo data/synthetic_faces
