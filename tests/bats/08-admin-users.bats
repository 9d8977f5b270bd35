#!/usr/bin/env bats
# The admin API over one user and lists of users: GET, PATCH, DELETE, deactivate, approve, reject,
# reset-password, the list with its filters and sorts, names, CSV export, stats.

load helpers

setup_file() {
	start_instance
	ADMIN_ID=$(curl -s "$BASE/auth/me/" -H "Authorization: Bearer $ADMIN_TOKEN" | jq -r .id)
	export ADMIN_ID
}
teardown_file() { stop_instance; }

json() { as_admin "$1" "$2" -H 'Content-Type: application/json' --data "$3"; }

# pending NAME: a user in the pending state, as self-registration would leave it.
pending() {
	local id
	id=$(create_user "$1" 'pending-pass-1' viewer)
	db "UPDATE users SET status = 'pending' WHERE id = '$id'; DELETE FROM user_roles WHERE uid = (SELECT uid FROM users WHERE id = '$id')"
	echo "$id"
}

NOBODY=0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e

@test "GET /admin/users/{id}: the UserResponse; 404 User not found; no slash variant needed" {
	id=$(create_user getme 'longenough1' editor)
	as_admin GET "/admin/users/$id"
	expect 200
	[ "$(jq -c '[.id,.username,.roles,.status,.quota_usage]' <<<"$body")" = "[\"$id\",\"getme\",[\"editor\"],\"active\",null]" ]
	as_admin GET "/admin/users/$id/"
	expect 200
	as_admin GET "/admin/users/$NOBODY"
	problem 404 "User not found"
}

@test "UUIDs are accepted in every pydantic form, upper case too" {
	id=$(create_user forms 'longenough1' viewer)
	simple=${id//-/}
	for form in "${simple^^}" "{$id}" "urn:uuid:$id" "${id^^}"; do
		as_admin GET "/admin/users/$form"
		expect 200
		[ "$(jq -r .id <<<"$body")" = "$id" ]
	done
}

@test "a malformed id is 422 uuid_parsing at path.user_id, after authentication" {
	as_admin GET /admin/users/abc
	invalid '[{"type":"uuid_parsing","loc":["path","user_id"],"msg":"Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3","input":"abc","ctx":{"error":"invalid length: expected length 32 for simple format, found 3"}}]'
	as_admin PATCH /admin/users/names -H 'Content-Type: application/json' --data '{}'
	invalid '[{"type":"uuid_parsing","loc":["path","user_id"],"msg":"Input should be a valid UUID, invalid character: found `n` at 1","input":"names","ctx":{"error":"invalid character: found `n` at 1"}}]'
	req GET /admin/users/abc
	problem 401 "Could not validate credentials"
}

@test "path, query and body problems are reported together, path first" {
	as_admin PATCH /admin/users/xyz -H 'Content-Type: application/json' --data '{"status":"gone","is_active":"maybe"}'
	[ "$code" = 422 ]
	[ "$(jq -c '[.detail[].loc]' <<<"$body")" = '[["path","user_id"],["body","is_active"],["body","status"]]' ]
}

@test "GET /admin/users/: users and total, quota_usage filled, defaults skip 0 limit 50" {
	as_admin GET /admin/users/
	expect 200
	[ "$(jq -r '.total' <<<"$body")" -ge 1 ]
	[ "$(jq -r '.users|length' <<<"$body")" = "$(jq -r '.total' <<<"$body")" ]
	[ "$(jq -c '.users[0].quota_usage' <<<"$body")" = '{"bytes_used":0,"dataset_count":0,"storage_cap":0,"count_cap":0}' ]
}

@test "list: search is a case-insensitive substring of username or email, % and _ literal" {
	create_user 'Search_Me%1' 'longenough1' viewer
	json POST /admin/users/ '{"username":"other-name","password":"longenough1","email":"Findme@Example.com"}'
	create_user 'searchXme' 'longenough1' viewer
	as_admin GET '/admin/users/?search=H_ME%25'
	expect 200
	[ "$(jq -c '[.users[].username]' <<<"$body")" = '["Search_Me%1"]' ]
	[ "$(jq -r .total <<<"$body")" = 1 ]
	as_admin GET '/admin/users/?search=FINDME'
	[ "$(jq -c '[.users[].username]' <<<"$body")" = '["other-name"]' ]
	as_admin GET '/admin/users/?search='
	[ "$(jq -r .total <<<"$body")" -ge 4 ]
}

@test "list: the search index follows creates, email changes and deletes; short terms work too" {
	id=$(create_user idxfollow 'longenough1' viewer)
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"email":"Zebra-Mail@Example.com"}'
	as_admin GET '/admin/users/?search=zebra-mail'
	[ "$(jq -c '[.users[].username]' <<<"$body")" = '["idxfollow"]' ]
	as_admin GET '/admin/users/?search=xfo'
	[ "$(jq -c '[.users[].username]' <<<"$body")" = '["idxfollow"]' ]
	as_admin GET '/admin/users/?search=ZE'
	[ "$(jq -r '[.users[].username]|any(. == "idxfollow")' <<<"$body")" = true ]
	as_admin DELETE "/admin/users/$id"
	as_admin GET '/admin/users/?search=zebra-mail'
	[ "$(jq -c . <<<"$body")" = '{"users":[],"total":0}' ]
}

