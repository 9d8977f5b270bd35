#!/usr/bin/env bats
# The operator's command line: gatehousectl init and create-admin, gatehouse --help and --check, the configuration.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	DBV=$(new_database "$D/g.db")	# the database: $D/g.db, or on PostgreSQL a fresh database's URI
	printf 'database = %s\nhash_cost = 1\n' "$DBV" >"$D/g.conf"
	ctl="$GATEHOUSE_BIN/gatehousectl -c $D/g.conf"
}

@test "gatehouse and gatehousectl answer --help and --version" {
	run "$GATEHOUSE_BIN/gatehouse" --help
	assert_status 0
	assert_output_has "usage: gatehouse"
	run "$GATEHOUSE_BIN/gatehousectl" --help
	assert_status 0
	assert_output_has "create-admin"
	run "$GATEHOUSE_BIN/gatehouse" --version
	[[ $output == "gatehouse "* ]]
	run "$GATEHOUSE_BIN/gatehouse" --bogus
	[ "$status" -eq 2 ]
}

@test "init creates the database 0600 and is idempotent" {
	run $ctl init
	assert_status 0
	[[ $output =~ "schema version "[0-9]+ ]] || fail "output: $output"
	if ! pg_mode; then
		[ "$(stat -c %a "$D/g.db")" = 600 ]
	fi
	run $ctl init
	assert_status 0
	assert_output_has "0 users"
}

