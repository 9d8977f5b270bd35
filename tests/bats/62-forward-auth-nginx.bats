#!/usr/bin/env bats
# Forward authentication through nginx's auth_request, started from the shipped conf/nginx-forward-auth.conf.example
# (only ports and paths substituted): a protected static folder and a proxied application, each credential kind,
# browsers sent to sign in, API clients given the 401, requirements, revocation on the very next request, CSRF.

load helpers
load smoke

setup_file() {
	start_instance
	FA=$INST/fa
	mkdir -p "$FA/logs" "$FA/tmp" "$FA/protected"
	echo 'protected content' >"$FA/protected/index.html"
	FA_PORT=$(free_port)
	APP_PORT=$(free_port)
	while [ "$APP_PORT" = "$FA_PORT" ]; do APP_PORT=$(free_port); done
	# The example includes fastcgi_params relative to the configuration folder, as in /etc/nginx.
	cp /etc/nginx/fastcgi_params "$FA/"
	sed -e "s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$FA_PORT;|" \
		-e "s|unix:[^;]*/gatehouse.sock;|unix:$INST/gatehouse.sock;|" \
		-e "s|^\([[:space:]]*\)root [^;]*/www;|\1root $GATEHOUSE_SRC/www;|" \
		-e "s|alias /srv/protected/;|alias $FA/protected/;|" \
		-e "s|server 127.0.0.1:3000;|server 127.0.0.1:$APP_PORT;|" \
		"$GATEHOUSE_BIN/conf/nginx-forward-auth.conf.example" >"$FA/site.conf"
	local user_line=""
	[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
	cat >"$FA/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $FA/nginx.pid;
error_log $FA/logs/error.log;
events { worker_connections 256; }
http {
	include /etc/nginx/mime.types;
	access_log $FA/logs/access.log;
	client_body_temp_path $FA/tmp/body;
	fastcgi_temp_path $FA/tmp/fastcgi;
	proxy_temp_path $FA/tmp/proxy;
	uwsgi_temp_path $FA/tmp/uwsgi;
	scgi_temp_path $FA/tmp/scgi;
	include $FA/site.conf;
	# The application behind /app/: echoes the identity headers it received.
	server {
		listen 127.0.0.1:$APP_PORT;
		location / {
			default_type text/plain;
			return 200 "app user=\$http_x_auth_user id=\$http_x_auth_user_id email=\$http_x_auth_email roles=\$http_x_auth_roles rid=\$http_x_auth_request_id method=\$request_method uri=\$request_uri\n";
		}
	}
}
CONF
	nginx -p "$FA" -c "$FA/nginx.conf" -e "$FA/logs/error.log" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$FA_PORT/signin.html" && break; sleep 0.05; done
	export FA FA_PORT APP_PORT
}

teardown_file() {
	[ -f "$FA/nginx.pid" ] && kill "$(cat "$FA/nginx.pid")" 2>/dev/null
	stop_instance
}

SITE() { echo "http://127.0.0.1:$FA_PORT"; }

# site METHOD PATH [curl args...]: req, sent to the protected site instead of the API.
site() { BASE=$(SITE) req "$@"; }

HTML='Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

@test "the shipped file: the substitutions touched only ports and paths" {
	run diff "$GATEHOUSE_BIN/conf/nginx-forward-auth.conf.example" "$FA/site.conf"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 10 ]
}

@test "without credentials: a browser is sent to sign in with the page it wanted, an API client gets the 401" {
	site GET '/protected/index.html?a=1&b=%2F' -H "$HTML"
	[ "$code" = 302 ]
	[ "$(header Location)" = '/signin.html?rd=/protected/index.html%3Fa%3D1%26b%3D%252F' ]
	site GET /protected/
	problem 401 'Could not validate credentials'
	[ "$(grep -c -i '^WWW-Authenticate: Bearer' "$BATS_TEST_TMPDIR/headers")" = 1 ]
	site GET /app/x -H 'Accept: application/json'
	expect 401
	# The API itself answers without a redirect, whatever Accept says.
	req GET /auth/me/ -H "$HTML"
	expect 401
}

