# Quickstart: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
TRACKER := $(VENV)/bin/tracker
DEMO_DB := var/demo.db
DEMO_CHARTS := var/demo-charts
SAMPLE := data/sample/ua-general-staff-personnel.csv
# exit code 3 is a success with something to read (new findings, a stale feed)
ALLOW_FINDINGS := || [ $$? -eq 3 ]

.PHONY: install demo test lint drills bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: install
	@mkdir -p var && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(TRACKER) db upgrade --db $(DEMO_DB)
	$(TRACKER) ingest csv --from $(SAMPLE) --source ua-general-staff --db $(DEMO_DB) $(ALLOW_FINDINGS)
	@# status exits 3 here: the sample's latest report (2024-12-01) is long past 36 hours old
	$(TRACKER) status --db $(DEMO_DB) $(ALLOW_FINDINGS)
	$(TRACKER) latest --db $(DEMO_DB)
	$(TRACKER) ingest claims --db $(DEMO_DB) $(ALLOW_FINDINGS)
	$(TRACKER) headline --db $(DEMO_DB)
	$(TRACKER) records --top 5 --db $(DEMO_DB)
	$(TRACKER) averages --period month --db $(DEMO_DB)
	$(TRACKER) compare --period 2024-03-31/2024-12-01 --db $(DEMO_DB)
	@rm -rf $(DEMO_CHARTS)
	@# the sample is personnel only: the equipment chart is skipped, with its reason
	$(TRACKER) charts --db $(DEMO_DB) --out-dir $(DEMO_CHARTS)
	@echo "charts written to $(DEMO_CHARTS)/ (under var/, which git ignores)"

# two workers, each test file on one (its module fixtures built once): 4 min here instead of 9
TEST_WORKERS ?= 2
test: install
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check tracker tests bench drills migrations
	$(VENV)/bin/ruff format --check tracker tests bench drills migrations
	$(VENV)/bin/mypy

# the reliability drills at full size (CI runs them smaller, in make test); rewrites docs/reliability.md
drills: install
	$(VENV)/bin/python -m drills.replay --full
	$(VENV)/bin/python -m drills.crash --full
	$(VENV)/bin/python -m drills.concurrency --full
	$(VENV)/bin/python -m drills.bad_input --full --write-doc
	$(VENV)/bin/python -m drills.orc_replay

bench: install
	$(VENV)/bin/python bench/bench_peers.py --runs 3 --csv-runs 1
	$(VENV)/bin/python bench/bench_charts.py
	$(VENV)/bin/python bench/bench_scale.py --observations 100000
	$(VENV)/bin/python bench/bench_floor.py --observations 100000

clean:
	rm -rf var $(VENV) .pytest_cache
