#!/usr/bin/env bats
# gatehousectl import: users with existing crypt(3) hashes from CSV or JSON. Every accepted method logs in and is
# upgraded to yescrypt; other methods and absurd costs are refused with the reason; the API's rules apply.

load helpers

setup_file() {
	start_instance
}

teardown_file() {
	stop_instance
}

ctl() { "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" "$@"; }

# mkhash PREFIX COUNT PASSWORD: a hash made by libxcrypt itself (crypt_gensalt + crypt), as another system would.
mkhash() {
	python3 - "$1" "$2" "$3" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt.restype = ctypes.c_char_p
lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
print(lib.crypt(sys.argv[3].encode(), lib.crypt_gensalt(sys.argv[1].encode(), int(sys.argv[2]), None, 0)).decode())
PY
}

stored() { db "SELECT password_hash FROM users WHERE username = '$1'"; }

@test "every accepted method, from CSV and from JSON, logs in and is upgraded to yescrypt" {
	{
		echo 'username,email,role,password_hash'
		echo "imp-2b,imp-2b@example.com,editor,$(mkhash '$2b$' 5 pw-imp-2b-1)"
		echo "imp-2y,,viewer,$(mkhash '$2y$' 4 pw-imp-2y-1)"
		echo "imp-6,,,$(mkhash '$6$' 0 pw-imp-6-1)"
		echo "\"imp-5\",,,\"$(mkhash '$5$' 0 pw-imp-5-1)\""
	} >"$BATS_TEST_TMPDIR/users.csv"
	jq -n --arg y "$(mkhash '$y$' 5 pw-imp-y-1)" --arg gy "$(mkhash '$gy$' 0 pw-imp-gy-1)" \
		--arg s "$(mkhash '$7$' 0 pw-imp-7-1)" \
		'[{username:"imp-y",password_hash:$y,role:"admin"},{username:"imp-gy",password_hash:$gy},
		  {username:"imp-7",password_hash:$s,email:"Imp-7@Example.COM"}]' >"$BATS_TEST_TMPDIR/users.json"
	run ctl import "$BATS_TEST_TMPDIR/users.csv"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "4 imported, 0 refused" ]
	run ctl import "$BATS_TEST_TMPDIR/users.json"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "3 imported, 0 refused" ]
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.import' AND actor_username = 'cli:$(id -un)' AND actor_id IS NULL")" -eq 7 ]
	for m in 2b 2y 6 5 y gy 7; do
		before=$(stored "imp-$m")
		[[ $before == '$'* && $before != '$y$j75$'* ]]
		req POST /auth/login --data-urlencode "username=imp-$m" --data-urlencode "password=pw-imp-$m-1"
		[ "$code" = 200 ] || { echo "imp-$m: $code $body" >&2; false; }
		after=$(stored "imp-$m")
		# The configured cost (hash_cost = 1 in these tests) in yescrypt.
		[[ $after == '$y$j75$'* ]] || { echo "imp-$m not upgraded: $after" >&2; false; }
		req POST /auth/login --data-urlencode "username=imp-$m" --data-urlencode "password=pw-imp-$m-1"
		[ "$code" = 200 ]
		req POST /auth/login --data-urlencode "username=imp-$m" --data-urlencode "password=wrong-password-1"
		[ "$code" = 401 ]
	done
	req GET /auth/me/ -H "Authorization: Bearer $(login_token imp-y pw-imp-y-1)"
	[ "$(jq -r .roles[0] <<<"$body")" = admin ]
	req GET /auth/me/ -H "Authorization: Bearer $(login_token imp-2b pw-imp-2b-1)"
	[ "$(jq -r '.roles[0] + " " + .email' <<<"$body")" = "editor imp-2b@example.com" ]
	[ "$(jq -r .email <<<"$(ctl user show imp-7 --json)")" = Imp-7@example.com ]
}

