#!/usr/bin/env bats
# One URL, one route, in every deployment (issue 14 §4): the same hostile request paths through nginx (the
# configuration gatehouse-run writes, with conf/nginx.conf.example's split regex), lighttpd mod_fastcgi and
# mod_cgi from the shipped conf/lighttpd-*.conf, Apache from the shipped www/.htaccess, and gatehouse run directly
# as CGI (routing on REQUEST_URI minus SCRIPT_NAME) get the same status. Apache's exceptions are its own 404s for
# an encoded NUL or slash (AllowEncodedSlashes cannot be set in .htaccess).
#
# What the servers do on their own, and what gatehouse does to match it (src/request.c):
#   - a malformed percent-escape: nginx 400; gatehouse 400 (lighttpd passes it on);
#   - a decoded C0 control or DEL: lighttpd 400, nginx 400 for NUL only; gatehouse 400 (newline, CR, TAB, DEL...);
#   - bytes that are not UTF-8: lighttpd 400 for some; gatehouse 400 for all;
#   - dot segments, "//", %2F: nginx and lighttpd decode and normalise; gatehouse does the same on REQUEST_URI.
# nginx's split regex used "$", which matches before a final newline: /api/auth/me%0A reached /auth/me (200).

load helpers
load apache
load lighttpd

setup_file() {
	start_instance
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || return 0
	# The shipped conf/lighttpd-fastcgi.conf and conf/lighttpd-cgi.conf, paths substituted only.
	lighttpd_from "$INST/lf" "$GATEHOUSE_BIN/conf/lighttpd-fastcgi.conf" \
		-e "s|\"[^\"]*/gatehouse.sock\"|\"$INST/gatehouse.sock\"|" \
		-e "s|\"[^\"]*/errors/status-\"|\"$GATEHOUSE_SRC/www/errors/status-\"|"
	LF_PORT=$LIGHTTPD_PORT
	cp "$GATEHOUSE_BIN/gatehouse" "$INST/gatehouse-cgi"
	lighttpd_from "$INST/lc" "$GATEHOUSE_BIN/conf/lighttpd-cgi.conf" \
		-e "s|\"/api\" => \"[^\"]*/gatehouse\"|\"/api\" => \"$INST/gatehouse-cgi\"|" \
		-e "s|\"GATEHOUSE_CONFIG\" => \"[^\"]*\"|\"GATEHOUSE_CONFIG\" => \"$INST/gatehouse.conf\"|" \
		-e "s|\"[^\"]*/errors/status-\"|\"$GATEHOUSE_SRC/www/errors/status-\"|"
	LC_PORT=$LIGHTTPD_PORT
	export LF_PORT LC_PORT
	# Apache from the shipped www/.htaccess (apache.bash), with its own database and admin.
	if command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ]; then
		start_apache "$GATEHOUSE_BIN/gatehouse"
		APACHE_TOKEN=$(curl -sS -X POST "http://127.0.0.1:$APORT/api/auth/login" --data-urlencode username=admin \
			--data-urlencode "password=$ADMIN_PASSWORD" | jq -r .access_token)
		export APACHE_TOKEN
	fi
}

teardown_file() {
	lighttpd_stop "$INST/lf"
	lighttpd_stop "$INST/lc"
	stop_apache
	stop_instance
}

# status_via DEPLOYMENT PATH: the status of GET PATH (sent as is) as the admin.
status_via() {
	case $1 in
	nginx) curl -s --path-as-is --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$2" \
		-H "Authorization: Bearer $ADMIN_TOKEN" ;;
	lighttpd-fastcgi) curl -s --path-as-is --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LF_PORT$2" \
		-H "Authorization: Bearer $ADMIN_TOKEN" ;;
	lighttpd-cgi) curl -s --path-as-is --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LC_PORT$2" \
		-H "Authorization: Bearer $ADMIN_TOKEN" ;;
	apache) curl -s --path-as-is --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT$2" \
		-H "Authorization: Bearer $APACHE_TOKEN" ;;
	cgi) env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" REQUEST_METHOD=GET \
		SCRIPT_NAME=/api REQUEST_URI="$2" QUERY_STRING= REMOTE_ADDR=127.0.0.1 \
		HTTP_AUTHORIZATION="Bearer $ADMIN_TOKEN" "$GATEHOUSE_BIN/gatehouse" </dev/null |
		head -n 1 | sed -n 's/^Status: \([0-9]*\).*/\1/p' ;;
	esac
}

