#!/usr/bin/env bash
# Make sure Debian's PostgreSQL answers on 127.0.0.1:5432 with a role and database `tinhoctre_test`
# (password `tinhoctre_test`) for the tests that run against PostgreSQL. Prints the URL. The role may
# create databases: a test run (`pytest --db=postgres`) works in a database of its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure_apt.sh" postgresql >&2
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$ver" main start >&2
fi
for _ in $(seq 1 100); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='tinhoctre_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role tinhoctre_test login createdb password 'tinhoctre_test'\"" >&2
su postgres -c "psql -qtAc \"select rolcreatedb from pg_roles where rolname='tinhoctre_test'\"" | grep -q t ||
  su postgres -c "psql -qc \"alter role tinhoctre_test createdb\"" >&2
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='tinhoctre_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O tinhoctre_test tinhoctre_test" >&2
echo "postgresql+psycopg://tinhoctre_test:tinhoctre_test@127.0.0.1:5432/tinhoctre_test"
