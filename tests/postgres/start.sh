#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster (Debian's) on loopback for the tests: port
# ${ECENTER_PG_PORT:-55432}, data, socket and server log under ${ECENTER_PG_DIR:-/tmp/ecenter-pg}.
# Trust authentication on 127.0.0.1 only (but for the role ecenter_password): it holds nothing but
# what the tests create. Each test
# creates a database of its own. Running it again while the cluster answers changes nothing.
set -euo pipefail
port="${ECENTER_PG_PORT:-55432}"
dir="${ECENTER_PG_DIR:-/tmp/ecenter-pg}"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  exit 0
fi
# initdb refuses to run as root: the cluster belongs to the `postgres` user Debian's package made.
rm -rf "$dir"
mkdir -p "$dir"
chown postgres:postgres "$dir"
su postgres -c "$bin/initdb -D $dir/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
# One role must give a password (SCRAM), so that taking it from PGPASSWORD is tested.
sed -i '1i host all ecenter_password 127.0.0.1/32 scram-sha-256' "$dir/data/pg_hba.conf"
su postgres -c "$bin/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 start \
  -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c synchronous_commit=on -c fsync=on'" >/dev/null
echo "PostgreSQL for the tests: host=127.0.0.1 port=$port user=postgres (log: $dir/server.log)"