@test "list: status filter, skip and limit; total counts all matches" {
	for i in 1 2 3; do pending "pend$i" >/dev/null; done
	as_admin GET '/admin/users/?status=pending&limit=2'
	expect 200
	[ "$(jq -r .total <<<"$body")" = 3 ]
	[ "$(jq -r '.users|length' <<<"$body")" = 2 ]
	as_admin GET '/admin/users/?status=pending&limit=2&skip=2'
	[ "$(jq -r '.users|length' <<<"$body")" = 1 ]
	as_admin GET '/admin/users/?status=nonsense'
	[ "$(jq -c . <<<"$body")" = '{"users":[],"total":0}' ]
}

@test "list: sort and order, id breaking ties, nulls last both ways" {
	as_admin GET '/admin/users/?sort=username&order=asc&limit=200'
	names=$(jq -r '.users[].username' <<<"$body")
	[ "$names" = "$(LC_ALL=C sort <<<"$names")" ]
	as_admin GET '/admin/users/?sort=username&order=desc&limit=200'
	[ "$(jq -r '.users[].username' <<<"$body")" = "$(LC_ALL=C sort -r <<<"$names")" ]
	for order in asc desc; do
		as_admin GET "/admin/users/?sort=email&order=$order&limit=200"
		# once a null email appears, no non-null one follows
		[ "$(jq '[.users[].email] | (map(. == null) | index(true)) as $i | if $i == null then true else (.[$i:] | all(. == null)) end' <<<"$body")" = true ]
		as_admin GET "/admin/users/?sort=last_login_at&order=$order&limit=200"
		[ "$(jq '[.users[].last_login_at] | (map(. == null) | index(true)) as $i | if $i == null then true else (.[$i:] | all(. == null)) end' <<<"$body")" = true ]
		[ "$(jq -r '.users[0].username' <<<"$body")" = admin ]
	done
	as_admin GET '/admin/users/?sort=created_at&order=desc&limit=200'
	ids=$(jq -r '.users[].id' <<<"$body")
	[ "$ids" = "$(sort -r <<<"$ids")" ]
}

@test "list: query errors are 422 with pydantic's texts, all together" {
	as_admin GET '/admin/users/?skip=-1&limit=201&sort=name&order=up'
	invalid '[{"type":"greater_than_equal","loc":["query","skip"],"msg":"Input should be greater than or equal to 0","input":"-1","ctx":{"ge":0}},
		{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 200","input":"201","ctx":{"le":200}},
		{"type":"literal_error","loc":["query","sort"],"msg":"Input should be '"'username', 'email', 'status', 'last_login_at' or 'created_at'"'","input":"name","ctx":{"expected":"'"'username', 'email', 'status', 'last_login_at' or 'created_at'"'"}},
		{"type":"literal_error","loc":["query","order"],"msg":"Input should be '"'asc' or 'desc'"'","input":"up","ctx":{"expected":"'"'asc' or 'desc'"'"}}]'
	as_admin GET '/admin/users/?limit=abc'
	invalid '[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]'
	as_admin GET '/admin/users/?limit='
	invalid '[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]'
	long=$(printf 's%.0s' $(seq 51))
	as_admin GET "/admin/users/?status=$long"
	invalid "[{\"type\":\"string_too_long\",\"loc\":[\"query\",\"status\"],\"msg\":\"String should have at most 50 characters\",\"input\":\"$long\",\"ctx\":{\"max_length\":50}}]"
}

