#!/usr/bin/env bash
# Throw-away PostgreSQL clusters for the failover and restore drills (tests/postgres_failover.rs),
# each under DIR, on loopback, owned by Debian's `postgres` user (initdb refuses root):
#
#   cluster.sh primary DIR PORT [sync]   a primary archiving its WAL to DIR/archive (and, with
#                                        `sync`, waiting for one synchronous standby), database
#                                        `ecenter` created
#   cluster.sh standby DIR FROM PORT     a streaming standby made by pg_basebackup from the primary
#                                        on FROM; returns once the primary reports it `sync`
#   cluster.sh base DIR PORT             a base backup of the primary into DIR/base
#   cluster.sh crash DIR/NAME            kill -9 of the cluster's postmaster and every backend
#   cluster.sh promote DIR/NAME          the standby made primary
#   cluster.sh switch-wal DIR PORT       closes the current WAL segment; returns once it is archived
#   cluster.sh restore DIR PORT          DIR/base plus DIR/archive recovered into DIR/restored,
#                                        started, returns once it accepts writes
#   cluster.sh stop DIR                  stops every cluster under DIR
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { su postgres -c "$*"; }
sql() { "$bin/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atc "$2"; }
start() { as_pg "$bin/pg_ctl -D $1 -l $1.log -w -t 60 start" >/dev/null; }

# Waits up to 60 s for SQL on PORT to print `t`.
wait_for() {
  for _ in $(seq 600); do
    [ "$(sql "$1" "$2" 2>/dev/null || true)" = t ] && return 0
    sleep 0.1
  done
  echo "cluster.sh: gave up waiting on port $1 for: $2" >&2
  return 1
}

cmd=$1 dir=$2
case "$cmd" in
primary)
  port=$3 sync=${4:-}
  mkdir -p "$dir/archive"
  chown -R postgres:postgres "$dir"
  as_pg "$bin/initdb -D $dir/primary -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "max_connections = 100"
    echo "wal_level = replica"
    echo "synchronous_commit = on"
    echo "archive_mode = on"
    echo "archive_command = 'test ! -f $dir/archive/%f && cp %p $dir/archive/%f'"
  } >>"$dir/primary/postgresql.conf"
  start "$dir/primary"
  sql "$port" "CREATE DATABASE ecenter" >/dev/null
  # From now on every commit waits for the standby (made next): CREATE DATABASE did not.
  if [ "$sync" = sync ]; then
    echo "synchronous_standby_names = '*'" >>"$dir/primary/postgresql.conf"
    sql "$port" "SELECT pg_reload_conf()" >/dev/null
  fi
  ;;
standby)
  from=$3 port=$4
  as_pg "$bin/pg_basebackup -c fast -h 127.0.0.1 -p $from -U postgres -D $dir/standby -R -X stream" >/dev/null
  # Promoted, it has no standby of its own to wait for.
  printf "port = %s\nsynchronous_standby_names = ''\n" "$port" >>"$dir/standby/postgresql.conf"
  start "$dir/standby"
  wait_for "$from" "SELECT count(*) = 1 FROM pg_stat_replication WHERE sync_state = 'sync'"
  ;;
base)
  as_pg "$bin/pg_basebackup -c fast -h 127.0.0.1 -p $3 -U postgres -D $dir/base -X stream" >/dev/null
  ;;
crash)
  pid=$(head -n 1 "$dir/postmaster.pid")
  # The backends first (they would go on serving their connections for a moment), then the
  # postmaster; a drill whose primary survived would prove nothing.
  kill -9 $(pgrep -P "$pid") "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    # Gone, or a zombie nobody reaped yet (state Z): either way it serves nobody.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ] && exit 0
    sleep 0.1
  done
  echo "cluster.sh: the postmaster $pid survived kill -9" >&2
  exit 1
  ;;
promote)
  as_pg "$bin/pg_ctl -D $dir -w -t 60 promote" >/dev/null
  ;;
switch-wal)
  port=$3
  segment=$(sql "$port" "SELECT pg_walfile_name(pg_switch_wal())")
  for _ in $(seq 600); do
    [ -f "$dir/archive/$segment" ] && exit 0
    sleep 0.1
  done
  echo "cluster.sh: WAL segment $segment was not archived within 60 s" >&2
  exit 1
  ;;
restore)
  port=$3
  cp -a "$dir/base" "$dir/restored"
  {
    echo "port = $port"
    echo "archive_mode = off"
    echo "synchronous_standby_names = ''"
    echo "restore_command = 'cp $dir/archive/%f %p'"
    echo "recovery_target_action = 'promote'"
  } >>"$dir/restored/postgresql.conf"
  touch "$dir/restored/recovery.signal"
  chown -R postgres:postgres "$dir/restored"
  start "$dir/restored"
  wait_for "$port" "SELECT NOT pg_is_in_recovery()"
  ;;
stop)
  for data in "$dir"/primary "$dir"/standby "$dir"/restored; do
    [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl -D $data -m immediate stop" >/dev/null 2>&1 || true
  done
  ;;
*)
  echo "cluster.sh: unknown command $cmd" >&2
  exit 2
  ;;
esac
