/*
 * loop.c: the door to the web server, and the only file that includes fcgi_stdio.h (it redefines stdio).
 *
 * One FCGI_Accept loop serves every way a server may run us: under spawn-fcgi or a server that passes the
 * listening socket on fd 0 (FastCGI), as plain CGI (FCGI_Accept returns once, on the real environment), or on
 * our own socket with pre-forked workers (serve_prefork, which puts the socket on fd 0 and forks). The database
 * is opened in each worker, after any fork. SIGTERM lets the request in flight finish, then the worker exits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fcgi_stdio.h"

#include "gatehouse.h"

#define DRAIN_MAX	(16L * 1024 * 1024)	/* bytes of an oversized body read and dropped at most */
#define SHUTDOWN_GRACE	30			/* seconds a worker may take to finish on SIGTERM */

static volatile sig_atomic_t term_pending;
static volatile sig_atomic_t hup_errno;		/* errno of a failed log reopen, reported after the request */

/*
 * SIGTERM is blocked while a request is served, so this runs only between requests or in accept. It asks
 * libfcgi to stop accepting; accept, interrupted (no SA_RESTART), then returns and loop_run closes the database.
 * The alarm covers the instant between libfcgi's check of that flag and its call to accept.
 */
static void
on_term(int sig)
{
	(void)sig;
	term_pending = 1;
	FCGX_ShutdownPending();
	alarm(1);
}

static void
on_alarm(int sig)
{
	(void)sig;	/* only interrupts accept */
}

/* logrotate: reopen the log file now, async-signal-safely; a failure is logged after the next request. */
static void
on_hup(int sig)
{
	int e = log_reopen();

	(void)sig;
	if (e != 0)
		hup_errno = e;
}

static const char *
env_copy(struct arena *a, const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? arena_strdup(a, v) : NULL;
}

/* Reads and drops what the server still sends of an oversized body (at most DRAIN_MAX bytes), so that it reads
   our 413 rather than a reset. */
static void
drain(long long n)
{
	char	 sink[16384];
	size_t	 got;

	for (; n > 0; n -= (long long)got)
		if ((got = fread(sink, 1, n < (long long)sizeof(sink) ? (size_t)n : sizeof(sink), stdin)) == 0)
			break;
}

/*
 * A FastCGI body of unknown length (a server that streams it, e.g. nginx with fastcgi_request_buffering off and
 * a chunked request, sends no CONTENT_LENGTH): FastCGI 1.0 section 5.3 ends FCGI_STDIN with an empty record,
 * which libfcgi reads as end of file. Read to it, up to the body limit; past the limit BODY_TOO_LARGE.
 */
static int
read_body_to_end(struct buf *b)
{
	size_t	 got, room;

	for (;;) {
		if (b->len > (size_t)cfg.body_limit) {
			drain(DRAIN_MAX);
			return BODY_TOO_LARGE;
		}
		room = (size_t)cfg.body_limit + 1 - b->len;	/* one byte more than allowed tells "too large" */
		if (room > 16384)
			room = 16384;
		if (buf_reserve(b, room) == -1)
			return BODY_TOO_LARGE;
		if ((got = fread(b->p + b->len, 1, room, stdin)) == 0)
			break;
		b->len += got;
	}
	b->p[b->len] = '\0';
	return BODY_OK;
}

/* Reads the request body into b; BODY_TOO_LARGE and BODY_SHORT as app_handle expects. */
static int
read_body(const char *clen, const char *role, struct buf *b)
{
	long long	 n = 0;

	buf_reset(b);
	/* A FastCGI Authorizer gets no FCGI_STDIN stream at all (FastCGI 1.0 section 6.3): nothing to read. */
	if (role != NULL && strcmp(role, "AUTHORIZER") == 0)
		return BODY_OK;
	/* No CONTENT_LENGTH: as plain CGI there is no body (RFC 3875 section 4.1.2: a server that has one must
	   set it, and nothing promises an end of file on stdin); under FastCGI the stream says where it ends. */
	if (clen == NULL || *clen == '\0')
		return FCGX_IsCGI() ? BODY_OK : read_body_to_end(b);
	if (clen[strspn(clen, "0123456789")] != '\0' || parse_long(clen, 0, INT64_MAX, &n) == -1)
		return BODY_BAD_LENGTH;	/* digits only: no sign, no spaces */
	if (n > cfg.body_limit) {
		drain(n < DRAIN_MAX ? n : DRAIN_MAX);
		return BODY_TOO_LARGE;
	}
	if (buf_reserve(b, (size_t)n) == -1)
		return BODY_TOO_LARGE;
	b->len = fread(b->p, 1, (size_t)n, stdin);
	b->p[b->len] = '\0';
	return b->len == (size_t)n ? BODY_OK : BODY_SHORT;
}

