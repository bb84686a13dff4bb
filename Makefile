# Quickstart: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
TRACKER := $(VENV)/bin/tracker
DEMO_DB := var/demo.db
DEMO_CHARTS := var/demo-charts
DEMO_SITE := var/demo-site
LOCAL_SETTINGS := .tracker.env
# the real dataset beside the checkout (README "Quickstart"); the bundled sample without it
REAL_DATASET := ../shared/data/ua-general-staff/latest
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
	@mkdir -p var && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm && rm -rf $(DEMO_CHARTS) $(DEMO_SITE)
	@# the store's address for every later command in this checkout (README "Where the store lives")
	@echo "TRACKER_DB_URL=sqlite:///$(CURDIR)/$(DEMO_DB)" > $(LOCAL_SETTINGS)
	$(TRACKER) db upgrade --db $(DEMO_DB)
	@if [ -d $(REAL_DATASET) ]; then \
	  echo "== the real General Staff dataset, read offline from $(REAL_DATASET)"; \
	  $(TRACKER) ingest dataset --from $(REAL_DATASET) --db $(DEMO_DB) --quiet $(ALLOW_FINDINGS); \
	else \
	  echo "== $(REAL_DATASET) is not there: loading the bundled 246-report SAMPLE ($(SAMPLE)) instead"; \
	  $(TRACKER) ingest csv --from $(SAMPLE) --source ua-general-staff --db $(DEMO_DB) $(ALLOW_FINDINGS); \
	fi
	$(TRACKER) ingest claims --db $(DEMO_DB) $(ALLOW_FINDINGS)
	@# status exits 3 here: the latest report is long past 36 hours old
	$(TRACKER) status --db $(DEMO_DB) $(ALLOW_FINDINGS)
	$(TRACKER) headline --db $(DEMO_DB)
	$(TRACKER) records --top 5 --db $(DEMO_DB)
	@# personnel only: the equipment charts are skipped, with their reason
	$(TRACKER) charts --db $(DEMO_DB) --out-dir $(DEMO_CHARTS) > /dev/null
	$(TRACKER) site --db $(DEMO_DB) --out-dir $(DEMO_SITE) --quiet
	@echo "store:  $(CURDIR)/$(DEMO_DB) (named in $(LOCAL_SETTINGS): a plain \`tracker records\` here reads it)"
	@echo "charts: $(CURDIR)/$(DEMO_CHARTS)/"
	@echo "page:   $(CURDIR)/$(DEMO_SITE)/index.html"

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
	rm -rf var $(VENV) .pytest_cache $(LOCAL_SETTINGS)
