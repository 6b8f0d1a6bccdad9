# Two commands do all the set-up (see README.md):
#   make demo   - create .venv if needed, install cyclesem (CPU TensorFlow), run the demo
#   make test   - create .venv if needed, install cyclesem with test tools, build the docs
#                 site strictly (mkdocs.yml, docs/), run the tests
# Both are safe to run again: the environment is rebuilt only when setup.cfg changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[cpu,test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cyclesem demo --out demo-out --overwrite

test: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site
	$(BIN)/python -m pytest -q -ra

clean:
	rm -rf $(VENV) demo-out .site
