/*
 * schemas.c: the field table of every request body and query string. The validator (validate.c) reads these;
 * handlers only ever see values that passed them, indexed by the field's position (the enums in the handler
 * files name those positions).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>
#include <string.h>

#include "gatehouse.h"

static const char *const user_sorts[] = { "username", "email", "status", "last_login_at", "created_at", NULL };
static const char *const orders[] = { "asc", "desc", NULL };
static const char *const scopes[] = { "full", "read_only", NULL };
static const char *const audit_sorts[] = { "created_at", "action", "resource_type", "ip_address", "username", NULL };

/* POST /admin/users/: AdminUserCreate (the seed). */
const struct schema schema_admin_user_create = {
	.name = "AdminUserCreate", .nfields = 4, .fields = {
		{ .name = "username", .type = FT_STRING, .required = 1, .min = 3, .max = 150, .nocontrol = 1,
		    .lookalike = 1 },
		{ .name = "password", .type = FT_PASSWORD, .required = 1, .min = 8, .max = 256 },
		{ .name = "email", .type = FT_EMAIL, .nullable = 1 },
		{ .name = "role", .type = FT_ROLE, .dflt = "viewer" },
	}
};

/* gatehousectl import: one user with an existing crypt(3) hash; the create rules for name, email and role. */
static const char *const statuses_import[] = { "active", "pending", "disabled", NULL };

const struct schema schema_user_import = {
	.name = "UserImport", .nfields = 5, .fields = {
		{ .name = "username", .type = FT_STRING, .required = 1, .min = 3, .max = 150, .nocontrol = 1,
		    .lookalike = 1 },
		{ .name = "password_hash", .type = FT_SECRET, .required = 1, .min = 1, .max = 512 },
		{ .name = "email", .type = FT_EMAIL, .nullable = 1 },
		{ .name = "role", .type = FT_ROLE, .nullable = 1, .dflt = "viewer" },
		{ .name = "status", .type = FT_LITERAL, .nullable = 1, .dflt = "active", .lit = statuses_import },
	}
};

/* POST /setup: the first admin of an empty database, for the holder of the configured setup_token. */
const struct schema schema_setup = {
	.name = "SetupRequest", .nfields = 4, .fields = {
		{ .name = "setup_token", .type = FT_SECRET, .required = 1, .min = 1, .max = 1024 },
		{ .name = "username", .type = FT_STRING, .required = 1, .min = 3, .max = 150, .nocontrol = 1,
		    .lookalike = 1 },
		{ .name = "password", .type = FT_PASSWORD, .required = 1, .min = 8, .max = 256 },
		{ .name = "email", .type = FT_EMAIL, .nullable = 1 },
	}
};

/* POST /auth/login: the OAuth2 password form (JSON accepted too). Field order as FastAPI's
   OAuth2PasswordRequestForm.__init__ declares it (grant_type first): the order of the 422 entries. */
const struct schema schema_login = {
	.name = "OAuth2PasswordRequestForm", .form = 1, .nfields = 3, .fields = {
		{ .name = "grant_type", .type = FT_STRING, .nullable = 1, .exact = "password" },
		{ .name = "username", .type = FT_STRING, .required = 1 },
		{ .name = "password", .type = FT_SECRET, .required = 1 },
	}
};

/* status and is_active, when both are given, must describe the same state. */
static void
user_update_check(struct req *r)
{
	const struct value *status = &r->v[2], *active = &r->v[1];
	struct verr *e;

	if (status->present && active->present && (status->i == SI_ACTIVE) != (active->i == 1)) {
		if ((e = verr_add(&r->verrs, "value_error",
		    "Value error, status and is_active describe conflicting states")) != NULL) {
			e->loc[0] = "body";
			e->input_kind = VIN_JSON;
			e->input = r->json;
			e->ctx = "{\"error\":{}}";
		}
	}
}

/* PATCH /admin/users/{id}: UserUpdate, every field optional; null means unchanged. */
const struct schema schema_user_update = {
	.name = "UserUpdate", .nfields = 4, .check = user_update_check, .fields = {
		{ .name = "email", .type = FT_EMAIL, .nullable = 1 },
		{ .name = "is_active", .type = FT_BOOL, .nullable = 1 },
		{ .name = "status", .type = FT_STATUS, .nullable = 1 },
		{ .name = "role", .type = FT_ROLE, .nullable = 1, .max = 50 },
	}
};

/* POST /admin/users/{id}/approve/: ApproveRequest. */
const struct schema schema_approve = {
	.name = "ApproveRequest", .nfields = 1, .fields = {
		{ .name = "role", .type = FT_ROLE, .required = 1, .max = 50 },
	}
};

/* POST /admin/users/{id}/reset-password/: ours; the new password under the password rules. */
const struct schema schema_reset_password = {
	.name = "PasswordReset", .nfields = 1, .fields = {
		{ .name = "password", .type = FT_PASSWORD, .required = 1, .min = 8, .max = 256 },
	}
};

