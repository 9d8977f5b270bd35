#!/usr/bin/env bats
# The statuses every route of a kind documents, produced for every route the OpenAPI document lists (the cases come
# from the document through tests/openapi-sweep.py, so a route added to the table is swept too): 401 without
# credentials, 403 without the capability or with a read-only API key on a write, 413 past the body limit, 422 for
# a malformed path id, query value or body, 404 for an id nobody has, 429 past a per-client limit, 503 while the
# database is unavailable. What each answer says is checked after the suite too, against the document
# (tests/openapi-check.py); statuses only one handler sends are produced by that handler's own tests.

load helpers

setup_file() {
	python3 -c 'import json' 2>/dev/null || ci_skip "python3 is not installed"
	start_instance --set body_limit=1024 --set registration=on
	"$GATEHOUSE_BIN/gatehouse" --openapi -c "$INST/gatehouse.conf" >"$INST/openapi.json"
	python3 "$GATEHOUSE_SRC/tests/openapi-sweep.py" "$INST/openapi.json" >"$INST/cases.tsv"
	req POST /auth/api-keys/ -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data '{"name":"sweep full"}'
	[ "$code" = 201 ] || fail "admin key: $code $body"
	ADMIN_KEY=$(jq -r .key <<<"$body")
	req POST /auth/api-keys/ -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data '{"name":"sweep read-only","scope":"read_only"}'
	[ "$code" = 201 ] || fail "read-only key: $code $body"
	RO_KEY=$(jq -r .key <<<"$body")
	create_user sweep-viewer 'viewer-pass-1' viewer >/dev/null
	VIEWER_TOKEN=$(login_token sweep-viewer 'viewer-pass-1')
	export ADMIN_KEY RO_KEY VIEWER_TOKEN
}
teardown_file() { stop_instance; }

# sweep KIND STATUS [curl args...]: sends every case of KIND (its body, if any, as JSON, unless SWEEP_BODY is set)
# with the curl args, and fails listing every case not answered with STATUS. At least one case must exist.
sweep() {
	local kind=$1 want=$2 k method template url data cap n=0 bad=""
	shift 2
	while IFS=$'\t' read -r k method template url data cap; do
		[ "$k" = "$kind" ] || continue
		n=$((n + 1))
		if [ -n "${SWEEP_BODY:-}" ]; then
			data=$SWEEP_BODY
		fi
		if [ "$data" = - ]; then
			req "$method" "$url" "$@"
		else
			req "$method" "$url" "$@" -H 'Content-Type: application/json' --data-binary "$data"
		fi
		if [ "$template" = /setup ] && [ "$want" = 422 ]; then
			# This instance has no setup_token, so POST /setup does not exist (its 422s: 17-validation-table).
			[ "$code" = 404 ] || bad+="$method $url: want 404 without a setup_token, got $code"$'\n'
			continue
		fi
		[ "$code" = "$want" ] || bad+="$method $url: want $want, got $code: $(head -c 300 <<<"$body")"$'\n'
	done <"$INST/cases.tsv"
	[ "$n" -gt 0 ] || fail "the document has no case of kind $kind"
	[ -z "$bad" ] || fail "$bad"
	echo "$n cases of $kind answered $want"
}

@test "every operation that needs credentials answers 401 without any" {
	sweep 401 401
}

@test "every operation that needs a capability answers 403 to a signed-in user without it" {
	sweep 403-cap 403 -H "Authorization: Bearer $VIEWER_TOKEN"
}

@test "every write that any signed-in user may make answers 403 to a read-only API key" {
	sweep 403-ro 403 -H "X-Api-Key: $RO_KEY"
}

@test "every operation that takes a body answers 413 past body_limit" {
	SWEEP_BODY="{\"pad\":\"$(printf '%02000d' 0)\"}" sweep 413 413 -H "X-Api-Key: $ADMIN_KEY"
}

@test "every malformed path id, query value and JSON body answers 422 naming where" {
	sweep 422-path 422 -H "X-Api-Key: $ADMIN_KEY"
	sweep 422-query 422 -H "X-Api-Key: $ADMIN_KEY"
	sweep 422-body 422 -H "X-Api-Key: $ADMIN_KEY"
}

