/*
 * priv.c: who the process runs as, and leaving root the way spawn-fcgi does (-u USER, -g GROUP, applied after
 * the socket is open). Every message about a file names the path, the uid and its name, and strerror, so a
 * permission problem in production says which account lacks which right.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gatehouse.h"

const char *prog_name = "gatehouse";

const char *
priv_who(void)
{
	static char	 who[96];
	uid_t		 uid = geteuid();
	struct passwd	*pw = getpwuid(uid);

	snprintf(who, sizeof(who), "uid %ld (%s)", (long)uid, pw != NULL ? pw->pw_name : "no name");
	return who;
}

/* A user or group given by name or by number; number only when no name matches (as chown(1)). */
static int
id_number(const char *s, long long *out)
{
	return s[0] != '\0' && s[strspn(s, "0123456789")] == '\0' && parse_long(s, 0, 0x7fffffff, out) == 0 ? 0 : -1;
}

int
priv_resolve(const char *user, const char *group, struct priv *p)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	long long	 n;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL && id_number(user, &n) == 0)
			pw = getpwuid((uid_t)n);
		if (pw == NULL) {
			if (id_number(user, &n) == -1) {
				fprintf(stderr, "%s: no such user: %s\n", prog_name, user);
				return -1;
			}
			p->uid = (uid_t)n;	/* a bare number with no passwd entry, as chown(1) accepts */
		} else {
			p->uid = pw->pw_uid;
			p->gid = pw->pw_gid;	/* the user's primary group unless a group is given */
			snprintf(p->name, sizeof(p->name), "%s", pw->pw_name);
		}
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) != NULL)
			p->gid = gr->gr_gid;
		else if (id_number(group, &n) == 0)
			p->gid = (gid_t)n;
		else {
			fprintf(stderr, "%s: no such group: %s\n", prog_name, group);
			return -1;
		}
	}
	return 0;
}

int
priv_resolve_spec(const char *spec, struct priv *p)
{
	char		 user[256];
	const char	*colon = strchr(spec, ':');

	if (colon == NULL)
		return priv_resolve(spec, NULL, p);
	if ((size_t)(colon - spec) >= sizeof(user) || colon == spec) {
		fprintf(stderr, "%s: USER[:GROUP] expected, not \"%s\"\n", prog_name, spec);
		return -1;
	}
	memcpy(user, spec, (size_t)(colon - spec));
	user[colon - spec] = '\0';
	return priv_resolve(user, colon[1] != '\0' ? colon + 1 : NULL, p);
}

int
priv_drop(const struct priv *p)
{
	gid_t	 gid = p->gid;
	uid_t	 uid = p->uid;

	if (gid != (gid_t)-1 && getegid() != gid) {
		/* Supplementary groups: the user's own (initgroups), else just the one group. */
		if (geteuid() == 0 && (p->name[0] != '\0' ? initgroups(p->name, gid) : setgroups(1, &gid)) == -1) {
			fprintf(stderr, "%s: cannot set the supplementary groups of gid %ld as %s: %s\n", prog_name,
			    (long)gid, priv_who(), strerror(errno));
			return -1;
		}
		if (setgid(gid) == -1) {
			fprintf(stderr, "%s: cannot switch to gid %ld as %s: %s\n", prog_name, (long)gid, priv_who(),
			    strerror(errno));
			return -1;
		}
	} else if (gid == (gid_t)-1 && uid != (uid_t)-1 && geteuid() == 0 && uid != 0 && setgroups(0, NULL) == -1) {
		fprintf(stderr, "%s: cannot drop the supplementary groups: %s\n", prog_name, strerror(errno));
		return -1;
	}
	if (uid != (uid_t)-1 && geteuid() != uid) {
		if (setuid(uid) == -1) {
			fprintf(stderr, "%s: cannot switch to uid %ld%s%s%s as %s: %s\n", prog_name, (long)uid,
			    p->name[0] ? " (" : "", p->name, p->name[0] ? ")" : "", priv_who(), strerror(errno));
			return -1;
		}
		/* Never trust the drop: root must be unreachable afterwards. */
		if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
			fprintf(stderr, "%s: could regain root after switching to uid %ld; stopping\n", prog_name,
			    (long)uid);
			return -1;
		}
	}
	return 0;
}

int
priv_chown(const char *path, const struct priv *p, int must_exist)
{
	if (chown(path, p->uid, p->gid) == 0)
		return 0;
	if (errno == ENOENT && !must_exist)
		return 0;
	fprintf(stderr, "%s: cannot change the owner of %s to uid %ld gid %ld as %s: %s\n", prog_name, path,
	    (long)p->uid, (long)p->gid, priv_who(), strerror(errno));
	return -1;
}
