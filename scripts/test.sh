#!/usr/bin/env bash
# Installs what the tests need (venv, packages, Chromium) and runs ruff, the import contracts and the whole suite,
# on SQLite and then on PostgreSQL, then the ADL LRS conformance suite (scripts/lrs_conformance.sh) and the
# fresh-install stage (scripts/fresh_install.sh: the demo from a clean clone with requirements.txt alone, and
# a smoke test against it).
# Extra arguments go to pytest and skip the fresh-install stage, e.g. scripts/test.sh -k catalogue
source "$(dirname "$0")/lib.sh"

POSTGRES_URL="${PANLEARN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
WORKERS="${PANLEARN_TEST_WORKERS:-2}"

ensure_venv requirements-test.txt
ensure_gateway_venv
ensure_nginx  # tests/deploy checks the one-machine layout's nginx configuration
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
export PANLEARN_CHROMIUM="${PANLEARN_CHROMIUM:-/usr/bin/chromium}"

say "ruff check and ruff format --check"
ruff check .
ruff format --check .

say "import contracts (lint-imports; the layers are in .importlinter and docs/architecture.md)"
lint-imports --no-cache

say "manage.py check and missing migrations"
DJANGO_SETTINGS_MODULE=panlearn.settings.test python manage.py check
DJANGO_SETTINGS_MODULE=panlearn.settings.test python manage.py makemigrations --check --dry-run >/dev/null \
  || die "Models changed without a migration: run 'python manage.py makemigrations'."

rm -rf var/test-results && mkdir -p var/test-results
say "Test suite on SQLite"
DATABASE_URL="sqlite:///$ROOT/var/test.sqlite3" pytest -n "$WORKERS" --junitxml=var/test-results/sqlite.xml "$@"

if python - "$POSTGRES_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  say "Test suite on PostgreSQL ($POSTGRES_URL)"
  DATABASE_URL="$POSTGRES_URL" pytest -n "$WORKERS" --junitxml=var/test-results/postgresql.xml "$@"
elif [ -n "${CI:-}" ]; then
  die "CI must run the suite on PostgreSQL too, and $POSTGRES_URL is not reachable."
else
  say "Skipping the PostgreSQL run: set PANLEARN_TEST_POSTGRES_URL to a server where you can create databases."
fi

if [ "$#" = 0 ]; then
  say "The ADL LRS conformance suite against the built-in store (xAPI 1.0.3 and 2.0.0)"
  "$ROOT/scripts/lrs_conformance.sh"
  say "Fresh-install stage: the demo from a clean clone, its venv from requirements.txt alone"
  "$ROOT/scripts/fresh_install.sh"
else
  say "Skipping the fresh-install stage: pytest arguments select part of the suite."
fi

python - var/test-results/*.xml <<'PY'
import sys
import xml.etree.ElementTree as ET

totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
print(f"total: {passed} passed, {totals['failures'] + totals['errors']} failed, {totals['skipped']} skipped")
PY
