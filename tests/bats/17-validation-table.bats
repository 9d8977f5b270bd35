#!/usr/bin/env bats
# Validation by table. The fields come from the schema table (src/schemas.c) and the routes that use each schema
# from the route table (src/routes.c); what every field must accept and refuse comes from an independent table
# below, written from the contract (geolens-contract.md §3 request models, §8 pydantic's type names and messages).
# So a new field without a row fails, and a bound or a type name that drifts from the contract fails.
#   - secrets: for every schema with a secret field, a 422 that echoes the field and one that echoes the whole body
#     (a non-JSON content type, a body of the wrong type) hold no secret;
#   - wrong JSON types: every field x (number, boolean, array, object, null) -> pydantic's exact type and message;
#   - bounds: every length or integer bound at min-1, min, max and max+1.

load helpers

# A setup_token, so that POST /setup exists and its schema is checked (the database has users: it can never succeed).
setup_file() { start_instance --set setup_token=validation-table-token-0123456789abcdef; }
teardown_file() { stop_instance; }

NOBODY=0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e

# The expected table. SCHEMA FIELD KIND MIN MAX NULL, where KIND is string (a plain string), secret (a string never
# echoed), password (a secret with the password rules), email, role, bool, uuid, datetime, int (a query integer)
# or literal:VALUES (as pydantic quotes them, ~ for a space); MIN/MAX are the contract's bounds, "-" for none;
# NULL is ok when null means "not given", err when null is a type error.
EXPECTED="
schema_admin_user_create username string 3 150 err
schema_admin_user_create password password 8 256 err
schema_admin_user_create email email - - ok
schema_admin_user_create role role - - err
schema_login username form - - -
schema_login password form-secret - - -
schema_login grant_type form - - -
schema_user_update email email - - ok
schema_user_update is_active bool - - ok
schema_user_update status literal:'active'~or~'disabled' - - ok
schema_user_update role role - 50 ok
schema_approve role role - 50 err
schema_reset_password password password 8 256 err
schema_refresh refresh_token secret - 512 err
schema_change_password current_password secret 1 256 err
schema_change_password new_password password 8 256 err
schema_register username string 3 150 err
schema_register password password 8 256 err
schema_register email email - - ok
schema_api_key_create name string 1 255 err
schema_api_key_create expires_at datetime - - ok
schema_api_key_create scope literal:'full'~or~'read_only' - - err
schema_admin_api_key_create name string 1 255 err
schema_admin_api_key_create expires_at datetime - - ok
schema_admin_api_key_create scope literal:'full'~or~'read_only' - - err
schema_admin_api_key_create user_id uuid - - err
schema_setup setup_token secret 1 1024 err
schema_setup username string 3 150 err
schema_setup password password 8 256 err
schema_setup email email - - ok
schema_user_import username string 3 150 err
schema_user_import password_hash secret 1 512 err
schema_user_import email email - - ok
schema_user_import role role - - ok
schema_user_import status literal:'active',~'pending'~or~'disabled' - - ok
query_users_list skip int 0 - -
query_users_list limit int 1 200 -
query_users_list status string - 50 -
query_users_list search string - 200 -
query_users_list sort literal - - -
query_users_list order literal - - -
query_users_names skip int 0 - -
query_users_names limit int 1 1000 -
query_audit_list user_id uuid - - -
query_audit_list action string - 200 -
query_audit_list resource_type string - 200 -
query_audit_list resource_id uuid - - -
query_audit_list date_from datetime - - -
query_audit_list date_to datetime - - -
query_audit_list search string - 200 -
query_audit_list skip int 0 - -
query_audit_list limit int 1 200 -
query_audit_list sort literal - - -
query_audit_list order literal - - -
query_audit_export user_id uuid - - -
query_audit_export action string - 200 -
query_audit_export resource_type string - 200 -
query_audit_export resource_id uuid - - -
query_audit_export date_from datetime - - -
query_audit_export date_to datetime - - -
query_audit_export search string - 200 -
query_audit_export max_rows int 1 100000 -
query_page skip int 0 - -
query_page limit int 1 200 -
query_admin_keys skip int 0 - -
query_admin_keys limit int 1 200 -
query_admin_keys user_id uuid - - -
"