@test "every credential kind opens the protected folder: session cookie, bearer token, API key" {
	site_login admin "$ADMIN_PASSWORD"
	req POST /auth/api-keys/ -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' --data '{"name":"k"}'
	key=$(jq -r .key <<<"$body")
	for cred in "Cookie: gatehouse_session=$SID" "Authorization: Bearer $ADMIN_TOKEN" "X-Api-Key: $key"; do
		echo "credential ${cred%%:*}" >&2
		site GET /protected/ -H "$cred" -H "$HTML"
		[ "$code" = 200 ]
		[ "$body" = 'protected content' ]
	done
	# Forged or dead credentials do not.
	site GET /protected/ -H "Cookie: gatehouse_session=gss_$(printf 'A%.0s' $(seq 43))" -H "$HTML"
	[ "$code" = 302 ]
	site GET /protected/ -H 'Authorization: Bearer gat_nothing'
	[ "$code" = 401 ]
}

@test "the proxied application receives the identity; headers a client forges are replaced" {
	create_user eddie 'eddie-pass-1' editor >/dev/null
	site_login eddie eddie-pass-1
	site GET '/app/page?q=1' -H "Cookie: gatehouse_session=$SID" -H 'X-Auth-User: admin' -H 'X-Auth-Roles: admin'
	[ "$code" = 200 ]
	[[ $body == "app user=eddie id="*" email= roles=editor rid="?*" method=GET uri=/page?q=1" ]]
}

@test "requirements: /app/ wants admin or editor; a viewer gets 403 (a page for browsers, JSON for APIs)" {
	create_user vicky 'vicky-pass-1' viewer >/dev/null
	site_login vicky vicky-pass-1
	site GET /app/ -H "Cookie: gatehouse_session=$SID"
	problem 403 'You do not have access to this page'
	# A browser gets the page, whatever the method.
	for m in GET POST DELETE; do
		site "$m" /app/ -H "Cookie: gatehouse_session=$SID" -H "$HTML" -H "Origin: $(SITE)"
		[ "$code" = 403 ] || fail "$m from a browser: $code $body"
		[[ $body == *'<h1>No access</h1>'* ]]
	done
	# The same viewer may read the folder that only wants a signed-in user.
	site GET /protected/ -H "Cookie: gatehouse_session=$SID"
	[ "$code" = 200 ]
}

@test "revocation applies on the very next request: logout, disable, password change, reset, delete" {
	revoked_on_next_request site /app/ fa
}

@test "CSRF at a protected location: an unsafe method with the cookie must come from this origin" {
	site_login admin "$ADMIN_PASSWORD"
	c="Cookie: gatehouse_session=$SID"
	site POST /app/form -H "$c" -H 'Origin: http://evil.example' --data 'x=1'
	problem 403 'You do not have access to this page'
	site POST /app/form -H "$c" -H 'Sec-Fetch-Site: cross-site' --data 'x=1'
	[ "$code" = 403 ]
	site POST /app/form -H "$c" --data 'x=1'
	[ "$code" = 403 ]
	site POST /app/form -H "$c" -H "Origin: $(SITE)" --data 'x=1'
	[ "$code" = 200 ]
	[[ $body == *'method=POST uri=/form'* ]]
	site POST /app/form -H "$c" -H 'Sec-Fetch-Site: same-origin' --data 'x=1'
	[ "$code" = 200 ]
	# A bearer token is no ambient credential: no origin check.
	site POST /app/form -H "Authorization: Bearer $ADMIN_TOKEN" --data 'x=1'
	[ "$code" = 200 ]
	# A client cannot claim a safe method for its POST: nginx sets X-Original-Method itself.
	site POST /app/form -H "$c" -H 'X-Original-Method: GET' -H 'Origin: http://evil.example' --data 'x=1'
	[ "$code" = 403 ]
}

