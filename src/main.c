/*
 * main.c: the gatehouse program. With no --listen it serves on fd 0 as the web server hands it over (FastCGI
 * under spawn-fcgi or a server's own process manager) or one request as plain CGI; with --listen it opens its
 * own FastCGI socket and pre-forks workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "gatehouse.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatehouse [-c file] [-u user] [-g group] [-l address [-U user] [-G group] [-M mode]\n"
	    "                 [-w workers] [-p pidfile]] [--allow-root]\n"
	    "       gatehouse -t [-c file] [-u user] [-g group]\n"
	    "       gatehouse --openapi [-c file]\n"
	    "\n"
	    "User administration and login over FastCGI or CGI.\n"
	    "\n"
	    "  -c, --config FILE    configuration file (default: $GATEHOUSE_CONFIG or %s)\n"
	    "  -l, --listen ADDR    open a FastCGI socket: a path, or host:port, and pre-fork workers\n"
	    "  -w, --workers N      number of workers (default: the configuration's, 2)\n"
	    "  -p, --pid-file FILE  write the master's process id to FILE (as the service user; removed at exit)\n"
	    "  -u, --user USER      switch to USER after opening the socket (started as root)\n"
	    "  -g, --group GROUP    switch to GROUP (default: USER's primary group)\n"
	    "  -U, --socket-user USER    owner of the socket file (-l PATH)\n"
	    "  -G, --socket-group GROUP  group of the socket file (-l PATH)\n"
	    "  -M, --socket-mode MODE    mode of the socket file, octal (default: 0660)\n"
	    "      --allow-root     serve as root (refused otherwise)\n"
	    "  -t, --check          check the configuration and the database as the service user, then exit\n"
	    "      --openapi        print the API's OpenAPI 3.1 document (also served at /openapi.json)\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "Without --listen, gatehouse serves the socket systemd passes (LISTEN_FDS), the socket on standard\n"
	    "input (spawn-fcgi) or, started as CGI, the one request in its environment. See gatehouse(8).\n",
	    config_default_path());
}

/* systemd socket activation (sd_listen_fds(3)): the first passed socket, fd 3, moved to fd 0. 1 when found. */
static int
take_activated_socket(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long long	 p, n;

	if (pid == NULL || fds == NULL || parse_long(pid, 1, INT32_MAX, &p) == -1 || p != (long long)getpid() ||
	    parse_long(fds, 1, 1024, &n) == -1)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n > 1)
		fprintf(stderr, "gatehouse: %lld sockets passed; serving the first (fd 3) only\n", n);
	if (dup2(3, 0) == -1)
		return 0;
	close(3);
	return 1;
}