@test "other methods and absurd costs are refused with the reason; the rest of the file is imported" {
	b31=$(mkhash '$2b$' 4 x | sed 's/^\$2b\$04\$/$2b$31$/')
	b17=$(mkhash '$2b$' 4 x | sed 's/^\$2b\$04\$/$2b$17$/')
	{
		echo 'username,password_hash'
		echo "bad-md5,$(mkhash '$1$' 0 pw-bad-1)"
		echo "bad-des,abJnggxhB/yWI"
		echo "bad-plain,correct-horse-battery"
		echo "bad-2a,\$2a\$05\$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"
		echo "bad-b31,$b31"
		echo "bad-b17,$b17"
		echo "bad-sha-rounds,\$6\$rounds=9999999\$saltsalt\$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ./abcdefghijklmnopqrstuvwxy"
		echo "bad-y-huge,\$y\$jTT\$abcdefghijklmnopqrstuv\$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		echo "bad-7-huge,\$7\$Z6..../....abcdefgh\$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		echo "bad-empty,"
		echo "good-one,$(mkhash '$6$' 0 pw-good-1)"
		echo "x,$(mkhash '$6$' 0 pw-x-1)"
		echo "imp-2b,$(mkhash '$6$' 0 pw-dup-1)"
		echo "too,many,fields"
	} >"$BATS_TEST_TMPDIR/bad.csv"
	run ctl import "$BATS_TEST_TMPDIR/bad.csv"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 imported, 13 refused" ]
	for u in bad-md5 bad-des bad-plain bad-2a; do
		[[ $output == *"import line "*": $u: password_hash: Value error, not a hash gatehouse accepts"* ]]
	done
	[[ $output == *"bad-b31: password_hash: Value error, bcrypt cost must be 4 to 16"* ]]
	[[ $output == *"bad-b17: password_hash: Value error, bcrypt cost must be 4 to 16"* ]]
	[[ $output == *"bad-sha-rounds: password_hash: Value error, SHA-crypt rounds must be 1000 to 1000000"* ]]
	[[ $output == *"bad-y-huge: password_hash: Value error"* ]]
	[[ $output == *"bad-7-huge: password_hash: Value error"* ]]
	[[ $output == *"bad-empty: password_hash:"* ]]
	[[ $output == *"line 13: x: username: String should have at least 3 characters"* ]]
	[[ $output == *"line 14: imp-2b: Username already taken"* ]]
	[[ $output == *"line 15: 3 fields where the header has 2"* ]]
	# No hash is ever echoed.
	[[ $output != *'$1$'* ]]
	[[ $output != *'abJnggxhB'* ]]
	for u in bad-md5 bad-des bad-plain bad-2a bad-b31 bad-b17 bad-sha-rounds bad-y-huge bad-7-huge bad-empty x; do
		[ -z "$(stored "$u")" ]
	done
	login_ok good-one pw-good-1
}

@test "a file that is not CSV or JSON of users is refused as a whole" {
	printf '{"users": 3}' >"$BATS_TEST_TMPDIR/a.json"
	run ctl import "$BATS_TEST_TMPDIR/a.json"
	[ "$status" -eq 1 ]
	[[ $output == *"a JSON array of users"* ]]
	printf '[{"username": "z' >"$BATS_TEST_TMPDIR/b.json"
	run ctl import "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 1 ]
	[[ $output == *"is not valid JSON"* ]]
	printf 'name,hash\nq,w\n' >"$BATS_TEST_TMPDIR/c.csv"
	run ctl import "$BATS_TEST_TMPDIR/c.csv"
	[ "$status" -eq 1 ]
	[[ $output == *"the CSV header must name username and password_hash"* ]]
	run ctl import "$BATS_TEST_TMPDIR/none.csv"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot open $BATS_TEST_TMPDIR/none.csv as uid "*"No such file or directory"* ]]
	# From standard input, with the format named.
	run ctl import --format json - <<<"[{\"username\":\"from-stdin\",\"password_hash\":\"$(mkhash '$6$' 0 pw-stdin-1)\",\"status\":\"disabled\"}]"
	[ "$status" -eq 0 ]
	req POST /auth/login --data-urlencode username=from-stdin --data-urlencode password=pw-stdin-1
	[ "$code" = 403 ]
}
