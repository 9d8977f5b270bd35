#!/usr/bin/env bats
# The admin console served by the other shipped configurations, in a real browser (tests/browser/
# console-servers.mjs): lighttpd with conf/lighttpd-authorizer.conf (the pages at /gatehouse/, the API at /api)
# and Apache with the shared-hosting www/.htaccess (the pages beside api.cgi, mod_headers for the CSP). nginx is
# what 65-68 use.

load helpers
load console
load apache
load lighttpd

setup_file() {
	console_setup
	need_tool lighttpd apache2
	start_instance
	# lighttpd from the shipped authorizer file: only the socket and the folders substituted.
	L=$INST/l
	lighttpd_authorizer_fragment "$L"
	lighttpd_start "$L" '"mod_indexfile"' "$(cat <<CONF
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".css" => "text/css", ".js" => "text/javascript", ".svg" => "image/svg+xml")
include "$L/gatehouse.conf"
CONF
)"
	LPORT=$LIGHTTPD_PORT
	# Apache from the shipped .htaccess, with mod_headers and mod_dir loaded from its first start, and the pages
	# uploaded beside api.cgi (they are files Apache reads on each request).
	APACHE_EXTRA_CONF="LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so" start_apache "$GATEHOUSE_BIN/gatehouse"
	cp -r "$GATEHOUSE_SRC/www/"*.html "$GATEHOUSE_SRC/www/"*.js "$GATEHOUSE_SRC/www/"*.css "$GATEHOUSE_SRC/www/console" "$A/www/"
	chmod -R a+rX "$A/www"
	export LPORT L
}

teardown_file() {
	lighttpd_stop "$L"
	stop_apache
	stop_instance
}

@test "lighttpd (conf/lighttpd-authorizer.conf): the console at /gatehouse/console/ signs in and creates a user" {
	CONSOLE_URL="http://127.0.0.1:$LPORT" CONSOLE_PATH=/gatehouse/console/ CONSOLE_TAG=-lighttpd \
		console_run console-servers.mjs smoke
}

@test "Apache (www/.htaccess): cookie mode's refresh cookie is scoped to the path the browser used, /api/auth" {
	# The rewrite runs /api/auth/login as api.cgi: a cookie for /api.cgi/auth would never come back.
	BASE="http://127.0.0.1:$APORT/api" req POST /auth/login -H 'X-GeoLens-Auth-Mode: cookie' \
		--data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	[ "$code" = 200 ]
	grep -i '^Set-Cookie: geolens_refresh=' "$BATS_TEST_TMPDIR/headers" | grep -q '; Path=/api/auth;' ||
		fail "refresh cookie: $(grep -i '^Set-Cookie: geolens_refresh=' "$BATS_TEST_TMPDIR/headers")"
	# And nginx's mount (SCRIPT_NAME /api) is unchanged.
	req POST /auth/login -H 'X-GeoLens-Auth-Mode: cookie' --data-urlencode username=admin \
		--data-urlencode "password=$ADMIN_PASSWORD"
	[ "$code" = 200 ]
	grep -i '^Set-Cookie: geolens_refresh=' "$BATS_TEST_TMPDIR/headers" | grep -q '; Path=/api/auth;' ||
		fail "refresh cookie behind nginx: $(grep -i '^Set-Cookie: geolens_refresh=' "$BATS_TEST_TMPDIR/headers")"
}

@test "Apache (www/.htaccess, shared hosting): the console at /console/ signs in and creates a user" {
	CONSOLE_URL="http://127.0.0.1:$APORT" CONSOLE_TAG=-apache console_run console-servers.mjs smoke
}