@test "the pages are served with a strict Content-Security-Policy, and hold nothing it would block" {
	site GET /signin.html
	[ "$code" = 200 ]
	csp=$(header Content-Security-Policy)
	[[ $csp == *"default-src 'none'"* && $csp == *"script-src 'self'"* && $csp == *"frame-ancestors 'none'"* ]]
	[[ $csp != *unsafe-inline* && $csp != *unsafe-eval* ]]
	cd "$GATEHOUSE_SRC/www"
	# No inline script, no inline style or event handler, no third-party host.
	run grep -n -E '<script(>| [^>]*>[^<])|<script [^>]*>$' ./*.html
	[ "$status" -eq 1 ]
	run grep -n -i -E ' (style|on[a-z]+)=' ./*.html
	[ "$status" -eq 1 ]
	run grep -n -E '<style|javascript:|https?://' ./*.html ./*.js ./*.css
	[ "$status" -eq 1 ]
	grep -q '<script type="module" src="signin.js"></script>' signin.html
}

@test "gatehouse-run sets up the same shape: www/ at /, the API at /api/, /protected/ behind sign-in" {
	run curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "$HTML" "http://127.0.0.1:$PORT/protected/"
	[ "$output" = "302 http://127.0.0.1:$PORT/signin.html?rd=/protected/" ]
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/signin.html"
	[ "$output" = 200 ]
	site_login admin "$ADMIN_PASSWORD"
	run curl -s -H "Cookie: gatehouse_session=$SID" "http://127.0.0.1:$PORT/protected/"
	[[ $output == *'<h1>Protected</h1>'* ]]
}

@test "gatehouse down: protected locations stay closed with a 503 and Retry-After (a page for browsers), the API answers nginx's 502 as JSON" {
	site_login admin "$ADMIN_PASSWORD"
	stop_gatehouse
	# Each kind of location, each kind of client: never nginx's bare 500, never the content.
	for loc in /protected/ /app/x; do
		echo "location $loc" >&2
		site GET "$loc" -H "Cookie: gatehouse_session=$SID"
		server_error_shape 503
		[ "$(header Retry-After)" = 5 ]
		[[ $body != *'protected content'* && $body != *'app user='* ]]
		# A browser, whatever the method: the page, with Retry-After (a static file refuses POST with a 405).
		for m in GET POST PUT DELETE; do
			site "$m" "$loc" -H "Cookie: gatehouse_session=$SID" -H "$HTML"
			[ "$code" = 503 ] || fail "$m $loc from a browser: $code $body"
			[[ $body == *'<h1>Sign-in is unavailable</h1>'* ]]
			[ "$(header Retry-After)" = 5 ]
		done
	done
	site GET /api/auth/config/
	server_error_shape 502 503
	# gatehouse-run's nginx (what contrib/setup starts) answers the same.
	BASE="http://127.0.0.1:$PORT" req GET /protected/ -H "Cookie: gatehouse_session=$SID"
	server_error_shape 503
	BASE="http://127.0.0.1:$PORT" req POST /protected/ -H "$HTML"
	[ "$code" = 503 ]
	[[ $body == *'<h1>Sign-in is unavailable</h1>'* ]]
	[ "$(header Retry-After)" = 5 ]
	req GET /auth/config/
	server_error_shape 502 503
	# nginx's own refusals before gatehouse is asked keep the shape too.
	site POST /api/auth/login --data-binary @<(head -c 1100000 /dev/zero)
	server_error_shape 413
	start_gatehouse
	site GET /protected/ -H "Cookie: gatehouse_session=$SID"
	[ "$code" = 200 ]
	[ "$body" = 'protected content' ]
}

@test "gatehouse hung (every process stopped): a protected location answers 503 after the verify's read timeout, not nginx's 60 s" {
	site_login admin "$ADMIN_PASSWORD"
	pids="$(cat "$INST/gatehouse.pid") $(pgrep -P "$(cat "$INST/gatehouse.pid")" | tr '\n' ' ')"
	kill -STOP $pids
	# req gives up after 20 s: with nginx's default fastcgi_read_timeout (60 s) there would be no answer. The
	# processes go on whatever happened, so that the instance can be stopped.
	code=none
	site GET /protected/ -H "Cookie: gatehouse_session=$SID" || true
	kill -CONT $pids
	[ "$code" != none ] || fail "no answer within 20 s"
	server_error_shape 503
	[ "$(header Retry-After)" = 5 ]
	site GET /protected/ -H "Cookie: gatehouse_session=$SID"
	[ "$code" = 200 ]
}