# Schemas only gatehousectl reaches (cli_routes in src/routes.c; the web gets 404): in the coverage check, not sent
# over HTTP (45-import.bats drives gatehousectl import).
CLI_ONLY=" schema_user_import "

# The fields of src/schemas.c: "SCHEMA FIELD TYPE", the macros (AUDIT_FILTERS, API_KEY_FIELDS) expanded.
code_fields() {
	awk '
		/^#define [A-Z_]+ \\$/ { mac = $2; next }
		mac != "" {
			if (match($0, /\.name = "[^"]+", \.type = FT_[A-Z]+/)) {
				s = substr($0, RSTART, RLENGTH); gsub(/\.name = "|", \.type = /, " ", s)
				body[mac] = body[mac] s "\n"
			}
			if ($0 !~ /\\$/) mac = ""
			next
		}
		/^const struct schema [a-z_]+ = \{/ { cur = $4; next }
		cur != "" && /^};/ { cur = ""; next }
		cur != "" {
			for (m in body) if (index($0, m)) { n = split(body[m], l, "\n"); for (i = 1; i < n; i++) print cur l[i] }
			if (match($0, /\.name = "[^"]+", \.type = FT_[A-Z]+/) && $0 !~ /\.nfields/) {
				s = substr($0, RSTART, RLENGTH); gsub(/\.name = "|", \.type = /, " ", s); print cur s
			}
		}' "$GATEHOUSE_SRC/src/schemas.c" | sed -E 's/ +/ /g'
}

# route SCHEMA: "METHOD PATH" of the first route of src/routes.c that uses SCHEMA, {} replaced by an absent id.
route() {
	grep -E "&$1[,} ]" "$GATEHOUSE_SRC/src/routes.c" | head -n 1 |
		sed -E 's/.*\{ *M_([A-Z]+), *"([^"]+)".*/\1 \2/' | sed "s/{}/$NOBODY/g; s|/export/$NOBODY|/export/csv|"
}

# send SCHEMA BODY [CONTENT_TYPE]: BODY to the route of SCHEMA, as the admin.
send() {
	local r
	r=$(route "$1")
	[ -n "$r" ] || fail "no route uses $1"
	as_admin ${r% *} "${r#* }" -H "Content-Type: ${3:-application/json}" --data-binary "$2"
}

# entry FIELD [LOC0]: the 422 entry of FIELD in the last response, compact JSON, or nothing.
entry() {
	jq -c --arg f "$1" --arg l "${2:-body}" '.detail | if type == "array" then .[] else empty end |
		select(.loc == [$l, $f])' <<<"$body" 2>/dev/null | head -n 1
}

@test "every field of the schema table has a row in the expected table, and every row a field" {
	code=$(code_fields | awk '{ print $1, $2 }' | sort)
	[ "$(wc -l <<<"$code")" -ge 50 ] || fail "could not read src/schemas.c: $code"
	want=$(awk 'NF { print $1, $2 }' <<<"$EXPECTED" | sort)
	missing=$(comm -23 <(echo "$code") <(echo "$want"))
	stale=$(comm -13 <(echo "$code") <(echo "$want"))
	[ -z "$missing" ] || fail "fields of src/schemas.c with no row in 17-validation-table.bats's EXPECTED:
$missing"
	[ -z "$stale" ] || fail "rows of EXPECTED for fields src/schemas.c does not have:
$stale"
	# A secret in the code is a secret in the table, and the other way round.
	while read -r schema field type; do
		kind=$(awk -v s="$schema" -v f="$field" '$1 == s && $2 == f { print $3 }' <<<"$EXPECTED")
		case $type in
		FT_PASSWORD | FT_SECRET) [[ $kind == password || $kind == secret || $kind == form-secret ]] ;;
		*) [[ $kind != password && $kind != secret && $kind != form-secret ]] ;;
		esac || fail "$schema.$field is $type in src/schemas.c but $kind in the expected table"
	done <<<"$(code_fields)"
}

@test "secrets: every secret field of the schema table is masked in whole-body echoes (jw_is_secret_key)" {
	masked=$(sed -n '/^jw_is_secret_key/,/^}/p' "$GATEHOUSE_SRC/src/jsonw.c")
	[ -n "$masked" ] || fail "cannot read jw_is_secret_key in src/jsonw.c"
	while read -r schema field type; do
		case $type in FT_PASSWORD | FT_SECRET) ;; *) continue ;; esac
		[[ $masked == *"\"$field\""* ]] || fail "$schema.$field is a secret, but jw_is_secret_key (src/jsonw.c) does not mask \"$field\""
	done <<<"$(code_fields)"
}

