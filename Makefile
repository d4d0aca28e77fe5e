# Kəhriz: `make run` sets everything up and serves the app; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run setup data test test-spatialite test-postgis lint format messages check-deploy bench backup restore clean

run: setup data
	@echo "Serving Kəhriz on http://$(HOST):$(PORT)/  (data entry: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

setup:
	@scripts/bootstrap.sh
	$(PY) manage.py migrate --noinput -v 0

data:
	$(PY) manage.py load_districts
	$(PY) manage.py load_sample_data
	$(PY) manage.py ensure_local_login

test: setup lint
	$(PY) manage.py makemigrations --check --dry-run
	node --test tests/js/
	$(MAKE) --no-print-directory test-spatialite
	@if url=$$($(PY) scripts/postgis_url.py); then \
		$(MAKE) --no-print-directory test-postgis TEST_POSTGIS_URL=$$url; \
	elif [ -n "$$REQUIRE_POSTGIS" ]; then \
		echo "PostGIS is required here (REQUIRE_POSTGIS is set) but not reachable."; exit 1; \
	else \
		echo; echo "!!! PostGIS NOT TESTED: no reachable PostgreSQL with PostGIS (set TEST_POSTGIS_URL). !!!"; echo; \
	fi

test-spatialite:
	@echo "== Test suite on SpatiaLite =="
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgis:
	@echo "== Test suite on PostGIS ($(TEST_POSTGIS_URL)) =="
	DATABASE_URL=$(TEST_POSTGIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages:
	$(PY) manage.py makemessages -l az -l en --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'benchmarks/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'


# The map and API at 1,000, 10,000 and 50,000 kəhriz on SpatiaLite and PostGIS: writes
# docs/performance.md. BENCH_SIZES=1000 for a quick look; BENCH_SKIP_POSTGIS=1 without PostgreSQL.
bench: setup
	$(PY) benchmarks/bench.py

# One archive with the database, the photos and a manifest (README: "Backups"), into BACKUP_DIR
# (default backups/) or OUTPUT=file-or-folder. Safe while the site serves.
backup:
	$(PY) manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

# Restore ARCHIVE=… into an empty database and an empty MEDIA_ROOT (refused otherwise), then
# apply any migrations this code has that the archive's database had not.
restore:
	@if [ -z "$(ARCHIVE)" ]; then echo "Usage: make restore ARCHIVE=backups/kehriz-backup-….tar.gz"; exit 2; fi
	@scripts/bootstrap.sh
	$(PY) manage.py restore "$(ARCHIVE)"
	$(PY) manage.py migrate --noinput -v 0

check-deploy:
	DEBUG=false SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=kehriz.example.org \
		$(PY) manage.py check --deploy

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
