#!/usr/bin/env bats
# Reference details (issue 14 §5). The 422 entries come in the order of the reference's request model fields
# (GeoLens backend/app/modules/{admin,auth}/schemas.py, FastAPI's OAuth2PasswordRequestForm, and the Query
# parameters in each route's signature): one row per model, every field wrong at once. GET /admin/stats/ has no
# null field.

load helpers

setup_file() { start_instance --set registration=on; }
teardown_file() { stop_instance; }

# locs: the loc paths of the last 422, joined.
locs() {
	[ "$code" = 422 ] || { echo "want 422, got $code: $body" >&2; return 1; }
	jq -r '[.detail[] | .loc | map(tostring) | join(".")] | join(" ")' <<<"$body"
}

@test "every request model's 422 entries follow the reference's field order (table)" {
	uid=$(db "SELECT id FROM users WHERE username = 'admin'")
	viewer=$(create_user order-viewer longenough1 viewer)
	fails=0
	while IFS='|' read -r method path ctype data want; do
		[ -n "$method" ] || continue
		path=${path//<UID>/$viewer}
		if [ -n "$ctype" ]; then
			as_admin "$method" "$path" -H "Content-Type: $ctype" --data-binary "$data"
		else
			as_admin "$method" "$path"
		fi
		got=$(locs) || { fails=$((fails + 1)); continue; }
		if [ "$got" != "$want" ]; then
			echo "$method $path $data: want '$want', got '$got'" >&2
			fails=$((fails + 1))
		fi
	done <<'EOF'
POST|/admin/api-keys/|application/json|{}|body.user_id body.name
POST|/admin/api-keys/|application/json|{"name":"","expires_at":"x","scope":"all","user_id":"nope"}|body.user_id body.name body.expires_at body.scope
POST|/auth/api-keys/|application/json|{"name":"","expires_at":"x","scope":"all"}|body.name body.expires_at body.scope
POST|/admin/users/|application/json|{}|body.username body.password
POST|/admin/users/|application/json|{"role":"x","email":"x","password":"short","username":"ab"}|body.username body.password body.email body.role
PATCH|/admin/users/<UID>|application/json|{"role":"x","status":"x","is_active":"x","email":"x"}|body.email body.is_active body.status body.role
POST|/admin/users/<UID>/approve/|application/json|{}|body.role
POST|/auth/change-password/|application/json|{"new_password":"short","current_password":""}|body.current_password body.new_password
POST|/auth/register/|application/json|{"email":"x","password":"short","username":"ab"}|body.username body.password body.email
POST|/auth/login|application/x-www-form-urlencoded|grant_type=client&password=|body.grant_type body.username body.password
POST|/auth/login|application/json|{"password":1,"username":2,"grant_type":"x"}|body.grant_type body.username body.password
GET|/admin/users/?order=x&sort=x&limit=0&skip=-1|||query.skip query.limit query.sort query.order
GET|/admin/users/names/?limit=0&skip=-1|||query.skip query.limit
GET|/admin/api-keys/?user_id=x&limit=0&skip=-1|||query.skip query.limit query.user_id
GET|/admin/audit-logs/?order=x&sort=x&limit=0&skip=-1&date_to=x&date_from=x&resource_id=x&user_id=x|||query.user_id query.resource_id query.date_from query.date_to query.skip query.limit query.sort query.order
GET|/admin/audit-logs/export/csv?max_rows=0&date_from=x&user_id=x|||query.user_id query.date_from query.max_rows
EOF
	[ "$fails" -eq 0 ]
}

@test "query entries carry the query location" {
	as_admin GET '/admin/users/?limit=0'
	[ "$(jq -c '.detail[0].loc' <<<"$body")" = '["query","limit"]' ]
}

@test "GET /admin/stats/: the dataset fields are zero or empty, never null" {
	as_admin GET /admin/stats/
	expect 200
	[ "$(jq -c '[.total_datasets, .recent_additions, .total_storage_bytes, .datasets_by_geometry_type, .datasets_by_visibility]' <<<"$body")" = '[0,0,0,{},{}]' ]
	[ "$(jq '[.. | select(. == null)] | length' <<<"$body")" = 0 ]
}