@test "every operation that names a user or key by id answers 404 for an id nobody has" {
	# A bearer token: an API key may not create API keys (403 before the user is looked up).
	sweep 404 404 -H "Authorization: Bearer $ADMIN_TOKEN"
}

# restart_workers: the master starts new workers, which open the database as it is now (42-health.bats).
restart_workers() {
	local old master
	master=$(cat "$INST/gatehouse.pid")
	old=$(pgrep -P "$master" | sort)
	for w in $old; do kill -KILL "$w"; done
	for i in $(seq 100); do
		[ "$(pgrep -P "$master" | wc -l)" -ge 1 ] && [ -z "$(comm -12 <(echo "$old") <(pgrep -P "$master" | sort))" ] &&
			break
		sleep 0.05
	done
}

@test "every operation that documents 503 answers it while the database is unavailable, with Retry-After" {
	sqlite_only "the database file is moved away under the workers (70-74 take PostgreSQL away)"
	local n=0 bad="" k method template url data cap
	# The database gone from under the workers: every request that needs it gets 503 (a write lock held by
	# another process gives 503 too, but only to writes: in WAL mode reads go on; 12-crash.bats tests that).
	mv "$INST/gatehouse.db" "$INST/gatehouse.db.away"
	restart_workers
	while IFS=$'\t' read -r k method template url data cap; do
		# POST /setup answers only with a setup_token configured, and then creates a missing database: its 503
		# (a write lock on the empty database) is produced by 58-setup-token.bats.
		[ "$k" = valid ] && [ "$template" != /setup ] || continue
		jq -e --arg p "$template" --arg m "${method,,}" '.paths[$p][$m].responses["503"]' "$INST/openapi.json" \
			>/dev/null || continue
		n=$((n + 1))
		if [ "$data" = - ]; then
			req "$method" "$url" -H "X-Api-Key: $ADMIN_KEY"
		else
			req "$method" "$url" -H "X-Api-Key: $ADMIN_KEY" -H 'Content-Type: application/json' --data-binary "$data"
		fi
		[ "$code" = 503 ] && [ -n "$(header Retry-After)" ] ||
			bad+="$method $url: want 503 with Retry-After, got $code: $(head -c 300 <<<"$body")"$'\n'
	done <"$INST/cases.tsv"
	mv "$INST/gatehouse.db.away" "$INST/gatehouse.db"
	restart_workers
	[ "$n" -ge 20 ] || fail "only $n operations document 503"
	[ -z "$bad" ] || fail "$bad"
	# The database back, the service answers again.
	req GET /auth/me -H "X-Api-Key: $ADMIN_KEY"
	expect 200
}

@test "every operation with a per-client limit answers 429 past it, with Retry-After" {
	stop_gatehouse
	printf 'rate_limit_admin_writes = 1\nrate_limit_refresh = 1\nrate_limit_register = 1\n' >>"$INST/gatehouse.conf"
	start_gatehouse
	local n=0 bad="" k method template url data cap try
	while IFS=$'\t' read -r k method template url data cap; do
		[ "$k" = 429 ] || continue
		n=$((n + 1))
		for try in 1 2 3; do
			if [ "$data" = - ]; then
				req "$method" "$url" -H "X-Api-Key: $ADMIN_KEY"
			else
				req "$method" "$url" -H "X-Api-Key: $ADMIN_KEY" -H 'Content-Type: application/json' \
					--data-binary "$data"
			fi
			[ "$code" != 429 ] || break
		done
		[ "$code" = 429 ] && [ -n "$(header Retry-After)" ] ||
			bad+="$method $url: want 429 with Retry-After by the third request, got $code: $(head -c 300 <<<"$body")"$'\n'
	done <"$INST/cases.tsv"
	[ "$n" -ge 3 ] || fail "only $n operations have a per-client limit"
	[ -z "$bad" ] || fail "$bad"
}
