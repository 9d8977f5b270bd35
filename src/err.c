/*
 * err.c: the one error enum's parallel tables: HTTP status, problem title and default detail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>

#include "gatehouse.h"

static const struct {
	int		 status;
	const char	*detail;
} errs[ERR__MAX] = {
	[ERR_OK] =		{ 200, NULL },
	[ERR_BAD_REQUEST] =	{ 400, "Bad Request" },
	[ERR_UNAUTHORIZED] =	{ 401, "Could not validate credentials" },
	[ERR_TOKEN_EXPIRED] =	{ 401, "The access token expired" },
	[ERR_LOGIN_FAILED] =	{ 401, "Incorrect username or password" },
	[ERR_FORBIDDEN] =	{ 403, "Forbidden" },
	[ERR_NOT_FOUND] =	{ 404, "Not Found" },
	[ERR_METHOD] =		{ 405, "Method Not Allowed" },
	[ERR_CONFLICT] =	{ 409, "Conflict" },
	[ERR_TOO_LARGE] =	{ 413, "Request body too large" },
	[ERR_VALIDATION] =	{ 422, NULL },
	[ERR_UNPROCESSABLE] =	{ 422, "Unprocessable Entity" },
	[ERR_REFRESH_INVALID] =	{ 401, "Invalid or expired refresh token" },
	[ERR_NOT_AUTHENTICATED] = { 401, "Not authenticated" },
	[ERR_THROTTLED] =	{ 429, "Too many requests" },
	[ERR_INTERNAL] =	{ 500, "Internal server error" },
	[ERR_UNAVAILABLE] =	{ 503, "The database could not serve this request. Please retry." },
};

int
err_status(enum err e)
{
	return e < ERR__MAX ? errs[e].status : 500;
}

const char *
err_detail(enum err e)
{
	return e < ERR__MAX && errs[e].detail ? errs[e].detail : "Error";
}

/* The problem title: the reference's table, which is the HTTP reason phrase for the codes it names. */
const char *
err_title(enum err e)
{
	int s = err_status(e);

	if (s == 422)
		return "Validation Error";
	return http_reason(s);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}
