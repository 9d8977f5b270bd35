# lighttpd.bash: lighttpd for the tests, one per folder (so that two can run side by side). Its main configuration
# holds only what a system's lighttpd.conf holds (port, folders, pid, modules) plus what the test passes; a shipped
# fragment (conf/lighttpd-*.conf) is copied with sed changing paths only and included from it.

# lighttpd_start DIR MODULES [EXTRA]: writes DIR/lighttpd.conf (127.0.0.1 on a free port, pid DIR/lighttpd.pid,
# error log DIR/logs/lighttpd-error.log, document root DIR/www, server.modules = (MODULES), then the lines EXTRA
# as they are), starts lighttpd with it and waits until it answers (5 s at most). Sets LIGHTTPD_PORT. Returns 1,
# the error log's end on stderr, when lighttpd does not start or does not answer.
lighttpd_start() {
	local dir=$1 modules=$2 extra=${3:-} i
	LIGHTTPD_PORT=$(free_port)
	mkdir -p "$dir/www" "$dir/logs"
	cat >"$dir/lighttpd.conf" <<CONF
server.modules = ($modules)
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $LIGHTTPD_PORT
server.pid-file = "$dir/lighttpd.pid"
server.errorlog = "$dir/logs/lighttpd-error.log"
$extra
CONF
	if lighttpd -f "$dir/lighttpd.conf" 3>&-; then
		for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$LIGHTTPD_PORT/" && return 0; sleep 0.1; done
	fi
	echo "lighttpd ($dir/lighttpd.conf) did not answer on port $LIGHTTPD_PORT" >&2
	tail -n 5 "$dir/logs/lighttpd-error.log" >&2 2>/dev/null
	return 1
}

# lighttpd_stop DIR: stops the lighttpd that lighttpd_start started in DIR, if any.
lighttpd_stop() {
	[ -f "$1/lighttpd.pid" ] && kill "$(cat "$1/lighttpd.pid")" 2>/dev/null
	return 0
}

# lighttpd_fragment DIR FRAGMENT SED-ARGS...: the shipped FRAGMENT copied to DIR/gatehouse.conf by sed SED-ARGS
# (paths only: the tests diff the copy against the original).
lighttpd_fragment() {
	local dir=$1 fragment=$2
	shift 2
	mkdir -p "$dir"
	sed "$@" "$fragment" >"$dir/gatehouse.conf"
}

# lighttpd_authorizer_fragment DIR: conf/lighttpd-authorizer.conf as DIR/gatehouse.conf, with only the socket and
# the folders substituted (the sign-in pages from the source tree's www/, the protected document root DIR/www).
lighttpd_authorizer_fragment() {
	lighttpd_fragment "$1" "$GATEHOUSE_BIN/conf/lighttpd-authorizer.conf" \
		-e "s|\"[^\"]*/gatehouse.sock\"|\"$INST/gatehouse.sock\"|" \
		-e "s|=> \"[^\"]*/www/\")|=> \"$GATEHOUSE_SRC/www/\")|" \
		-e "s|\"docroot\" => \"/var/www/html\"|\"docroot\" => \"$1/www\"|"
}

# lighttpd_from DIR FRAGMENT SED-ARGS...: lighttpd in DIR with no module of its own and nothing but FRAGMENT
# (copied by lighttpd_fragment) included. Sets LIGHTTPD_PORT.
lighttpd_from() {
	local dir=$1
	lighttpd_fragment "$@" || return 1
	lighttpd_start "$dir" '' "include \"$dir/gatehouse.conf\""
}

# start_lighttpd FRAGMENT SED-ARGS...: lighttpd_from in $INST/l; exports LPORT.
start_lighttpd() {
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || return 77
	lighttpd_from "$INST/l" "$@" || return 1
	LPORT=$LIGHTTPD_PORT
	export LPORT
}

stop_lighttpd() { lighttpd_stop "$INST/l"; }
