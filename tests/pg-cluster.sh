#!/bin/sh
# pg-cluster.sh: a throwaway PostgreSQL cluster for the tests, on a Unix socket only (no TCP), owned by an
# unprivileged user.
#
#   tests/pg-cluster.sh start DIR     initdb + pg_ctl start in DIR (created, must not exist); prints DIR
#   tests/pg-cluster.sh stop DIR      pg_ctl stop (fast), then removes DIR
#   tests/pg-cluster.sh halt DIR      pg_ctl stop (fast), DIR kept: `resume` starts it again
#   tests/pg-cluster.sh resume DIR    pg_ctl start on the data initdb left in DIR
#
# The socket is DIR/.s.PGSQL.5432; the superuser is "gatehouse", trusted on the socket alone (no TCP). DIR is 0711
# so that a gatehouse dropping to a service user (tests/bats/40-production.bats runs as www-data) reaches the
# socket: any local user can, which is acceptable for throwaway test data only. A client connects with
# postgresql:///NAME?host=DIR&user=gatehouse. PostgreSQL refuses to run as root: as root, the cluster runs as
# GATEHOUSE_PG_USER (default nobody) through runuser. The server binaries are taken from GATEHOUSE_PG_BINDIR,
# else the newest /usr/lib/postgresql/*/bin (Debian's postgresql package), else PATH. The cluster is tuned for
# throwaway data (fsync off): never point it at anything worth keeping.
set -eu

bindir=${GATEHOUSE_PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		[ -x "$d/initdb" ] && { bindir=$d; break; }
	done
fi
if [ -z "$bindir" ]; then
	initdb=$(command -v initdb 2>/dev/null) || { echo "pg-cluster.sh: initdb not found (apt-get install postgresql)" >&2; exit 1; }
	bindir=$(dirname "$initdb")
fi

# as_owner CMD...: CMD as the cluster's user (runuser when root), from DIR so that no folder of root's is the
# working directory of a process that cannot read it.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$dir" && runuser -u "${GATEHOUSE_PG_USER:-nobody}" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

start_server() {
	# Throwaway data needs no durability (fsync off makes the suite faster); GATEHOUSE_PG_DURABLE=1 keeps the
	# server's defaults, for bench/run, whose figures must pay for durable commits as SQLite's do.
	local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ -z "${GATEHOUSE_PG_DURABLE:-}" ] || fast=""
	# -w: wait until it accepts connections. listen_addresses empty: the socket alone.
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 -o "-c listen_addresses= \
-c unix_socket_directories=$dir $fast -c max_connections=300 -c shared_buffers=32MB \
-c log_min_messages=warning" start >/dev/null; then
		echo "pg-cluster.sh: the server in $dir did not start; from $dir/postgresql.log:" >&2
		tail -n 10 "$dir/postgresql.log" >&2
		return 1
	fi
}

[ $# -eq 2 ] || { sed -n '4,8s/^# \{0,1\}//p' "$0" >&2; exit 2; }
cmd=$1 dir=$2
case $cmd in
start)
	mkdir -m 0711 "$dir"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" -ne 0 ] || chown "${GATEHOUSE_PG_USER:-nobody}" "$dir"
	if ! as_owner "$bindir/initdb" -D "$dir/data" -U gatehouse -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$dir/initdb.log" 2>&1; then
		echo "pg-cluster.sh: initdb failed in $dir:" >&2
		tail -n 10 "$dir/initdb.log" >&2
		exit 1
	fi
	start_server
	echo "$dir"
	;;
resume)
	start_server
	;;
halt | stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
	[ "$cmd" = halt ] || rm -rf "$dir"
	;;
*)
	echo "pg-cluster.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
