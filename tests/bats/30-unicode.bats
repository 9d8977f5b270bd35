#!/usr/bin/env bats
# Unicode by library (issue 14, section 1): accent-insensitive search as the reference's HEAD (lower + unaccent
# on both sides), unique keys made by libunistring (case folding + NFC), emails stored NFC.

load helpers

setup_file() {
	start_instance
	# Names and emails spelt with precomposed and decomposed accents (printf turns \u escapes into UTF-8).
	for spec in "café1|" "jose77|" "$(printf 'Zo\u00eb M\u00fcller')|" "$(printf 'Mu\u0308ller2')|" \
		"plainuser|$(printf 'r\u00e9sum\u00e9@example.com')" "ascii-only|stefan@example.org"; do
		name=${spec%%|*} email=${spec#*|}
		as_admin POST /admin/users/ -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg u "$name" --arg e "$email" \
				'{username:$u,password:"longenough1"} + (if $e == "" then {} else {email:$e} end)')"
		[ "$code" = 201 ] || { echo "seed $name: $code $body" >&2; return 1; }
	done
}
teardown_file() { stop_instance; }

# search TERM: prints the sorted usernames the list finds (URL-encoded by curl).
search() {
	as_admin GET /admin/users/ -G --data-urlencode "search=$1" --data-urlencode limit=200
	[ "$code" = 200 ] || { echo "search $1: $code $body" >&2; return 1; }
	jq -r '[.users[].username] | sort | join(",")' <<<"$body"
}

@test "search is accent- and case-insensitive on both sides, through the trigram index and the short scan" {
	# term | usernames expected (sorted, comma-joined). Three characters or more use the index; fewer scan.
	local cases=(
		"cafe|café1"
		"CAFÉ|café1"
		"$(printf 'cafe\u0301')|café1"
		"josé77|jose77"
		"JOSE|jose77"
		"muller|$(printf 'Mu\u0308ller2'),$(printf 'Zo\u00eb M\u00fcller')"
		"$(printf 'M\u00dcLLER')|$(printf 'Mu\u0308ller2'),$(printf 'Zo\u00eb M\u00fcller')"
		"zoe m|$(printf 'Zo\u00eb M\u00fcller')"
		"ZOË|$(printf 'Zo\u00eb M\u00fcller')"
		"resume|plainuser"
		"RÉSUMÉ@|plainuser"
		"fé|café1"
		"oe|$(printf 'Zo\u00eb M\u00fcller')"
		"ül|$(printf 'Mu\u0308ller2'),$(printf 'Zo\u00eb M\u00fcller')"
		"stefan|ascii-only"
		"stéfan|ascii-only"
		"nobody|"
	)
	local failed=0 c term want got
	for c in "${cases[@]}"; do
		term=${c%%|*} want=${c#*|}
		got=$(search "$term")
		if [ "$got" != "$want" ]; then
			echo "search=$term: want [$want], got [$got]" >&2
			failed=1
		fi
	done
	[ "$failed" = 0 ]
}

@test "the search keys are stored and indexed: the trigram index answers, no scan of users" {
	run db "SELECT username_skey FROM users WHERE username = '$(printf 'Zo\u00eb M\u00fcller')'"
	[ "$status" -eq 0 ]
	[ "$output" = "zoe muller" ]
	if pg_mode; then
		# pg_trgm: a trigram index on the stored search key, and the planner takes it for a search.
		run db "SET enable_seqscan = off; EXPLAIN SELECT uid FROM users WHERE username_skey LIKE '%muller%'"
		[ "$status" -eq 0 ]
		[[ $output == *"Index"* ]] || fail "a search scans users: $output"
	else
		run db "SELECT count(*) FROM users_fts WHERE users_fts MATCH '\"muller\"'"
		[ "$status" -eq 0 ]
		[ "$output" = 2 ]
	fi
}

@test "usernames that differ only by composition or case are one account: 409" {
	# precomposed ü / u + U+0308 / capitals, each against the names seeded above
	local cases=(
		"$(printf 'Zo\u00eb M\u00fcller')"
		"$(printf 'Zoe\u0308 Mu\u0308ller')"
		"$(printf 'ZO\u00cb M\u00dcLLER')"
		"$(printf 'M\u00fcller2')"
		"$(printf 'CAF\u00c9')1"
		"$(printf 'cafe\u0301')1"
	)
	local failed=0 name
	for name in "${cases[@]}"; do
		as_admin POST /admin/users/ -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg u "$name" '{username:$u,password:"longenough1"}')"
		if [ "$code" != 409 ] || [ "$(jq -r .detail <<<"$body")" != "Username already taken" ]; then
			echo "$name: $code $body" >&2
			failed=1
		fi
	done
	[ "$failed" = 0 ]
}