static void
sink_stdout(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	if (n > 0)
		fwrite((void *)(uintptr_t)p, 1, n, stdout);	/* FCGI_fwrite takes a non-const pointer */
}

int
loop_run(void)
{
	static struct app	 app;
	struct sigaction	 sa;
	struct buf		 body = { 0 };
	struct sink		 sink = { sink_stdout, NULL };
	int			 db_ok, state;

	sigset_t		 term;

	/* SIGTERM and SIGALRM without SA_RESTART, so that they interrupt accept; both are blocked while a request
	   is served, so they never cut a read short. SIGHUP restarts what it interrupts. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGALRM);

	arena_init(&app.arena, (size_t)cfg.body_limit * 8 + 1024 * 1024);
	db_ok = db_open(cfg.database, cfg.setup_token[0] != '\0') == 0;

	while (!term_pending && FCGI_Accept() >= 0) {
		struct cgi_env env;

		memset(&env, 0, sizeof(env));	/* cli_actor, above all, stays NULL */

		sigprocmask(SIG_BLOCK, &term, NULL);
		if (!db_ok)
			db_ok = db_open(cfg.database, cfg.setup_token[0] != '\0') == 0;
		env.method = env_copy(&app.arena, "REQUEST_METHOD");
		env.path_info = env_copy(&app.arena, "PATH_INFO");
		env.script_name = env_copy(&app.arena, "SCRIPT_NAME");
		env.request_uri = env_copy(&app.arena, "REQUEST_URI");
		env.query = env_copy(&app.arena, "QUERY_STRING");
		env.content_type = env_copy(&app.arena, "CONTENT_TYPE");
		env.content_length = env_copy(&app.arena, "CONTENT_LENGTH");
		env.authorization = env_copy(&app.arena, "HTTP_AUTHORIZATION");
		env.api_key = env_copy(&app.arena, "HTTP_X_API_KEY");
		env.remote_addr = env_copy(&app.arena, "REMOTE_ADDR");
		env.cookie = env_copy(&app.arena, "HTTP_COOKIE");
		env.auth_mode = env_copy(&app.arena, "HTTP_X_GEOLENS_AUTH_MODE");
		env.session_mode = env_copy(&app.arena, "HTTP_X_GATEHOUSE_AUTH_MODE");
		env.csrf_token = env_copy(&app.arena, "HTTP_X_CSRF_TOKEN");
		env.https = env_copy(&app.arena, "HTTPS");
		env.forwarded_proto = env_copy(&app.arena, "HTTP_X_FORWARDED_PROTO");
		env.origin = env_copy(&app.arena, "HTTP_ORIGIN");
		env.fetch_site = env_copy(&app.arena, "HTTP_SEC_FETCH_SITE");
		env.host = env_copy(&app.arena, "HTTP_HOST");
		env.accept = env_copy(&app.arena, "HTTP_ACCEPT");
		env.original_uri = env_copy(&app.arena, "HTTP_X_ORIGINAL_URI");
		env.original_method = env_copy(&app.arena, "HTTP_X_ORIGINAL_METHOD");
		env.fcgi_role = env_copy(&app.arena, "FCGI_ROLE");
		env.require_role = env_copy(&app.arena, "GATEHOUSE_REQUIRE_ROLE");
		env.require_cap = env_copy(&app.arena, "GATEHOUSE_REQUIRE_CAP");
		env.signin_url = env_copy(&app.arena, "GATEHOUSE_SIGNIN_URL");
		env.request_id = env_copy(&app.arena, "REQUEST_ID");
		env.forwarded_for = env_copy(&app.arena, "HTTP_X_FORWARDED_FOR");
		env.real_ip = env_copy(&app.arena, "HTTP_X_REAL_IP");

		state = read_body(env.content_length, env.fcgi_role, &body);
		if (!db_ok) {
			/* Answer every request with 503 until the database opens; the cause is in the log. */
			static const char unavailable[] = "Status: 503 Service Unavailable\r\n"
			    "Content-Type: application/json\r\nRetry-After: 5\r\nCache-Control: no-store\r\n"
			    "X-Content-Type-Options: nosniff\r\n\r\n"
			    "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,"
			    "\"detail\":\"The database could not serve this request. Please retry.\"}";
			sink_stdout(NULL, unavailable, sizeof(unavailable) - 1);
		} else
			app_handle(&app, &env, body.p, state == BODY_OK ? body.len : 0, state, &sink);
		if (body.p != NULL)
			wipe(body.p, body.len);
		arena_reset(&app.arena);
		if (db_ok && db_ensure_idle() == -1)
			db_ok = 0;	/* reopened at the next request */
		FCGI_Finish();
		if (hup_errno != 0) {
			log_err("cannot reopen log file %s as %s: %s; still writing to the old one", cfg.log_file,
			    priv_who(), strerror(hup_errno));
			hup_errno = 0;
		}
		if (db_ok) {
			/* After the answer is out: the client does not wait for these. */
			throttle_maintain(now_us());
			audit_anchor_log(now_us());
		}
		sigprocmask(SIG_UNBLOCK, &term, NULL);
	}
	alarm(0);
	buf_free(&body);
	buf_free(&app.out);
	arena_free(&app.arena);
	if (db_ok)
		db_close();
	return 0;
}

