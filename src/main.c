/*
 * main.c: the gatehouse program. With no --listen it serves on fd 0 as the web server hands it over (FastCGI
 * under spawn-fcgi or a server's own process manager) or one request as plain CGI; with --listen it opens its
 * own FastCGI socket and pre-forks workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gatehouse.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatehouse [-c file] [-l address [-w workers] [-p pidfile]]\n"
	    "       gatehouse -t [-c file]\n"
	    "\n"
	    "User administration and login over FastCGI or CGI.\n"
	    "\n"
	    "  -c, --config FILE    configuration file (default: $GATEHOUSE_CONFIG or %s)\n"
	    "  -l, --listen ADDR    open a FastCGI socket: a path, or host:port, and pre-fork workers\n"
	    "  -w, --workers N      number of workers with --listen (default: the configuration's, 2)\n"
	    "  -p, --pid-file FILE  write the master's process id to FILE\n"
	    "  -t, --check          check the configuration and the database, then exit\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n"
	    "\n"
	    "Without --listen, gatehouse serves the socket on standard input (spawn-fcgi) or, when started as\n"
	    "CGI, the one request in its environment. See gatehouse(8).\n", config_default_path());
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*conf = NULL, *listen = NULL, *pidfile = NULL;
	long long	 workers = 0;
	int		 ch, check = 0;

	/* A CGI server may pass the query string as arguments (RFC 3875 §4.4); never read them as options. */
	if (getenv("GATEWAY_INTERFACE") != NULL)
		argc = 1;
	while ((ch = getopt_long(argc, argv, "c:l:w:p:thV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'w':
			if (parse_long(optarg, 1, 256, &workers) == -1) {
				fprintf(stderr, "gatehouse: --workers must be a number from 1 to 256\n");
				return 2;
			}
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("gatehouse %s\n", PACKAGE_VERSION);
			return 0;
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
	if (sodium_init() < 0) {
		fprintf(stderr, "gatehouse: cannot initialise libsodium\n");
		return 1;
	}
	config_defaults(&cfg);
	if (config_load(&cfg, conf != NULL ? conf : config_default_path(), conf != NULL) == -1)
		return 1;
	log_open(cfg.log_file, (enum log_level)cfg.log_level, "gatehouse");
	if (check) {
		if (db_open(cfg.database, 0) == -1)
			return 1;
		db_close();
		printf("gatehouse: configuration and database %s are usable\n", cfg.database);
		return 0;
	}
	if (listen == NULL)
		return loop_run();
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "we");
		if (f == NULL) {
			log_err("cannot write pid file %s", pidfile);
			return 1;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	ch = serve_prefork(listen, workers > 0 ? (int)workers : cfg.workers);
	if (pidfile != NULL)
		unlink(pidfile);
	return ch;
}
