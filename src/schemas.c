/*
 * schemas.c: the field table of every request body. The validator (validate.c) reads these; handlers only ever
 * see values that passed them, indexed by the field's position.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>

#include "gatehouse.h"

/* POST /admin/users/: AdminUserCreate (the seed). */
const struct schema schema_admin_user_create = {
	"AdminUserCreate", 0, 4, {
		{ "username", FT_STRING, 1, 0, 3, 150, NULL, 1, NULL },
		{ "password", FT_PASSWORD, 1, 0, 8, 256, NULL, 0, NULL },
		{ "email", FT_EMAIL, 0, 1, 0, 0, NULL, 0, NULL },
		{ "role", FT_ROLE, 0, 0, 0, 0, "viewer", 0, NULL },
	}
};

/* POST /auth/login: the OAuth2 password form (JSON accepted too). */
const struct schema schema_login = {
	"OAuth2PasswordRequestForm", 1, 3, {
		{ "username", FT_STRING, 1, 0, 0, 0, NULL, 0, NULL },
		{ "password", FT_SECRET, 1, 0, 0, 0, NULL, 0, NULL },
		{ "grant_type", FT_STRING, 0, 1, 0, 0, NULL, 0, "password" },
	}
};