@test "list: lax integers as pydantic reads them; the last repeated parameter wins" {
	as_admin GET '/admin/users/?limit=+0_1.00&limit=%201%20'
	expect 200
	[ "$(jq -r '.users|length' <<<"$body")" = 1 ]
	as_admin GET '/admin/users/?limit=0_2'
	[ "$(jq -r '.users|length' <<<"$body")" = 2 ]
}

@test "GET /admin/users/names/: id and username, by username; limit up to 1000" {
	as_admin GET '/admin/users/names/?limit=3'
	expect 200
	[ "$(jq -r 'length' <<<"$body")" = 3 ]
	[ "$(jq -r '.[0]|keys_unsorted|join(",")' <<<"$body")" = "id,username" ]
	# By username, byte order (as ?sort=username), every user.
	create_user names-b 'longenough1' viewer >/dev/null
	create_user names-a 'longenough1' viewer >/dev/null
	as_admin GET '/admin/users/names/?limit=1000'
	expect 200
	names=$(jq -r '.[].username' <<<"$body")
	[ "$(wc -l <<<"$names")" = "$(db "SELECT count(*) FROM users")" ]
	[ "$names" = "$(LC_ALL=C sort <<<"$names")" ]
	as_admin GET '/admin/users/names?limit=1001'
	invalid '[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 1000","input":"1001","ctx":{"le":1000}}]'
}

@test "GET /admin/users/export.csv: streamed CSV with a dated file name and formula guard" {
	json POST /admin/users/ '{"username":"=cmd|calc","password":"longenough1","email":"csv@example.com"}'
	expect 201
	as_admin GET /admin/users/export.csv
	[ "$code" = 200 ]
	[ "$(header Content-Type)" = "text/csv; charset=utf-8" ]
	day=$(date -u +%Y%m%d)
	[ "$(header Content-Disposition)" = "attachment; filename=\"users-export-$day.csv\"; filename*=UTF-8''users-export-$day.csv" ]
	[ "$(head -n 1 <<<"$body" | tr -d '\r')" = "email,display_name,auth_provider,status,created_at" ]
	grep -q $'^"csv@example.com","\'=cmd|calc","local","active","20[0-9-]*T[0-9:.]*+00:00"\r$' "$BATS_TEST_TMPDIR/body"
	total=$(db "SELECT count(*) FROM users")
	[ "$(($(wc -l <"$BATS_TEST_TMPDIR/body") - 1))" = "$total" ]
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.export'")" = 2 ]
	db "SELECT details FROM audit WHERE action = 'user.export' ORDER BY id DESC LIMIT 1" | jq -e ".outcome == \"completed\" and .selected_rows == $total"
}

@test "GET /admin/users/export.csv lists the users oldest first" {
	for i in 1 2 3; do
		json POST /admin/users/ "{\"username\":\"order$i\",\"password\":\"longenough1\"}"
		expect 201
	done
	as_admin GET /admin/users/export.csv
	[ "$code" = 200 ]
	# created_at, the last column: never decreasing down the file, and every user there.
	tail -n +2 "$BATS_TEST_TMPDIR/body" | tr -d '\r' | sed -E 's/.*,"([^"]*)"$/\1/' >"$BATS_TEST_TMPDIR/created"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/created")" = "$(db "SELECT count(*) FROM users")" ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/created" | wc -l)" -gt 3 ]
	run sort -c "$BATS_TEST_TMPDIR/created"
	[ "$status" -eq 0 ]
	order=$(grep -o '"order[123]"' "$BATS_TEST_TMPDIR/body" | tr -d '"' | paste -sd ' ')
	[ "$order" = "order1 order2 order3" ]
}

