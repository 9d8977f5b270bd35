# lighttpd.bash: start lighttpd with a shipped fragment (conf/lighttpd-*.conf) included from a minimal main
# configuration holding only what a system's lighttpd.conf holds (port, folders, pid). The fragment is copied
# with sed changing paths only.

# start_lighttpd FRAGMENT SED-ARGS...: exports LPORT; lighttpd's files go to $INST/l.
start_lighttpd() {
	local fragment=$1
	shift
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || return 77
	LPORT=$(free_port)
	export LPORT
	mkdir -p "$INST/l/www" "$INST/l/logs"
	sed "$@" "$fragment" >"$INST/l/gatehouse.conf"
	cat >"$INST/l/lighttpd.conf" <<CONF
server.modules = ()
server.document-root = "$INST/l/www"
server.bind = "127.0.0.1"
server.port = $LPORT
server.pid-file = "$INST/l/lighttpd.pid"
server.errorlog = "$INST/l/logs/error.log"
include "$INST/l/gatehouse.conf"
CONF
	lighttpd -f "$INST/l/lighttpd.conf" 3>&- || return 1
	for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$LPORT/" && return 0; sleep 0.1; done
	return 1
}

stop_lighttpd() {
	[ -f "$INST/l/lighttpd.pid" ] && kill "$(cat "$INST/l/lighttpd.pid")" 2>/dev/null
	return 0
}