/* Pre-forked workers on our own socket. */

static volatile sig_atomic_t master_term;
static volatile sig_atomic_t master_hup;
static sigset_t		 worker_mask;	/* the signal mask a worker starts with */
static volatile sig_atomic_t child_exited;
static char		 listen_path[1024];	/* the socket file serve_listen made, removed at the end */
static pid_t		 master_pid;

static void
on_master_term(int sig)
{
	(void)sig;
	master_term = 1;
}

static void
on_master_hup(int sig)
{
	(void)sig;
	master_hup = 1;
}

static void
on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

/*
 * (Messages here go through log_err: before FCGI_Accept, fcgi_stdio's stderr writes nowhere, and the log is not
 * opened yet, so log_err writes to standard error.)
 *
 * A TCP address for libfcgi: "PORT" or ":PORT" is the loopback interface, 127.0.0.1:PORT, since any process that
 * can reach the port can send FastCGI records and with them any REMOTE_ADDR it likes. Another interface has to
 * be named ("0.0.0.0:9000", "192.0.2.10:9000"). libfcgi binds IPv4 only; it checks FCGI_WEB_SERVER_ADDRS (a
 * comma-separated list of IPv4 addresses) on every accepted connection and closes any other peer's.
 * 0 with the address in out, or -1 with the reason on standard error.
 */
static int
tcp_address(const char *spec, char *out, size_t outsz)
{
	const char	*colon = strrchr(spec, ':'), *port = colon != NULL ? colon + 1 : spec;
	long long	 n;
	struct net	 a;
	const char	*allowed = getenv("FCGI_WEB_SERVER_ADDRS");

	if (spec[0] == '[' || (colon != NULL && strchr(spec, ':') != colon)) {
		log_err("cannot listen on %s: libfcgi listens on IPv4 only; give an IPv4 "
		    "address and a port, or a socket path", spec);
		return -1;
	}
	if (parse_long(port, 1, 65535, &n) == -1) {
		log_err("cannot listen on %s: the port must be a number from 1 to 65535", spec);
		return -1;
	}
	if (colon == NULL || colon == spec)
		snprintf(out, outsz, "127.0.0.1:%lld", n);
	else
		snprintf(out, outsz, "%s", spec);
	if ((allowed == NULL || *allowed == '\0') && !(net_parse(out, (size_t)(strrchr(out, ':') - out), &a) == 0 &&
	    a.addr[0] == 127)) {
		/* Before log_open: this goes to standard error, which a terminal or the service manager shows. */
		log_warn("listening on %s, beyond the loopback interface, without FCGI_WEB_SERVER_ADDRS: any host "
		    "that reaches the port can send requests with any client address; set FCGI_WEB_SERVER_ADDRS to "
		    "the web server's address and firewall the port", out);
	}
	return 0;
}