@test "create-admin with a generated password prints it once, and it works" {
	$ctl init
	run $ctl create-admin root
	[ "$status" -eq 0 ]
	pw=$(sed -n 's/^password: //p' <<<"$output")
	[ ${#pw} -eq 20 ]
	hash=$(db_at "$DBV" "SELECT password_hash FROM users WHERE username = 'root'")
	[[ $hash == '$y$'* ]]
	[ "$(db_at "$DBV" "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id")" = admin ]
	# The first admin is in the audit trail like every other user, made by the unix user who ran the command,
	# and the chain verifies.
	id=$(sed -n 's/^created admin root (id \(.*\))$/\1/p' <<<"$output")
	[ -n "$id" ]
	[ "$(db_at "$DBV" "SELECT action || '|' || coalesce(actor_id, '') || '|' || actor_username || '|' || resource_id FROM audit")" = "user.create||cli:$(id -un)|$id" ]
	$ctl verify-audit
	if pg_mode; then
		refute_contains "$(db_dump_at "$DBV")" "$pw"
	else
		refute_grep -F -q "$pw" "$D/g.db"
	fi
}

@test "a generated password is as long as password_min_length when that is over 20, for create-admin and user add" {
	printf 'password_min_length = 24\n' >>"$D/g.conf"
	$ctl init
	run $ctl create-admin root
	assert_status 0
	pw=$(sed -n 's/^password: //p' <<<"$output")
	[ ${#pw} -eq 24 ]
	run $ctl user add vera
	assert_status 0
	pw=$(sed -n 's/^password: //p' <<<"$output")
	[ ${#pw} -eq 24 ]
	run $ctl user reset-password vera
	assert_status 0
	pw=$(sed -n 's/^password: //p' <<<"$output")
	[ ${#pw} -eq 24 ]
}

@test "create-admin reads the password from stdin or a file" {
	$ctl init
	printf 'from-stdin-pw\n' | $ctl create-admin -s alice
	printf 'from-file-pw\n' >"$D/pw"
	$ctl create-admin -f "$D/pw" --email Bob@Example.COM bob
	[ "$(db_at "$DBV" "SELECT email FROM users WHERE username = 'bob'")" = Bob@example.com ]
}

@test "create-admin refuses a taken name, a short password and a bad email" {
	$ctl init
	printf 'long-enough-pw\n' | $ctl create-admin -s alice
	run sh -c "printf 'long-enough-pw\n' | $ctl create-admin -s ALICE"
	assert_status 1
	assert_output_has 'create-admin: Username already taken: "ALICE"'
	printf 'long-enough-pw\n' | $ctl create-admin -s -e erin@example.com erin
	run sh -c "printf 'long-enough-pw\n' | $ctl create-admin -s -e ERIN@example.com frank"
	assert_status 1
	assert_output_has 'create-admin: Email already registered: "ERIN@example.com"'
	run $ctl create-admin --role viewer gina
	assert_status 2
	assert_output_has "--role goes with user add (create-admin always makes an admin)"
	# The API's own rules and words, as user add gives them.
	run sh -c "printf 'short\n' | $ctl create-admin -s carol"
	assert_status 1
	assert_output_has "create-admin: password: String should have at least 8 characters"
	run $ctl create-admin -e not-an-email dave
	assert_status 1
	assert_output_has "must have an @-sign"
}

@test "a missing database is reported, not created, by gatehouse --check" {
	if pg_mode; then
		# A database the server does not have: named in the error, and not created.
		name=gh_missing_$RANDOM
		printf 'database = %s\nhash_cost = 1\n' "$(pg_uri "$name")" >"$D/missing.conf"
		run "$GATEHOUSE_BIN/gatehouse" -c "$D/missing.conf" --check
		assert_status 1
		assert_output_has "$name" "does not exist"
		[ "$(db_at "$DBV" "SELECT count(*) FROM pg_database WHERE datname LIKE 'gh_missing_%'")" = 0 ]
	else
		run "$GATEHOUSE_BIN/gatehouse" -c "$D/g.conf" --check
		assert_status 1
		assert_output_has "does not exist" "gatehousectl init"
		[ ! -e "$D/g.db" ]
	fi
	$ctl init
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/g.conf" --check
	[ "$status" -eq 0 ]
}

@test "an unknown setting or a bad value stops start-up with file and line" {
	printf 'database = %s\nhash_cots = 3\n' "$DBV" >"$D/bad.conf"
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/bad.conf" --check
	assert_status 1
	assert_output_has "bad.conf:2: unknown setting \"hash_cots\""
	printf 'hash_cost = 99\n' >"$D/bad.conf"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$D/bad.conf" init
	assert_status 1
	assert_output_has "bad.conf:1: hash_cost must be a whole number from 1 to 11"
}

@test "every setting that takes a word: each word in any case is taken, anything else refused naming the words" {
	$ctl init
	rows=0
	while IFS='|' read -r setting words offered; do
		rows=$((rows + 1))
		for w in $words; do
			for v in "$w" "${w^^}"; do
				printf 'database = %s\n%s = %s\n' "$DBV" "$setting" "$v" >"$D/w.conf"
				run "$GATEHOUSE_BIN/gatehouse" -c "$D/w.conf" --check
				[ "$status" -eq 0 ] || fail "$setting = $v: $output"
			done
		done
		printf 'database = %s\n%s = %s\n' "$DBV" "$setting" "${words%% *}x" >"$D/w.conf"
		run "$GATEHOUSE_BIN/gatehouse" -c "$D/w.conf" --check
		assert_status 1
		assert_output_has "w.conf:2: $setting must be $offered"
	done <<'ROWS'
log_level|error warning info debug|error, warning, info or debug
registration|on off yes no true false|on or off
api_key_query|on off yes no true false|on or off
client_address_header|x-forwarded-for x-real-ip|x-forwarded-for or x-real-ip
status_names|published current|published or current
ROWS
	# A row for every such setting in the configuration table.
	[ "$rows" -eq "$(grep -c '^[[:space:]]*{ "[a-z_]*", C_CHOICE,' "$GATEHOUSE_SRC/src/config.c")" ]
}

@test "a missing configuration named with -c is an error" {
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/none.conf" --check
	assert_status 1
	assert_output_has "cannot read configuration"
}

@test "the role matrix can be changed, within the reference's invariants" {
	printf 'database = %s\npermissions_editor = upload, manage_users\n' "$DBV" >"$D/m.conf"
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/m.conf" --check
	assert_status 1
	assert_output_has "only the admin role may have manage_users or manage_settings"
	printf 'database = %s\npermissions_admin = upload\n' "$DBV" >"$D/m.conf"
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/m.conf" --check
	assert_status 1
	assert_output_has "permissions_admin must keep manage_users and manage_settings"
	printf 'database = %s\npermissions_viewer = export, teleport\n' "$DBV" >"$D/m.conf"
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/m.conf" --check
	assert_status 1
	assert_output_has 'unknown capability "teleport"'
	printf 'database = %s\npermissions_viewer = none\n' "$DBV" >"$D/m.conf"
	$ctl init
	run "$GATEHOUSE_BIN/gatehouse" -c "$D/m.conf" --check
	[ "$status" -eq 0 ]
}

@test "every setting of the configuration table is described in gatehouse.conf(5) and shown in gatehouse.conf" {
	names=$(sed -n 's/^[[:space:]]*{ "\([a-z_]*\)", C_[A-Z]*,.*/\1/p' "$GATEHOUSE_SRC/src/config.c")
	[ "$(wc -l <<<"$names")" -ge 30 ] || fail "could not read the table of src/config.c: $names"
	missing=""
	for n in $names; do
		grep -q "^\.It Cm \(.* , \)\{0,1\}$n\( \|$\)" "$GATEHOUSE_SRC/man/gatehouse.conf.5.in" || missing="$missing man:$n"
		grep -q "^#\{0,1\}$n =\( \|$\)" "$GATEHOUSE_SRC/conf/gatehouse.conf.in" || missing="$missing conf:$n"
	done
	[ -z "$missing" ] || fail "settings not documented:$missing"
}

@test "gatehouse-run: a first admin refused (its password under password_min_length) is made on the next start" {
	G=$D/gr
	GDB=$(new_database "$G/gatehouse.db")
	GPORT=$(free_port)
	run sh -c "printf 'twenty-one-characters\n' | '$GATEHOUSE_SRC/contrib/gatehouse-run' --bin '$GATEHOUSE_BIN' --port $GPORT \
		--database '$GDB' --set password_min_length=24 --set hash_cost=1 --password-stdin '$G'"
	[ "$status" -ne 0 ]
	[[ $output == *"create-admin: password: Value error, Password must be at least 24 characters"* ]]
	# The database is there now, without a user: the next start makes the admin (it used to skip it).
	run sh -c "printf 'twenty-four-characters-ok\n' | '$GATEHOUSE_SRC/contrib/gatehouse-run' --bin '$GATEHOUSE_BIN' \
		--port $GPORT --database '$GDB' --password-stdin '$G'"
	"$GATEHOUSE_SRC/contrib/gatehouse-run" --stop "$G" >/dev/null 2>&1 || true
	[ "$status" -eq 0 ]
	[[ $output == *"created admin admin (id "* ]]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$G/gatehouse.conf" user list --json
	[ "$(jq -r '.[].username' <<<"$output")" = admin ]
	drop_database "$GDB"
}
