/*
 * ctl.h: what ctl.c (options, init, create-admin, verify-audit) and ctl_ops.c (the operator's commands) share.
 */
#ifndef CTL_H
#define CTL_H

#include <stdio.h>

struct ctl_opts {
	const char	*email;
	const char	*role;
	const char	*pwfile;
	int		 pwstdin;
	int		 json;
	const char	*status;
	const char	*search;
	const char	*sort;
	int		 desc;
	const char	*format;
	const char	*output;
};

int	 ctl_read_line(FILE *, char *buf, size_t sz);	/* the first line, newline dropped; -1 if none or too long */
char	*ctl_urlencode(const char *);			/* malloc'd, RFC 3986 unreserved kept */
int	 atoi_safe(const char *);			/* leading decimal digits, 0 when none */

const char *ctl_actor(void);	/* "cli:<unix user>", fixed at the first call */
int	 ctl_user(const struct ctl_opts *, int argc, char **argv);	/* argv[0]: list, show, add, ... */
int	 ctl_create_admin(const struct ctl_opts *, const char *name);	/* user add with the admin role */
int	 ctl_backup(const char *path);
int	 ctl_import(const char *path, const char *format);
int	 ctl_export(const char *path);
int	 ctl_prune(void);

#endif /* CTL_H */
