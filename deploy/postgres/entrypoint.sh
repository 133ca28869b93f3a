#!/bin/sh
# First start: initdb, then create POSTGRES_USER (password POSTGRES_PASSWORD) owning POSTGRES_DB, with
# the server listening only on its Unix socket meanwhile (nobody connects to a half-made database).
# Every start: run the server as user postgres on all addresses; SIGTERM/SIGINT -> fast shutdown
# (active sessions are rolled back, then a clean checkpoint), so `docker stop` never needs SIGKILL.
set -eu
: "${POSTGRES_USER:?set POSTGRES_USER}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    as_pg initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    # psql variables quote the name and the password (:"name" identifier, :'pw' literal).
    if ! as_pg psql -v ON_ERROR_STOP=1 -q -d postgres -v name="$POSTGRES_USER" -v pw="$POSTGRES_PASSWORD" \
        -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"name";
SQL
    then
        as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
        rm -rf "${PGDATA:?}"/*  # no half-made cluster: the next start tries again
        echo "cannot create user $POSTGRES_USER and database $POSTGRES_DB" >&2
        exit 1
    fi
    as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "cluster initialised: database $POSTGRES_DB owned by $POSTGRES_USER"
fi

# setpriv execs postgres, so $! is the server itself (a function here would put a subshell in between)
setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' TERM INT
# wait returns early when a trapped signal arrives: wait again until the server has finished.
while :; do
    if wait "$pid"; then status=0; else status=$?; fi
    kill -0 "$pid" 2>/dev/null || break
done
exit "$status"