@test "login finds the account whichever composition the name is typed in" {
	token=$(login_token "$(printf 'Zoe\u0308 MU\u0308LLER')" longenough1)
	[[ $token =~ ^gat_[A-Za-z0-9_-]{43}$ ]]
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	[ "$(jq -r .username <<<"$body")" = "$(printf 'Zo\u00eb M\u00fcller')" ]
}

@test "emails are stored in NFC, and precomposed and decomposed forms of one address collide: 409" {
	# jürgen@example.com written decomposed: stored precomposed
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg e "$(printf 'ju\u0308rgen@example.com')" '{username:"juergen",password:"longenough1",email:$e}')"
	expect 201
	[ "$(jq -r .email <<<"$body")" = "$(printf 'j\u00fcrgen@example.com')" ]
	run db "SELECT $(sql_text_hex email) FROM users WHERE username = 'juergen'"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'j\u00fcrgen@example.com' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	# every other spelling of the same address is taken
	local failed=0 e
	for e in "$(printf 'j\u00fcrgen@example.com')" "$(printf 'ju\u0308rgen@example.com')" \
		"$(printf 'J\u00dcRGEN@EXAMPLE.COM')" "$(printf 'j\u00fcrgen@EXAMPLE.com')" \
		"$(printf 'Ju\u0308rgen@Example.com')"; do
		as_admin POST /admin/users/ -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg e "$e" '{username:"other",password:"longenough1",email:$e}')"
		if [ "$code" != 409 ] || [ "$(jq -r .detail <<<"$body")" != "Email already registered" ]; then
			echo "$e: $code $body" >&2
			failed=1
		fi
	done
	[ "$failed" = 0 ]
}

@test "the domain is mapped and stored in NFC too: bu\u0308cher.de is bücher.de" {
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg e "$(printf 'info@BU\u0308CHER.de')" '{username:"buecher",password:"longenough1",email:$e}')"
	expect 201
	[ "$(jq -r .email <<<"$body")" = "$(printf 'info@b\u00fccher.de')" ]
}

@test "PATCH stores the email in NFC, and refuses another user's address in any composition" {
	id=$(create_user patched longenough1 viewer)
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg e "$(printf 'e\u0301x@example.com')" '{email:$e}')"
	expect 200
	[ "$(jq -r .email <<<"$body")" = "$(printf '\u00e9x@example.com')" ]
	run db "SELECT CAST(email = '$(printf '\u00e9x@example.com')' AS INTEGER) FROM users WHERE id = '$id'"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg e "$(printf 'JU\u0308RGEN@example.com')" '{email:$e}')"
	problem 409 "Email already registered"
}

@test "the local part is checked again after NFC, with email-validator's message" {
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg e "$(printf 'me.\u037e@example.com')" '{username:"greekq",password:"longenough1",email:$e}')"
	[ "$code" = 422 ]
	[ "$(jq -r '.detail[0].ctx.reason' <<<"$body")" = "After Unicode normalization: The email address contains invalid characters before the @-sign: ';'." ]
}
