#!/usr/bin/env bats
# Apache 2.4 running gatehouse as CGI from the shipped www/.htaccess (the shared-hosting layout): the web root
# holds api.cgi, .htaccess and errors/; the configuration and the database are outside it. Only the
# configuration's path is substituted in .htaccess. The same smoke sequence as every server.

load helpers
load smoke

setup_file() {
	command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
	A=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-apache.XXXXXX")
	APORT=$(free_port)
	export A APORT
	chmod 0755 "$A"
	mkdir -p "$A/www/errors" "$A/data" "$A/logs"
	cp "$GATEHOUSE_BIN/gatehouse" "$A/www/api.cgi"
	cp "$GATEHOUSE_SRC/www/errors/"status-*.html "$A/www/errors/"
	sed "s|^SetEnv GATEHOUSE_CONFIG .*|SetEnv GATEHOUSE_CONFIG $A/data/gatehouse.conf|" \
		"$GATEHOUSE_SRC/www/.htaccess" >"$A/www/.htaccess"
	printf 'database = %s\nhash_cost = 1\n' "$A/data/gatehouse.db" >"$A/data/gatehouse.conf"
	"$GATEHOUSE_BIN/gatehousectl" -c "$A/data/gatehouse.conf" init >/dev/null
	printf '%s\n' "$ADMIN_PASSWORD" |
		"$GATEHOUSE_BIN/gatehousectl" -c "$A/data/gatehouse.conf" create-admin -s admin >/dev/null
	# Apache started as root runs CGI as its User: that user owns the data folder, as on a shared host.
	user_lines=""
	if [ "$(id -u)" -eq 0 ]; then
		user_lines="User www-data
Group www-data"
		chown -R www-data:www-data "$A/data"
	fi
	m=/usr/lib/apache2/modules
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
CONF
	env -i PATH="$PATH" apache2 -f "$A/apache2.conf" -k start 3>&- || { cat "$A/logs/error.log" >&2; return 1; }
	for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$APORT/" && break; sleep 0.1; done
}

teardown_file() {
	[ -f "$A/apache2.pid" ] && env -i PATH="$PATH" apache2 -f "$A/apache2.conf" -k stop 2>/dev/null
	for i in $(seq 50); do [ -f "$A/apache2.pid" ] || break; sleep 0.1; done
	rm -rf "$A"
}

@test "Apache CGI (shipped .htaccess): login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$APORT/api"
}

@test "Apache CGI (shipped .htaccess): the Authorization header reaches gatehouse" {
	BASE="http://127.0.0.1:$APORT/api"
	token=$(login_token admin "$ADMIN_PASSWORD")
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	[ "$(jq -r .username <<<"$body")" = admin ]
}

@test "Apache CGI (shipped .htaccess): the program failing gives Apache's 500 as the contract's JSON" {
	chmod 0644 "$A/www/api.cgi"
	BASE="http://127.0.0.1:$APORT/api"
	req GET /auth/config/
	chmod 0755 "$A/www/api.cgi"
	server_error_shape 500 403
}

@test "Apache CGI (shipped .htaccess): the configuration and a database in the web root are not served" {
	cp "$A/data/gatehouse.conf" "$A/www/gatehouse.conf"
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/gatehouse.conf"
	rm -f "$A/www/gatehouse.conf"
	[ "$output" = 403 ]
}