static int
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The audit key, loaded; made first when missing if a setup_token lets requests create the database. */
static int
audit_key_ready(void)
{
	int created;

	if (cfg.setup_token[0] == '\0')
		return audit_key_load(cfg.audit_key_file);
	if (audit_key_create(cfg.audit_key_file, &created) == -1)
		return -1;
	if (created)
		log_info("audit key %s created (setup_token is set)", cfg.audit_key_file);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "socket-user", required_argument, NULL, 'U' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "check", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "openapi", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*conf = NULL, *listen = NULL, *pidfile = NULL, *user = NULL, *group = NULL;
	const char	*suser = NULL, *sgroup = NULL, *smode = NULL;
	struct priv	 run_as, sock_owner;
	struct sock_opts so;
	long long	 workers = 0, mode = 0660;
	int		 ch, check = 0, allow_root = 0, activated = 0, cgi, openapi = 0;

	/* A CGI server may pass the query string as arguments (RFC 3875 §4.4); never read them as options. */
	cgi = getenv("GATEWAY_INTERFACE") != NULL;
	if (cgi)
		argc = 1;
	while ((ch = getopt_long(argc, argv, "c:l:w:p:u:g:U:G:M:thV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'u': user = optarg; break;
		case 'g': group = optarg; break;
		case 'U': suser = optarg; break;
		case 'G': sgroup = optarg; break;
		case 'R': allow_root = 1; break;
		case 't': check = 1; break;
		case 'w':
			if (parse_long(optarg, 1, 256, &workers) == -1) {
				fprintf(stderr, "gatehouse: --workers must be a number from 1 to 256\n");
				return 2;
			}
			break;
		case 'M':
			smode = optarg;
			if (optarg[strspn(optarg, "01234567")] != '\0' || strlen(optarg) > 4 ||
			    (mode = strtol(optarg, NULL, 8)) > 0777 || optarg[0] == '\0') {
				fprintf(stderr, "gatehouse: --socket-mode must be an octal mode such as 0660\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("gatehouse %s\n", PACKAGE_VERSION);
			return 0;
		case 'O':
			openapi = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatehouse: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (openapi) {
		/* The OpenAPI document with the defaults (as installed with the documentation), or -c's settings. */
		config_defaults(&cfg);
		if (conf != NULL && config_load(&cfg, conf, 1) == -1)
			return 1;
		printf("%s\n", openapi_json());
		return 0;
	}
	if ((suser != NULL || sgroup != NULL || smode != NULL) &&
	    (listen == NULL || (listen[0] != '/' && listen[0] != '.'))) {
		fprintf(stderr, "gatehouse: -U, -G and -M set the socket file of -l PATH\n");
		return 2;
	}
	if (!check && listen == NULL && !cgi) {
		activated = take_activated_socket();
		if (!activated && !is_socket(0)) {
			fprintf(stderr, "gatehouse: no FastCGI socket on standard input and no CGI request in the "
			    "environment.\nStart it with -l ADDRESS (see --help), under spawn-fcgi or systemd socket "
			    "activation, or from a web server as CGI. See gatehouse(8).\n");
			return 2;
		}
	}
	if (priv_resolve(user, group, &run_as) == -1 || priv_resolve(suser, sgroup, &sock_owner) == -1)
		return 1;
	if (sodium_init() < 0) {
		fprintf(stderr, "gatehouse: cannot initialise libsodium\n");
		return 1;
	}
	config_defaults(&cfg);
	if (config_load(&cfg, conf != NULL ? conf : config_default_path(), conf != NULL) == -1)
		return 1;
	if (cgi) {
		/* One request; the web server chose the account. A log file that cannot be opened leaves standard
		   error, which the server keeps. */
		log_open(cfg.log_file, (enum log_level)cfg.log_level, "gatehouse");
		/* Without the audit key (the reason is logged) reads still work; every write answers 503. With a
		   setup_token, the first request makes the database, and so the key too, as gatehousectl init would. */
		(void)audit_key_ready();
		return loop_run();
	}
	if (listen != NULL) {
		so.path = listen;
		so.owner = sock_owner;
		so.mode = (mode_t)mode;
		if (serve_listen(&so) == -1)
			return 1;
	}
	if (priv_drop(&run_as) == -1)
		return 1;
	if (geteuid() == 0 && !allow_root && !check) {
		fprintf(stderr, "gatehouse: refusing to serve as root: give -u USER (and -g GROUP) to switch after "
		    "opening the socket, or --allow-root\n");
		return 1;
	}
	/* Fail fast, as the service user and before any fork: the log file, then the database. */
	if (log_open(cfg.log_file, (enum log_level)cfg.log_level, "gatehouse") == -1)
		return 1;
	log_tee(1);
	if (db_open(cfg.database, 0) == -1) {
		log_err("stopping: the database is not usable as %s", priv_who());
		return 1;
	}
	db_close();
	/* Every write appends to the keyed audit chain: without the key, refuse to start rather than 503 later. */
	if (audit_key_ready() == -1) {
		log_err("stopping: the audit key is not usable as %s", priv_who());
		return 1;
	}
	log_tee(0);
	if (check) {
		printf("gatehouse: configuration, database %s and audit key %s are usable as %s\n", db_display(cfg.database),
		    cfg.audit_key_file, priv_who());
		return 0;
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "we");
		if (f == NULL) {
			log_tee(1);
			log_err("cannot write pid file %s as %s: %s", pidfile, priv_who(), strerror(errno));
			return 1;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	if (listen != NULL || activated)
		ch = serve_prefork(listen != NULL ? listen : "the socket systemd passed",
		    workers > 0 ? (int)workers : cfg.workers);
	else
		ch = loop_run();
	if (pidfile != NULL && unlink(pidfile) == -1)
		log_warn("cannot remove pid file %s as %s: %s", pidfile, priv_who(), strerror(errno));
	return ch;
}