@test "PATCH: email, status, role; null means unchanged; the audit row has before and after" {
	id=$(create_user patchme 'longenough1' viewer)
	json PATCH "/admin/users/$id" '{"email":"Patch@Example.COM","role":"editor"}'
	expect 200
	[ "$(jq -c '[.email,.roles,.status,.is_active]' <<<"$body")" = '["Patch@example.com",["editor"],"active",true]' ]
	json PATCH "/admin/users/$id" '{"email":null,"status":"disabled"}'
	[ "$(jq -c '[.email,.status,.is_active]' <<<"$body")" = '["Patch@example.com","disabled",false]' ]
	json PATCH "/admin/users/$id" '{"is_active":"yes"}'
	[ "$(jq -c '[.status,.is_active]' <<<"$body")" = '["active",true]' ]
	json PATCH "/admin/users/$id" '{}'
	expect 200
	db "SELECT details FROM audit WHERE action = 'user.update' AND resource_id = '$id' ORDER BY id LIMIT 1" |
		jq -e '.before == {"email":null,"is_active":true,"status":"active","roles":["viewer"]} and .after.roles == ["editor"]'
}

@test "PATCH: conflicting status and is_active, bad literal, bad bool" {
	id=$(create_user patch2 'longenough1' viewer)
	json PATCH "/admin/users/$id" '{"status":"active","is_active":false}'
	invalid '[{"type":"value_error","loc":["body"],"msg":"Value error, status and is_active describe conflicting states","input":{"status":"active","is_active":false},"ctx":{"error":{}}}]'
	json PATCH "/admin/users/$id" '{"status":"frozen","is_active":[1]}'
	invalid '[{"type":"bool_type","loc":["body","is_active"],"msg":"Input should be a valid boolean","input":[1]},
		{"type":"literal_error","loc":["body","status"],"msg":"Input should be '"'active' or 'disabled'"'","input":"frozen","ctx":{"expected":"'"'active' or 'disabled'"'"}}]'
	json PATCH "/admin/users/$id" '{"is_active":"maybe"}'
	invalid '[{"type":"bool_parsing","loc":["body","is_active"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]'
}

@test "PATCH: email taken by another user is 409; keeping one's own email is fine" {
	a=$(create_user mail-a 'longenough1' viewer)
	json PATCH "/admin/users/$a" '{"email":"taken@example.com"}'
	expect 200
	b=$(create_user mail-b 'longenough1' viewer)
	json PATCH "/admin/users/$b" '{"email":"TAKEN@example.com"}'
	problem 409 "Email already registered"
	json PATCH "/admin/users/$a" '{"email":"taken@example.com"}'
	expect 200
}

@test "PATCH: the caller cannot change their own role or disable themselves (422)" {
	json PATCH "/admin/users/$ADMIN_ID" '{"role":"admin"}'
	problem_422=$(jq -c . <<<"$body")
	[ "$code" = 422 ]
	[ "$problem_422" = '{"type":"about:blank","title":"Validation Error","status":422,"detail":"Cannot change your own role or disable your own account"}' ]
	json PATCH "/admin/users/$ADMIN_ID" '{"is_active":false}'
	[ "$code" = 422 ]
	json PATCH "/admin/users/$ADMIN_ID" '{"email":"me@example.com"}'
	expect 200
}

@test "PATCH: pending users only through approve or reject" {
	id=$(pending patchpend)
	json PATCH "/admin/users/$id" '{"role":"editor"}'
	[ "$code" = 422 ]
	[ "$(jq -r .detail <<<"$body")" = "Pending users must be approved or rejected; role and status cannot be changed via PATCH" ]
	json PATCH "/admin/users/$id" '{"email":"pend@example.com"}'
	expect 200
}

@test "deactivate: 200 disabled, 404, 409 for pending, 400 for oneself; the user's token dies at once" {
	id=$(create_user deact 'longenough1' viewer)
	t=$(login_token deact longenough1)
	json POST "/admin/users/$id/deactivate/" ''
	expect 200
	[ "$(jq -c '[.status,.is_active]' <<<"$body")" = '["disabled",false]' ]
	req GET /auth/me/ -H "Authorization: Bearer $t"
	problem 401 "Could not validate credentials"
	json POST "/admin/users/$id/deactivate" ''
	expect 200
	json POST "/admin/users/$NOBODY/deactivate/" ''
	problem 404 "User not found"
	p=$(pending deactpend)
	json POST "/admin/users/$p/deactivate/" ''
	problem 409 "Pending users must be approved or rejected before deactivation"
	json POST "/admin/users/$ADMIN_ID/deactivate/" ''
	problem 400 "Cannot deactivate your own account"
	[ "$(db "SELECT details FROM audit WHERE action = 'user.deactivate' AND resource_id = '$id' LIMIT 1")" = '{"username":"deact"}' ]
}