@test "the same hostile paths get the same status through nginx, lighttpd FastCGI and CGI, Apache CGI, and CGI" {
	command -v lighttpd >/dev/null || skip "lighttpd is not installed"
	fails=0
	while read -r want path; do
		[ -n "$want" ] || continue
		for how in nginx lighttpd-fastcgi lighttpd-cgi apache cgi; do
			[ "$how" != apache ] || [ -n "${APORT:-}" ] || continue
			w=$want
			# Apache's own refusals, which .htaccess cannot change: an encoded NUL and (AllowEncodedSlashes,
			# server configuration only) an encoded slash are its 404 before gatehouse runs.
			if [ "$how" = apache ]; then
				case $path in *%00*|*%2F*|*%2f*) w=404 ;; esac
			fi
			got=$(status_via "$how" "$path")
			if [ "$got" != "$w" ]; then
				echo "$path via $how: want $w, got $got" >&2
				fails=$((fails + 1))
			fi
		done
	done <<'EOF'
200 /api/auth/me/
400 /api/auth/me%0A
400 /api/auth/me/%0A
400 /api/auth/me%0Ax
400 /api/auth/me%0D
400 /api/auth/me%09
400 /api/auth/me%7F
400 /api/auth/me%00
400 /api/auth/me%00x
400 /api/auth/me%FF
400 /api/auth/me%C0%AF
400 /api/auth/me%ED%A0%80
400 /api/auth/me%
400 /api/auth/me%zz
400 /api/auth/me%2
200 /api/auth%2Fme
200 /api/auth%2fme/
200 /api%2Fauth/me
200 /api/auth/me%2F
200 /api/auth/m%65
200 /api/auth/./me
200 /api/auth/../auth/me
200 /api/./auth/me
200 /api/x/../auth/me
200 /api/../api/auth/me
200 /api/auth/%2e%2e/auth/me
200 /api/auth/%2e/me
200 /api//auth/me
200 /api/auth//me
200 /api/auth/me//
200 /api/auth/me/.
200 /api/auth/me/../me
404 /api/auth/me/..
404 /api/auth/me.
404 /api/auth/me%2e
404 /api/auth/me%20
404 /api/auth/me%C2%80
404 /api/auth/me%E2%80%A8
404 /api/auth/me;x
404 /api/auth/me%5C
404 /api/AUTH/me
EOF
	[ "$fails" -eq 0 ]
}

@test "nginx's split regex anchors at the very end: a final newline reaches no route" {
	grep -q 'fastcgi_split_path_info (?s)^(/api)(/.\*)\\z;' "$INST/nginx.conf"
	grep -q 'fastcgi_split_path_info (?s)^(/api)(/.\*)\\z;' "$GATEHOUSE_SRC/conf/nginx.conf.example.in"
	req GET '/auth/me%0A' -H "Authorization: Bearer $ADMIN_TOKEN"
	problem 400 "Invalid request path"
}

@test "a path that climbs above the root: nginx refuses it, and so does gatehouse as CGI" {
	# lighttpd clamps such a path at the root instead; it never reaches gatehouse as written.
	for path in /api/../../auth/me /../api/auth/me /api/auth/../../../x; do
		[ "$(status_via nginx "$path")" = 400 ]
		[ "$(status_via cgi "$path")" = 400 ]
	done
}