@test "secrets: no 422 echoes a secret field, alone or in the whole body, for every schema that has one" {
	n=0
	for schema in $(awk '$3 ~ /password|secret/ && $1 ~ /^schema_/ { print $1 }' <<<"$EXPECTED" | sort -u); do
		[[ $CLI_ONLY != *" $schema "* ]] || continue
		secrets=$(awk -v s="$schema" '$1 == s && $3 ~ /password|secret/ { print $2 }' <<<"$EXPECTED")
		fields=$(awk -v s="$schema" '$1 == s { print $2 }' <<<"$EXPECTED")
		arrays=$(for f in $fields; do printf '"%s":["MARK-%s-arr"],' "$f" "$f"; done)
		long=$(for f in $secrets; do printf '"%s":"MARK-%s-long-%s",' "$f" "$f" "$(printf 'x%.0s' $(seq 600))"; done)
		plain=$(for f in $fields; do printf '"%s":"MARK-%s-plain",' "$f" "$f"; done)
		for b in "{${arrays%,}}" "{${long%,}}"; do
			send "$schema" "$b"
			[ "$code" = 422 ] || fail "$schema: want 422 for $b, got $code $body"
			for f in $secrets; do
				refute_contains "$body" "MARK-$f"
				e=$(entry "$f")
				if [ -n "$e" ]; then
					[ "$(jq -c .input <<<"$e")" = '"********"' ] || fail "$schema.$f: $e"
				fi
			done
			n=$((n + 1))
		done
		# The whole body echoed: a non-JSON content type, and a body that is not an object.
		for ct in text/plain application/xml; do
			send "$schema" "{${plain%,}}" "$ct"
			[ "$code" = 422 ] || fail "$schema as $ct: $code $body"
			for f in $secrets; do refute_contains "$body" "MARK-$f"; done
			n=$((n + 1))
		done
		send "$schema" "[{${plain%,}}]"
		[ "$code" = 422 ] || fail "$schema with an array body: $code $body"
		for f in $secrets; do refute_contains "$body" "MARK-$f"; done
		n=$((n + 1))
	done
	[ "$n" -ge 30 ] || fail "only $n secret checks ran"
}

# want_type KIND JSON: "type|msg" pydantic gives a field of KIND for the JSON value (the contract, §8), or "ok".
want_type() {
	local kind=$1 v=$2
	case $kind in
	string | secret | password | email | role) echo "string_type|Input should be a valid string" ;;
	uuid) echo "uuid_type|UUID input should be a string, bytes or UUID object" ;;
	bool)
		case $v in
		true | false) echo ok ;;
		\[* | \{*) echo "bool_type|Input should be a valid boolean" ;;
		*) echo "bool_parsing|Input should be a valid boolean, unable to interpret input" ;;
		esac ;;
	datetime) echo "datetime_type|Input should be a valid datetime" ;;
	literal:*)
		local lit=${kind#literal:}
		echo "literal_error|Input should be ${lit//\~/ }" ;;
	esac
}

@test "wrong JSON types: every body field x number, boolean, array, object, null gives pydantic's type and message" {
	n=0
	while read -r schema field kind min max null; do
		[[ $schema == schema_* && $kind != form* && $CLI_ONLY != *" $schema "* ]] || continue
		for v in 123 true '["x"]' '{"x":1}' null; do
			# A number is a timestamp to pydantic's datetime (lax mode): left to 16-expiry's future check.
			[[ $kind == datetime && $v == 123 ]] && continue
			if [ "$v" = null ]; then
				want=ok
				[ "$null" = ok ] || want=$(want_type "$kind" '[]')
				[[ $kind != bool ]] || [ "$null" = ok ] || want="bool_type|Input should be a valid boolean"
			else
				want=$(want_type "$kind" "$v")
			fi
			send "$schema" "{\"$field\":$v}"
			e=$(entry "$field")
			if [ "$want" = ok ]; then
				[ -z "$e" ] || fail "$schema.$field = $v: want it accepted, got $e"
			else
				[ "$(jq -r '.type + "|" + .msg' <<<"$e")" = "$want" ] || fail "$schema.$field = $v: want $want, got ${e:-no entry ($code $body)}"
			fi
			n=$((n + 1))
		done
	done <<<"$EXPECTED"
	[ "$n" -ge 90 ] || fail "only $n type checks ran"
}