/* GET /admin/users/ */
const struct schema query_users_list = {
	.name = "users list", .nfields = 6, .fields = {
		{ .name = "skip", .type = FT_INT, .imin = 0, .imax = INT64_MAX, .dflt = "0" },
		{ .name = "limit", .type = FT_INT, .imin = 1, .imax = 200, .dflt = "50" },
		{ .name = "status", .type = FT_STRING, .max = 50 },
		{ .name = "search", .type = FT_STRING, .max = 200 },
		{ .name = "sort", .type = FT_LITERAL, .lit = user_sorts, .dflt = "created_at" },
		{ .name = "order", .type = FT_LITERAL, .lit = orders, .dflt = "asc" },
	}
};

/* GET /admin/users/names/ */
const struct schema query_users_names = {
	.name = "user names", .nfields = 2, .fields = {
		{ .name = "skip", .type = FT_INT, .imin = 0, .imax = INT64_MAX, .dflt = "0" },
		{ .name = "limit", .type = FT_INT, .imin = 1, .imax = 1000, .dflt = "500" },
	}
};

#define AUDIT_FILTERS \
	{ .name = "user_id", .type = FT_UUID }, \
	{ .name = "action", .type = FT_STRING, .max = 200 }, \
	{ .name = "resource_type", .type = FT_STRING, .max = 200 }, \
	{ .name = "resource_id", .type = FT_UUID }, \
	{ .name = "date_from", .type = FT_DATETIME }, \
	{ .name = "date_to", .type = FT_DATETIME }, \
	{ .name = "search", .type = FT_STRING, .max = 200 }

/* GET /admin/audit-logs/ */
const struct schema query_audit_list = {
	.name = "audit list", .nfields = 11, .fields = {
		AUDIT_FILTERS,
		{ .name = "skip", .type = FT_INT, .imin = 0, .imax = INT64_MAX, .dflt = "0" },
		{ .name = "limit", .type = FT_INT, .imin = 1, .imax = 200, .dflt = "50" },
		{ .name = "sort", .type = FT_LITERAL, .lit = audit_sorts, .dflt = "created_at" },
		{ .name = "order", .type = FT_LITERAL, .lit = orders, .dflt = "desc" },
	}
};

/* GET /admin/audit-logs/export/{format} */
const struct schema query_audit_export = {
	.name = "audit export", .nfields = 8, .fields = {
		AUDIT_FILTERS,
		{ .name = "max_rows", .type = FT_INT, .imin = 1, .imax = 100000, .dflt = "100000" },
	}
};

/* POST /auth/refresh/ and /auth/logout/: the body itself is optional. */
const struct schema schema_refresh = {
	.name = "RefreshRequest", .optional = 1, .nfields = 1, .fields = {
		{ .name = "refresh_token", .type = FT_SECRET, .required = 1, .max = 512 },
	}
};

/* POST /auth/change-password/ */
const struct schema schema_change_password = {
	.name = "ChangePasswordRequest", .nfields = 2, .fields = {
		{ .name = "current_password", .type = FT_SECRET, .required = 1, .min = 1, .max = 256 },
		{ .name = "new_password", .type = FT_PASSWORD, .required = 1, .min = 8, .max = 256 },
	}
};

/* POST /auth/register/: UserCreate, as AdminUserCreate without the role. */
const struct schema schema_register = {
	.name = "UserCreate", .nfields = 3, .fields = {
		{ .name = "username", .type = FT_STRING, .required = 1, .min = 3, .max = 150, .nocontrol = 1,
		    .lookalike = 1 },
		{ .name = "password", .type = FT_PASSWORD, .required = 1, .min = 8, .max = 256 },
		{ .name = "email", .type = FT_EMAIL, .nullable = 1 },
	}
};

#define API_KEY_FIELDS \
	{ .name = "name", .type = FT_STRING, .required = 1, .min = 1, .max = 255 }, \
	{ .name = "expires_at", .type = FT_DATETIME, .nullable = 1, .aware = 1, .future = 1 }, \
	{ .name = "scope", .type = FT_LITERAL, .lit = scopes, .dflt = "full" }

/* POST /auth/api-keys/ */
const struct schema schema_api_key_create = {
	.name = "ApiKeyCreateRequest", .nfields = 3, .fields = { API_KEY_FIELDS }
};

/* POST /admin/api-keys/: the same, for a user named by id; user_id comes first in the reference's model (GeoLens
   backend/app/modules/admin/schemas.py), so its 422 entry does too. */
const struct schema schema_admin_api_key_create = {
	.name = "AdminApiKeyCreateRequest", .nfields = 4, .fields = {
		{ .name = "user_id", .type = FT_UUID, .required = 1 },
		API_KEY_FIELDS,
	}
};

/* GET /auth/api-keys/ */
const struct schema query_page = {
	.name = "page", .nfields = 2, .fields = {
		{ .name = "skip", .type = FT_INT, .imin = 0, .imax = INT64_MAX, .dflt = "0" },
		{ .name = "limit", .type = FT_INT, .imin = 1, .imax = 200, .dflt = "50" },
	}
};

/* GET /admin/api-keys/ */
const struct schema query_admin_keys = {
	.name = "admin keys", .nfields = 3, .fields = {
		{ .name = "skip", .type = FT_INT, .imin = 0, .imax = INT64_MAX, .dflt = "0" },
		{ .name = "limit", .type = FT_INT, .imin = 1, .imax = 200, .dflt = "50" },
		{ .name = "user_id", .type = FT_UUID },
	}
};
