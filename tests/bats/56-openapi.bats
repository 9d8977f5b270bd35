#!/usr/bin/env bats
# The OpenAPI 3.1 document (src/openapi.c, built from the route table and the field tables): served at
# /openapi.json, the same as "gatehouse --openapi"; every route it lists answers with a documented status, and
# every response this file sees validates against the document (tests/openapi-check.py; after the suite,
# tests/openapi-coverage.sh checks every response of every file).

load helpers
load smoke

setup_file() {
	python3 -c 'import jsonschema' 2>/dev/null || ci_skip "python3-jsonschema is not installed"
	# req records every response (helpers.bash); run alone, this file keeps its own record.
	if [ -z "${GATEHOUSE_RESPONSES:-}" ]; then
		GATEHOUSE_RESPONSES=$BATS_FILE_TMPDIR/responses
		mkdir "$GATEHOUSE_RESPONSES"
		export GATEHOUSE_RESPONSES
	fi
	# A setup_token, so that POST /setup exists (without one it is 404 for every method, 01-routing).
	start_instance --set setup_token=openapi-sweep-token-0123456789abcdef01
}
teardown_file() { stop_instance; }

@test "GET /openapi.json: an OpenAPI 3.1 document, public, the same as gatehouse --openapi" {
	req GET /openapi.json
	expect 200
	[ "$(header Content-Type)" = application/json ]
	[ "$(jq -r .openapi <<<"$body")" = 3.1.0 ]
	"$GATEHOUSE_BIN/gatehouse" --openapi -c "$INST/gatehouse.conf" >"$BATS_TEST_TMPDIR/printed.json"
	[ "$(jq -cS . "$BATS_TEST_TMPDIR/printed.json")" = "$(jq -cS . <<<"$body")" ]
	cp "$BATS_TEST_TMPDIR/body" "$INST/openapi.json"
}

@test "the document lists every route of the table: each path and method answers, never 404 or 405" {
	req POST /auth/api-keys/ -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data '{"name":"openapi sweep"}'
	expect 201
	key=$(jq -r .key <<<"$body")
	me=$(jq -r '.id' < <(curl -s "$BASE/auth/me/" -H "Authorization: Bearer $ADMIN_TOKEN"))
	n=0
	while IFS=$'\t' read -r method path has_body; do
		url=${path//\{user_id\}/$me}
		url=${url//\{key_id\}/0190c0de-0000-7000-8000-000000000000}
		url=${url//\{format\}/csv}
		if [ "$has_body" = true ]; then
			req "$method" "$url" -H "X-Api-Key: $key" -H 'Content-Type: application/json' --data '{}'
		else
			req "$method" "$url" -H "X-Api-Key: $key"
		fi
		case "$code/$path" in
		404/*\{key_id\}*) ;;
		404/* | 405/* | 5*) echo "$method $url: $code $body"; false ;;
		esac
		n=$((n + 1))
	done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] |
		[(.key | ascii_upcase), $p, (.value.requestBody != null)] | @tsv' "$INST/openapi.json" |
		# Logout last: it ends the admin's sessions (the key survives).
		sort -t$'\t' -k2,2 | awk -F'\t' '$2 == "/auth/logout" {last = $0; next} {print} END {print last}')
	[ "$n" -ge 28 ]
}

@test "the smoke sequence's answers are documented too" {
	smoke_sequence "$BASE"
}

@test "every response this file saw has a documented status and validates against its schema" {
	run python3 "$GATEHOUSE_SRC/tests/openapi-check.py" "$INST/openapi.json" "$GATEHOUSE_RESPONSES"/56-openapi.bats.*.rec
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *" responses validate against the OpenAPI document (0 mismatches;"* ]]
}