# chars N: N characters (a letter each; none of them a control character).
chars() { [ "$1" -gt 0 ] && printf 'x%.0s' $(seq "$1") || true; }

@test "bounds: every length bound of a body field at min-1, min, max and max+1" {
	n=0
	while read -r schema field kind min max null; do
		[[ $schema == schema_* && $kind =~ ^(string|secret|password|role)$ && $CLI_ONLY != *" $schema "* ]] || continue
		for len in $([ "$min" = - ] || echo $((min - 1)) "$min") $([ "$max" = - ] || echo "$max" $((max + 1))); do
			[ "$len" -ge 0 ] || continue
			send "$schema" "{\"$field\":\"$(chars "$len")\"}"
			e=$(entry "$field")
			input='"'$(chars "$len")'"'
			[[ $kind == string || $kind == role ]] || input='"********"'
			if [ "$min" != - ] && [ "$len" -lt "$min" ]; then
				s=s; [ "$min" != 1 ] || s=
				want='{"type":"string_too_short","loc":["body","'$field'"],"msg":"String should have at least '$min' character'$s'","input":'$input',"ctx":{"min_length":'$min'}}'
				[ "$e" = "$want" ] || fail "$schema.$field of $len: want $want, got ${e:-no entry ($code)}"
			elif [ "$max" != - ] && [ "$len" -gt "$max" ]; then
				want='{"type":"string_too_long","loc":["body","'$field'"],"msg":"String should have at most '$max' characters","input":'$input',"ctx":{"max_length":'$max'}}'
				[ "$e" = "$want" ] || fail "$schema.$field of $len: want $want, got ${e:-no entry ($code)}"
			elif [ "$kind" = role ]; then
				# Long enough to pass the length check, it reaches the role check.
				[ "$(jq -r .type <<<"$e")" = value_error ] || fail "$schema.$field of $len: want the role check, got $e"
			else
				[ -z "$e" ] || fail "$schema.$field of $len (within $min..$max): want it accepted, got $e"
			fi
			n=$((n + 1))
		done
	done <<<"$EXPECTED"
	[ "$n" -ge 30 ] || fail "only $n bound checks ran"
}

@test "bounds: every query integer and string bound at min-1, min, max and max+1" {
	n=0
	while read -r schema field kind min max null; do
		[[ $schema == query_* && $kind =~ ^(int|string)$ ]] || continue
		r=$(route "$schema")
		[ -n "$r" ] || fail "no route uses $schema"
		vals=""
		if [ "$kind" = int ]; then
			[ "$min" = - ] || vals+=" $((min - 1)) $min"
			[ "$max" = - ] || vals+=" $max $((max + 1))"
		else
			vals=" $(chars "$max") $(chars $((max + 1)))"
		fi
		for v in $vals; do
			as_admin ${r% *} "${r#* }?$field=$v"
			e=$(entry "$field" query)
			if [ "$kind" = int ] && [ "$v" -lt "$min" ]; then
				want='{"type":"greater_than_equal","loc":["query","'$field'"],"msg":"Input should be greater than or equal to '$min'","input":"'$v'","ctx":{"ge":'$min'}}'
			elif [ "$kind" = int ] && [ "$max" != - ] && [ "$v" -gt "$max" ]; then
				want='{"type":"less_than_equal","loc":["query","'$field'"],"msg":"Input should be less than or equal to '$max'","input":"'$v'","ctx":{"le":'$max'}}'
			elif [ "$kind" = string ] && [ ${#v} -gt "$max" ]; then
				want='{"type":"string_too_long","loc":["query","'$field'"],"msg":"String should have at most '$max' characters","input":"'$v'","ctx":{"max_length":'$max'}}'
			else
				want=""
			fi
			[ "$e" = "$want" ] || fail "$r?$field=${v:0:20}...: want ${want:-no entry}, got ${e:-no entry ($code)}"
			n=$((n + 1))
		done
	done <<<"$EXPECTED"
	[ "$n" -ge 40 ] || fail "only $n query bound checks ran"
}
