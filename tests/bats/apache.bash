# apache.bash: Apache 2.4 serving gatehouse as CGI from the shipped www/.htaccess, as on a shared host: the web
# root holds api.cgi, .htaccess and errors/; the configuration and the database are outside it. Only the
# configuration's path is substituted in .htaccess. Apache runs from its own ServerRoot on a free port, without
# touching the system's configuration.

# start_apache PROGRAM: exports A (the site folder) and APORT. APACHE_GATEHOUSE_CONF: more lines for gatehouse's
# configuration; APACHE_EXTRA_CONF: more lines for Apache's, in place from the first start (a stop and a start on
# one port can race: the old server's children may still hold the socket when the new one binds it).
start_apache() {
	local program=$1 user_lines="" m=/usr/lib/apache2/modules
	A=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-apache.XXXXXX")
	APORT=$(free_port)
	export A APORT
	chmod 0755 "$A"
	mkdir -p "$A/www/errors" "$A/data" "$A/logs"
	cp "$program" "$A/www/api.cgi"
	cp "$GATEHOUSE_SRC/www/errors/"status-*.html "$A/www/errors/"
	sed "s|^SetEnv GATEHOUSE_CONFIG .*|SetEnv GATEHOUSE_CONFIG $A/data/gatehouse.conf|" \
		"$GATEHOUSE_SRC/www/.htaccess" >"$A/www/.htaccess"
	ADB=$(new_database "$A/data/gatehouse.db") || return 1	# on PostgreSQL, a database of the test cluster
	export ADB
	printf 'database = %s\nhash_cost = 1\n%s\n' "$ADB" "${APACHE_GATEHOUSE_CONF:-}" >"$A/data/gatehouse.conf"
	# APACHE_EMPTY=1: no database, as on a host where nothing can be run (the setup token's case).
	if [ "${APACHE_EMPTY:-0}" != 1 ]; then
		"${GATEHOUSECTL:-$GATEHOUSE_BIN/gatehousectl}" -c "$A/data/gatehouse.conf" init >/dev/null
		printf '%s\n' "$ADMIN_PASSWORD" |
			"${GATEHOUSECTL:-$GATEHOUSE_BIN/gatehousectl}" -c "$A/data/gatehouse.conf" create-admin -s admin >/dev/null
	fi
	# Apache started as root runs CGI as its User: that user owns the data folder, as on a shared host.
	if [ "$(id -u)" -eq 0 ]; then
		user_lines="User www-data
Group www-data"
		chown -R www-data:www-data "$A/data"
	fi
	cat >"$A/apache2.conf" <<CONF
ServerRoot "$A"
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
PidFile "$A/apache2.pid"
ErrorLog "$A/logs/error.log"
Mutex file:$A
$user_lines
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule env_module $m/mod_env.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule cgi_module $m/mod_cgi.so
TypesConfig /etc/mime.types
StartServers 2
DocumentRoot "$A/www"
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory "$A/www">
	AllowOverride Options=ExecCGI,Indexes FileInfo AuthConfig
	Require all granted
</Directory>
${APACHE_EXTRA_CONF:-}
CONF
	env -i PATH="$PATH" apache2 -f "$A/apache2.conf" -k start 3>&- || { cat "$A/logs/error.log" >&2; return 1; }
	for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$APORT/" && return 0; sleep 0.1; done
	return 1
}

stop_apache() {
	[ -n "${A:-}" ] || return 0
	[ -f "$A/apache2.pid" ] && env -i PATH="$PATH" apache2 -f "$A/apache2.conf" -k stop 2>/dev/null
	for i in $(seq 50); do [ -f "$A/apache2.pid" ] || break; sleep 0.1; done
	rm -rf "$A"
}
