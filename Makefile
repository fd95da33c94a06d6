# Two commands do everything on a fresh machine:
#   make demo   set up .venv (if absent) and run the demo on embedded data
#   make test   set up .venv (if absent) and run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.minority-gen-installed

LOWEST ?= .venv-lowest
LOWEST_STAMP := $(LOWEST)/.minority-gen-installed

.PHONY: demo test test-lowest lint setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c constraints.txt -e ".[dev,scale]"
	$(PY) -c "import torch, torchvision, imblearn; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'imblearn', imblearn.__version__)"
	@touch $(STAMP)

# The lowest versions pyproject.toml declares (constraints-lowest.txt), in a venv of their own.
$(LOWEST_STAMP): pyproject.toml constraints-lowest.txt
	@test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --upgrade pip
	$(LOWEST)/bin/python -m pip install -c constraints-lowest.txt -e ".[dev]"
	@touch $(LOWEST_STAMP)

demo: $(STAMP)
	$(PY) examples/demo_breast_cancer.py --out demo_output

test: $(STAMP)
	$(PY) -m pytest -q

test-lowest: $(LOWEST_STAMP)
	NO_ALBUMENTATIONS_UPDATE=1 $(LOWEST)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check minority_gen tests examples benchmarks

clean:
	rm -rf $(VENV) $(LOWEST) demo_output .pytest_cache