@test "approve: pending to active with the role; 409 when not pending; role required" {
	p=$(pending approveme)
	json POST "/admin/users/$p/approve/" '{"role":"editor"}'
	expect 200
	[ "$(jq -c '[.status,.is_active,.roles]' <<<"$body")" = '["active",true,["editor"]]' ]
	login_ok approveme pending-pass-1
	json POST "/admin/users/$p/approve" '{"role":"editor"}'
	problem 409 "Pending user approval is no longer available"
	json POST "/admin/users/$p/approve/" '{}'
	invalid '[{"type":"missing","loc":["body","role"],"msg":"Field required","input":{}}]'
	as_admin POST "/admin/users/$p/approve/"
	invalid '[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]'
	json POST "/admin/users/$NOBODY/approve/" '{"role":"viewer"}'
	problem 404 "User not found"
}

@test "reject: deletes a pending user (204); 409 when not pending" {
	p=$(pending rejectme)
	json POST "/admin/users/$p/reject/" ''
	expect 204
	[ -z "$body" ]
	as_admin GET "/admin/users/$p"
	problem 404 "User not found"
	id=$(create_user notpending 'longenough1' viewer)
	json POST "/admin/users/$id/reject" ''
	problem 409 "Pending user rejection is no longer available"
}

@test "DELETE: 204, then 404; the user's sessions go with it; 400 for oneself" {
	id=$(create_user deleteme 'longenough1' viewer)
	t=$(login_token deleteme longenough1)
	as_admin DELETE "/admin/users/$id"
	expect 204
	[ -z "$body" ]
	as_admin DELETE "/admin/users/$id"
	problem 404 "User not found"
	req GET /auth/me/ -H "Authorization: Bearer $t"
	problem 401 "Could not validate credentials"
	[ "$(db "SELECT count(*) FROM sessions WHERE uid NOT IN (SELECT uid FROM users)")" = 0 ]
	as_admin DELETE "/admin/users/$ADMIN_ID"
	problem 400 "Cannot delete your own account"
	p=$(pending deletepending)
	as_admin DELETE "/admin/users/$p"
	[ "$code" = 204 ]
}

@test "reset-password: 204, the old password and every session stop working, the new one works" {
	id=$(create_user resetme 'old-password-1' viewer)
	t=$(login_token resetme old-password-1)
	json POST "/admin/users/$id/reset-password/" '{"password":"new-password-1"}'
	[ "$code" = 204 ]
	req GET /auth/me/ -H "Authorization: Bearer $t"
	problem 401 "Could not validate credentials"
	login_refused resetme old-password-1
	login_ok resetme new-password-1
	json POST "/admin/users/$id/reset-password/" '{"password":"short"}'
	invalid '[{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 8 characters","input":"********","ctx":{"min_length":8}}]'
	json POST "/admin/users/$NOBODY/reset-password/" '{"password":"new-password-1"}'
	problem 404 "User not found"
	details=$(db "SELECT details FROM audit")
	assert_contains "$details" '"username":"resetme"'
	refute_contains "$details" new-password-1
}

@test "GET /admin/stats/: users by status and total, dataset fields present" {
	as_admin GET /admin/stats/
	expect 200
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "total_datasets,recent_additions,total_storage_bytes,datasets_by_geometry_type,datasets_by_visibility,users_by_status,total_users" ]
	total=$(db "SELECT count(*) FROM users")
	[ "$(jq -r .total_users <<<"$body")" = "$total" ]
	[ "$(jq -r '.users_by_status|add' <<<"$body")" = "$total" ]
	[ "$(jq -r '.users_by_status.active' <<<"$body")" = "$(db "SELECT count(*) FROM users WHERE status = 'active'")" ]
	[ "$(jq -c '[.total_datasets,.total_storage_bytes,.datasets_by_visibility]' <<<"$body")" = '[0,0,{}]' ]
}

@test "an editor gets 403 on every admin route" {
	create_user ed-only 'longenough1' editor
	t=$(login_token ed-only longenough1)
	for path in /admin/users/ /admin/users/names/ /admin/users/export.csv "/admin/users/$ADMIN_ID" /admin/stats/; do
		req GET "$path" -H "Authorization: Bearer $t"
		problem 403 "Missing permission: manage_users"
	done
	req GET /admin/audit-logs/ -H "Authorization: Bearer $t"
	problem 403 "Missing permission: manage_settings"
}
