# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2

.PHONY: demo test check lint docs clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,nest,slurm,nwb,formats,napari]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES)
	@echo
	@echo "Demo finished. Figures:"
	@echo "  results/compare/compare.png          (young vs old, 4 recordings each: mean pairwise r)"
	@echo "  results/<sample>/correlation/panel.png, correlation.png, r_vs_distance.png,"
	@echo "  results/<sample>/segmentation/rois.png, events/pixel_events.png, motion/qc.png,"
	@echo "  results/<sample>/fit/fit.png, simulation/simulation.png   (samples: young_1..4, old_1..4)"

# everything (CI), one worker per core, a module's tests in one worker (its module
# fixtures, a whole-pipeline run or a recovery, are made once); the longest files first
# (tests/conftest.py LONGEST_FIRST), in that order, so that none starts near the end; a
# worker that crashes ends the run (xdist's replacement worker was left without tests and
# the run hung)
test: $(VENV)/.installed
	$(BIN)/ruff check astrocalc tests benchmarks
	$(BIN)/python -m pytest -n $(CORES) --dist loadfile --no-loadscope-reorder --max-worker-restart 0 --durations=15

# the fast tier for development: all but the whole-pipeline, workflow and real-data tests
check: $(VENV)/.installed
	$(BIN)/ruff check astrocalc tests benchmarks
	$(BIN)/python -m pytest -n $(CORES) -m "not slow and not realdata" --durations=10

lint: $(VENV)/.installed
	$(BIN)/ruff check astrocalc tests benchmarks
	$(BIN)/ruff format --check astrocalc tests benchmarks
	$(BIN)/snakemake --lint

# the generated sections of docs/CONTRACT.md and config/README.md, from the code
docs: $(VENV)/.installed
	$(BIN)/python -m astrocalc.docs

clean:
	rm -rf results logs demo .snakemake
