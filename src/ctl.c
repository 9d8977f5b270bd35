/*
 * ctl.c: gatehousectl, the operator's command line: options, init (create or migrate the database), verify-audit,
 * migrate; the commands that change users (create-admin among them) are in ctl_ops.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>
#include <sodium.h>

#include "gatehouse.h"
#include "ctl.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatehousectl [-c file] init [-o user[:group]]\n"
	    "       gatehousectl [-c file] create-admin [-o user[:group]] [-e email] [-f file | -s] username\n"
	    "       gatehousectl [-c file] verify-audit [-a ROW:DIGEST]\n"
	    "       gatehousectl [-c file] user list|show|add|disable|enable|set-role|reset-password|delete|revoke ...\n"
	    "       gatehousectl [-c file] backup FILE\n"
	    "       gatehousectl [-c file] prune\n"
	    "       gatehousectl [-c file] import [--format csv|json] FILE\n"
	    "       gatehousectl [-c file] export [-o FILE]\n"
	    "       gatehousectl [-c file] migrate --to postgresql://...\n"
	    "       gatehousectl -h | -V\n"
	    "\n"
	    "  init                 create the database (0600) and the audit key (0600), or bring the schema\n"
	    "                       up to date (and re-key an audit chain written before keying)\n"
	    "  create-admin         create an active user with the admin role; the password is read from\n"
	    "                       a file (-f), one line of standard input (-s), or generated and printed once\n"
	    "  verify-audit         check the audit trail's keyed hash chain; name the first row that breaks\n"
	    "                       it; print the head as an anchor (ROW:DIGEST) to keep elsewhere\n"
	    "  user ...             list, show, add, disable, enable, set-role, reset-password, delete, revoke\n"
	    "                       users, through the API's rules and audit trail (actor cli:<unix user>)\n"
	    "  backup FILE          a consistent copy of the database, taken while the service runs\n"
	    "  prune                delete expired sessions and stale throttle rows\n"
	    "  import FILE          users with existing crypt(3) hashes, from CSV or JSON\n"
	    "  export               every user with its hash, as JSON import reads\n"
	    "  migrate --to URI     copy the SQLite database into an empty PostgreSQL one, then verify the copy\n"
	    "\n"
	    "  gatehousectl COMMAND --help describes each command. See gatehousectl(8).\n"
	    "\n"
	    "  -c, --config FILE    configuration file (default: $GATEHOUSE_CONFIG or %s)\n"
	    "  -a, --anchor ROW:DIGEST  with verify-audit: also check that the chain still holds this anchor\n"
	    "                       (printed earlier by verify-audit or logged): a truncated tail fails\n"
	    "  -e, --email EMAIL    the admin's email address\n"
	    "  -o, --owner USER[:GROUP]   give the database, its -wal/-shm, the audit key and the log file to\n"
	    "                       the service user and run as that user (init, create-admin; as root)\n"
	    "  -f, --password-file FILE   read the password from the first line of FILE\n"
	    "  -s, --password-stdin       read the password from the first line of standard input\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "See gatehousectl(8).\n", config_default_path());
}

int
atoi_safe(const char *s)
{
	long long	 v = 0;
	char		 num[12];
	size_t		 n = strspn(s, "0123456789");

	if (n == 0 || n >= sizeof(num))
		return 0;
	memcpy(num, s, n);
	num[n] = '\0';
	return parse_long(num, 0, 999999999, &v) == 0 ? (int)v : 0;
}

char *
ctl_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*out = malloc(strlen(s) * 3 + 1), *w = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			*w++ = (char)c;
		else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = '\0';
	return out;
}

/* Reads the first line of f into buf; the newline is dropped. */
int
ctl_read_line(FILE *f, char *buf, size_t sz)
{
	size_t n;

	if (fgets(buf, (int)sz, f) == NULL)
		return -1;
	if (strchr(buf, '\n') == NULL && !feof(f))
		return -1;	/* longer than any valid password: refuse rather than cut */
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

/*
 * --owner USER[:GROUP]: the files the service opens (the database and its -wal and -shm, the audit key, the log)
 * are given to the service user, and the command then runs as that user, so whatever it creates is the user's
 * too and every check is made with the user's rights. Only root can give files away; anyone may name themself.
 */
static int	 key_created;	/* the audit key was made by this run */

/*
 * --owner: gives the database files, the audit key and the log file to spec's user, then drops to it. init
 * (create_key) makes a missing audit key first; any other command leaves a missing key missing, so that
 * audit_key_load refuses to go on: a new key would make every row written before fail verify-audit.
 */
static int
take_owner(const char *spec, int create_key)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct priv	 p;
	char		 path[1100];
	size_t		 i;
	int		 fd;

	if (spec == NULL)
		return 0;
	if (priv_resolve_spec(spec, &p) == -1)
		return -1;
	if (p.uid == (uid_t)-1)
		return -1;
	if (p.gid == (gid_t)-1)
		p.gid = getegid();
	if (geteuid() != 0 && geteuid() != p.uid) {
		fprintf(stderr, "gatehousectl: only root can give files to uid %ld; running as %s\n", (long)p.uid,
		    priv_who());
		return -1;
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && !db_is_postgresql(cfg.database); i++) {
		snprintf(path, sizeof(path), "%s%s", cfg.database, suffixes[i]);
		if (geteuid() == 0 && priv_chown(path, &p, 0) == -1)
			return -1;
	}
	/* The audit key too: made here by init when missing, while root may still write its folder (beside the
	   configuration, often /etc), then given to the user. */
	if (geteuid() == 0 && ((create_key && audit_key_create(cfg.audit_key_file, &key_created) == -1) ||
	    priv_chown(cfg.audit_key_file, &p, 0) == -1))
		return -1;
	if (cfg.log_file[0] != '\0' && strcmp(cfg.log_file, "-") != 0 && geteuid() == 0 &&
	    priv_chown(cfg.log_file, &p, 0) == -1)
		return -1;
	if (priv_drop(&p) == -1)
		return -1;
	/* The log file is created by the service user, so that it can reopen it after rotation. */
	if (cfg.log_file[0] != '\0' && strcmp(cfg.log_file, "-") != 0) {
		if ((fd = open(cfg.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)) == -1) {
			fprintf(stderr, "gatehousectl: cannot open log file %s as %s: %s\n", cfg.log_file, priv_who(),
			    strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

/*
 * Run as root on a database that belongs to the service user, a command would create -wal, -shm or new files
 * as root, which the service could then not open. So root works as the database file's owner, as --owner does.
 */
static int
become_db_owner(void)
{
	struct stat	 st;
	struct passwd	*pw;
	struct priv	 p;

	if (geteuid() != 0 || db_is_postgresql(cfg.database) || stat(cfg.database, &st) == -1 || st.st_uid == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.uid = st.st_uid;
	p.gid = st.st_gid;
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(p.name, sizeof(p.name), "%s", pw->pw_name);
	return priv_drop(&p);
}

static int
cmd_init(void)
{
	long long	 n = 0;
	int		 created;

	if (audit_key_create(cfg.audit_key_file, &created) == -1)
		return 1;
	if (created || key_created)
		printf("audit key %s created (0600)\n", cfg.audit_key_file);
	if (db_open(cfg.database, 1) == -1)
		return 1;
	if (db_count_users(&n) != DB_OK) {
		db_close();
		return 1;
	}
	printf("database %s ready (schema version %d, %lld users)\n", db_display(cfg.database), db_schema_version(), n);
	db_close();
	return 0;
}

static int
cmd_verify_audit(const char *anchor)
{
	char		 head[AUDIT_ANCHOR_LEN];
	long long	 rows = 0;
	int64_t		 bad = 0;
	const char	*why = NULL, *awhy = NULL;
	int		 rc, arc = 0;

	if (db_open(cfg.database, 0) == -1)
		return 1;
	rc = audit_verify(&rows, &bad, &why);
	if (anchor != NULL)
		arc = audit_anchor_check(anchor, &awhy);
	if (audit_head(head) == -1)
		snprintf(head, sizeof(head), "unknown");
	db_close();
	if (rc == 0)
		printf("audit trail intact: %lld rows\n", rows);
	else if (bad > 0)
		printf("audit row %lld: %s\n", (long long)bad, why);
	else
		printf("audit trail: %s\n", why);
	if (anchor != NULL && arc == 0)
		printf("anchor %s: held by the chain\n", anchor);
	else if (anchor != NULL)
		printf("anchor %s: %s\n", anchor, awhy);
	printf("head: %s\n", head);
	return rc == 0 && arc == 0 ? 0 : 1;
}


/*
 * migrate --to URI: the configuration's SQLite database into an empty PostgreSQL one (store/migrate.c). The
 * source is opened as the service opens it (migrated to the latest schema, its chain re-keyed if it predates the
 * key), so both sides have the same schema version.
 */
static int
cmd_migrate(const char *to)
{
	if (db_is_postgresql(cfg.database)) {
		fprintf(stderr, "gatehousectl: migrate copies an SQLite database, but the database setting is already"
		    " PostgreSQL (%s)\n", db_display(cfg.database));
		return 1;
	}
	if (db_open(cfg.database, 0) == -1)
		return 1;
	return store_migrate(to);	/* closes both databases */
}

/* Each command's own --help. */
static const struct cmd_help {
	const char	*cmd;
	const char	*text;
} helps[] = {
	{ "init", "usage: gatehousectl [-c file] init [-o user[:group]]\n"
	    "Create the database (0600) and the audit key (0600, audit_key_file) or bring the schema up to date,\n"
	    "re-keying an audit chain written before keying. With --owner (as root), the database, its -wal/-shm,\n"
	    "the audit key and the log file are given to the service user and the command runs as that user.\n" },
	{ "create-admin", "usage: gatehousectl [-c file] create-admin [-o user[:group]] [-e email] [-f file | -s] name\n"
	    "Create an active admin; the password from a file (-f), one line of standard input (-s), or generated\n"
	    "and printed once.\n" },
	{ "verify-audit", "usage: gatehousectl [-c file] verify-audit [-a ROW:DIGEST]\n"
	    "Check the audit trail's keyed hash chain; name the first row that breaks it; print its head\n"
	    "(ROW:DIGEST) to keep elsewhere. With -a, also check that the chain still holds that anchor: rows cut\n"
	    "from the end fail.\n" },
	{ "user", "usage: gatehousectl [-c file] user list [--status S] [--search TEXT] [--sort FIELD] [--desc] [--json]\n"
	    "       gatehousectl [-c file] user show USER [--json]\n"
	    "       gatehousectl [-c file] user add NAME [-e email] [-r role] [-f file | -s]\n"
	    "       gatehousectl [-c file] user disable|enable|delete|revoke USER\n"
	    "       gatehousectl [-c file] user set-role USER ROLE\n"
	    "       gatehousectl [-c file] user reset-password USER [-f file | -s]\n"
	    "USER is a name or an id. Every change goes through the API's rules (the last active admin stays,\n"
	    "names and emails unique) and its audit trail, with the actor cli:<your unix user>. A password comes\n"
	    "from a file (-f), one line of standard input (-s), or is generated and printed once. disable revokes\n"
	    "nothing by itself beyond what the API does; revoke ends every session and retires every API key.\n" },
	{ "backup", "usage: gatehousectl [-c file] backup FILE\n"
	    "Write a consistent copy of the database to FILE (0600; it must not exist) while the service runs\n"
	    "(SQLite VACUUM INTO: one read transaction, writers go on).\n" },
	{ "prune", "usage: gatehousectl [-c file] prune\n"
	    "Delete expired and revoked sessions and expired throttle rows, all of them at once, and with\n"
	    "audit_retention set the audit rows older than it (recorded by an audit.prune row); the service\n"
	    "also prunes a bounded batch now and then (prune_interval in gatehouse.conf(5)).\n" },
	{ "import", "usage: gatehousectl [-c file] import [--format csv|json] FILE\n"
	    "Create users from FILE (\"-\": standard input) with their existing crypt(3) hashes: a JSON array of\n"
	    "objects, or CSV with a header, fields username, password_hash (required), email, role, status.\n"
	    "Accepted hashes: $2b$/$2y$ (bcrypt, cost 4-16), $6$/$5$ (SHA-crypt, up to 10^6 rounds), $y$, $gy$\n"
	    "(yescrypt), $7$ (scrypt); each is replaced by yescrypt at the user's next login. Each user is\n"
	    "created as POST /admin/users/ would, with an audit row user.import; refused lines are named.\n" },
	{ "migrate", "usage: gatehousectl [-c file] migrate --to postgresql://[user@]host/dbname[?...]\n"
	    "Copy the SQLite database of the configuration (users and their roles, sessions, API keys, throttle\n"
	    "rows, the audit chain with its digests) into an EMPTY PostgreSQL database, in one transaction, then\n"
	    "check the copy: every table's count, and the audit chain verified on PostgreSQL with the same head.\n"
	    "A target that holds any user, session, key or audit row, or a table not gatehouse's, is refused.\n"
	    "Stop the service first: what it writes after the copy starts is not copied. Then set database to\n"
	    "the URI, with the same audit key.\n" },
	{ "export", "usage: gatehousectl [-c file] export [-o FILE]\n"
	    "Write every user, with its password hash, as JSON that import reads, to FILE (created 0600, must\n"
	    "not exist) or standard output.\n" },
};

static int
cmd_usage(const char *cmd, FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].cmd, cmd) == 0) {
			fputs(helps[i].text, f);
			return 0;
		}
	usage(f);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "anchor", required_argument, NULL, 'a' },
		{ "email", required_argument, NULL, 'e' },
		{ "password-file", required_argument, NULL, 'f' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'o' },
		{ "role", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 'S' },
		{ "search", required_argument, NULL, 'q' },
		{ "sort", required_argument, NULL, 'O' },
		{ "desc", no_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'w' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_opts	 o;
	const char	*conf = NULL, *owner = NULL, *anchor = NULL, *to = NULL, *cmd;
	int		 ch, help = 0, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "+a:c:e:f:so:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': anchor = optarg; break;
		case 'c': conf = optarg; break;
		case 'e': o.email = optarg; break;
		case 'f': o.pwfile = optarg; break;
		case 's': o.pwstdin = 1; break;
		case 'o': owner = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("gatehousectl %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	/* Options may also follow the command, mixed with its arguments (and, for export, -o names the output
	   file): a fresh scan of the arguments after the command, which GNU getopt permutes. */
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "a:c:e:f:so:r:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': anchor = optarg; break;
		case 'c': conf = optarg; break;
		case 'e': o.email = optarg; break;
		case 'f': o.pwfile = optarg; break;
		case 's': o.pwstdin = 1; break;
		case 'o':
			if (strcmp(cmd, "export") == 0)
				o.output = optarg;
			else
				owner = optarg;
			break;
		case 'r': o.role = optarg; break;
		case 'j': o.json = 1; break;
		case 'S': o.status = optarg; break;
		case 'q': o.search = optarg; break;
		case 'O': o.sort = optarg; break;
		case 'D': o.desc = 1; break;
		case 'F': o.format = optarg; break;
		case 'w': o.output = optarg; break;
		case 'T': to = optarg; break;
		case 'h': help = 1; break;
		default: cmd_usage(cmd, stderr); return 2;
		}
	}
	if (help)
		return cmd_usage(cmd, stdout);
	if (sodium_init() < 0) {
		fprintf(stderr, "gatehousectl: cannot initialise libsodium\n");
		return 1;
	}
	config_defaults(&cfg);
	if (config_load(&cfg, conf != NULL ? conf : config_default_path(), conf != NULL) == -1)
		return 1;
	log_open(NULL, LOG_WARN, "gatehousectl");
	prog_name = "gatehousectl";
	if (owner != NULL && strcmp(cmd, "init") != 0 && strcmp(cmd, "create-admin") != 0) {
		fprintf(stderr, "gatehousectl: --owner goes with init and create-admin\n");
		return 2;
	}
	if (o.role != NULL && strcmp(cmd, "user") != 0) {
		fprintf(stderr, "gatehousectl: --role goes with user add%s\n", strcmp(cmd, "create-admin") == 0 ?
		    " (create-admin always makes an admin)" : "");
		return 2;
	}
	ctl_actor();	/* the unix user who runs the command, before any switch below */
	if (take_owner(owner, strcmp(cmd, "init") == 0) == -1 || (owner == NULL && become_db_owner() == -1))
		return 1;
	if (strcmp(cmd, "init") == 0 && optind == argc)
		return cmd_init();
	/* Every other command may append to the audit chain or check it: the key must be there. */
	if (audit_key_load(cfg.audit_key_file) == -1)
		return 1;
	if (strcmp(cmd, "verify-audit") == 0 && optind == argc)
		return cmd_verify_audit(anchor);
	if (strcmp(cmd, "migrate") == 0 && optind == argc && to != NULL)
		return cmd_migrate(to);
	if ((strcmp(cmd, "user") == 0 && optind < argc) || (strcmp(cmd, "create-admin") == 0 && optind == argc - 1) ||
	    (strcmp(cmd, "backup") == 0 && optind == argc - 1) ||
	    (strcmp(cmd, "import") == 0 && optind == argc - 1) || (strcmp(cmd, "export") == 0 && optind == argc) ||
	    (strcmp(cmd, "prune") == 0 && optind == argc)) {
		/* The service's messages (warnings of the requests run here) stay out of the operator's way;
		   errors still show. The audit trail records every change. */
		log_open(NULL, LOG_ERR, "gatehousectl");
		if (db_open(cfg.database, 0) == -1)
			return 1;
		if (strcmp(cmd, "user") == 0)
			rc = ctl_user(&o, argc - optind, argv + optind);
		else if (strcmp(cmd, "create-admin") == 0)
			rc = ctl_create_admin(&o, argv[optind]);
		else if (strcmp(cmd, "backup") == 0)
			rc = ctl_backup(argv[optind]);
		else if (strcmp(cmd, "import") == 0)
			rc = ctl_import(argv[optind], o.format);
		else if (strcmp(cmd, "export") == 0)
			rc = ctl_export(o.output);
		else
			rc = ctl_prune();
		db_close();
		if (rc == 2)
			cmd_usage(cmd, stderr);
		return rc;
	}
	fprintf(stderr, "gatehousectl: unknown command or wrong arguments: %s\n", cmd);
	cmd_usage(cmd, stderr);
	return 2;
}
