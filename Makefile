# Two commands matter (see README): `make up` runs the system, `make test` runs the tests.
# Both install whatever is missing first; re-runs skip what is already there.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export FLASK_APP := webapp

.PHONY: up test services docker postgres judge-image browser fonts translations db demo compose compose-check compose-down bench i18n

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@

translations: $(VENV)/.installed
	@$(VENV)/bin/pybabel compile -d webapp/translations -D messages

services:
	@scripts/ensure_redis.sh
	@scripts/ensure_docker.sh >/dev/null

docker:
	@scripts/ensure_docker.sh >/dev/null

judge-image: docker
	@scripts/build_image.sh

browser:
	@scripts/ensure_apt.sh chromium

postgres:  # Debian's server, for the tests that run on PostgreSQL
	@scripts/ensure_postgres.sh >/dev/null

fonts:  # the Vietnamese-capable font embedded in PDF certificates
	@scripts/ensure_apt.sh fonts-dejavu-core

db: $(VENV)/.installed
	@mkdir -p instance
	@$(VENV)/bin/flask db upgrade

demo: db
	@$(VENV)/bin/flask demo

# Redis is only installed here: the supervisor (scripts/run.sh) starts and restarts it when none answers.
up: $(VENV)/.installed translations fonts judge-image db
	@scripts/ensure_apt.sh redis-server
	@$(VENV)/bin/flask demo
	@scripts/run.sh

# The whole suite on SQLite, then the web and pipeline tests (tests/webapp) again on PostgreSQL.
test: $(VENV)/.installed translations fonts services judge-image browser postgres
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)
	$(VENV)/bin/python -m pytest -q --db=postgres tests/webapp $(PYTEST_ARGS)

compose:  # the whole system under Docker Compose, images built here with no registry (README)
	@scripts/compose.sh up

compose-down:  # stop the compose stack (data volumes kept)
	@scripts/compose.sh down

compose-check:  # throw-away stack: up, a submission judged through the API, down clean
	@scripts/compose_check.sh

bench: $(VENV)/.installed services judge-image
	$(PY) bench/judge_bench.py

i18n: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/tinhoctre-messages.pot webapp
	$(VENV)/bin/pybabel update -N -i /tmp/tinhoctre-messages.pot -d webapp/translations -D messages