int
serve_listen(const struct sock_opts *so)
{
	struct stat	 st;
	char		 tcp[300];
	const char	*where = so->path, *allowed = getenv("FCGI_WEB_SERVER_ADDRS");
	int		 fd, is_path = so->path[0] == '/' || so->path[0] == '.';

	if (is_path) {
		/* A socket left by a previous run is replaced; any other file is not ours to remove. */
		if (lstat(so->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			log_err("%s exists and is not a socket; not replacing it", so->path);
			return -1;
		}
		unlink(so->path);
	} else {
		if (strlen(so->path) >= sizeof(tcp) || tcp_address(so->path, tcp, sizeof(tcp)) == -1)
			return -1;
		where = tcp;
		log_info("listening on %s; FastCGI connections accepted from %s", tcp,
		    allowed != NULL && *allowed != '\0' ? allowed : "any address that reaches it");
	}
	errno = 0;
	if ((fd = FCGX_OpenSocket(where, 1024)) < 0) {
		log_err("cannot listen on %s as %s: %s", where, priv_who(),
		    errno != 0 ? strerror(errno) : "invalid address");
		return -1;
	}
	if (is_path) {
		snprintf(listen_path, sizeof(listen_path), "%s", so->path);
		if ((so->owner.uid != (uid_t)-1 || so->owner.gid != (gid_t)-1) &&
		    chown(so->path, so->owner.uid, so->owner.gid) == -1) {
			log_err("cannot set the owner of socket %s to uid %ld gid %ld as %s: %s",
			    so->path, (long)so->owner.uid, (long)so->owner.gid, priv_who(), strerror(errno));
			return -1;
		}
		if (chmod(so->path, so->mode) == -1) {
			log_err("cannot set the mode of socket %s to %04o as %s: %s", so->path,
			    (unsigned)so->mode, priv_who(), strerror(errno));
			return -1;
		}
	}
	if (fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	return 0;
}

static pid_t
spawn_worker(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* The master's handlers are not the worker's: a SIGTERM before loop_run installs its own just ends
		   the worker, which is idle then. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		/* If the master dies, even by SIGKILL, the worker is told at once and stops as on SIGTERM. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master_pid)
			_exit(0);
		sigprocmask(SIG_SETMASK, &worker_mask, NULL);
		_exit(loop_run());
	}
	if (pid == -1)
		log_err("cannot fork a worker: %s", strerror(errno));
	return pid;
}

int
serve_prefork(const char *what, int workers)
{
	struct sigaction	 sa;
	pid_t			*pids;
	sigset_t		 mask, old;
	int			 i, alive, status, e;
	time_t			 deadline;

	if ((pids = calloc((size_t)workers, sizeof(*pids))) == NULL)
		return 1;
	master_pid = getpid();

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_master_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_master_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);
	worker_mask = old;

	for (i = 0; i < workers; i++)
		pids[i] = spawn_worker();
	log_info("listening on %s with %d workers as %s", what, workers, priv_who());

	while (!master_term) {
		sigsuspend(&old);
		if (master_hup) {
			master_hup = 0;
			if ((e = log_reopen()) != 0)
				log_err("cannot reopen log file %s as %s: %s; still writing to the old one",
				    cfg.log_file, priv_who(), strerror(e));
			for (i = 0; i < workers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGHUP);
			log_info("reopened the log file (SIGHUP), in the master and %d workers", workers);
		}
		if (!child_exited)
			continue;
		child_exited = 0;
		for (i = 0; i < workers; i++) {
			if (pids[i] <= 0) {
				pids[i] = spawn_worker();	/* a fork that failed earlier */
				continue;
			}
			if (waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			if (master_term)
				break;
			if (WIFSIGNALED(status))
				log_err("worker %d killed by signal %d (%s); starting a new one", (int)pids[i],
				    WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				log_warn("worker %d exited with status %d; starting a new one", (int)pids[i],
				    WEXITSTATUS(status));
			sleep(WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL ? 1 : 0);
			pids[i] = spawn_worker();
		}
	}
	log_info("stopping: letting the requests in flight finish");
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	/* Workers finish their request in flight and close the database; one still busy after SHUTDOWN_GRACE is
	   killed. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (alive = 0, i = 0; i < workers; i++)
		alive += pids[i] > 0;
	for (deadline = time(NULL) + SHUTDOWN_GRACE; alive > 0;) {
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p > 0) {
			alive--;
			continue;
		}
		if (p == -1 && errno != EINTR)
			break;
		if (time(NULL) >= deadline) {
			log_warn("workers still busy after %d s; killing them", SHUTDOWN_GRACE);
			for (i = 0; i < workers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGKILL);
			deadline = time(NULL) + SHUTDOWN_GRACE;
		}
		usleep(20000);
	}
	if (listen_path[0] != '\0' && unlink(listen_path) == -1 && errno != ENOENT)
		log_debug("cannot remove socket %s as %s: %s", listen_path, priv_who(), strerror(errno));
	log_info("stopped");
	free(pids);
	return 0;
}
