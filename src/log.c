/*
 * log.c: one line per event, to a file or standard error, written with a single write(2) so that lines from
 * several workers never interleave. Messages are lower case and say what failed first. Callers never pass a
 * secret, a token, a hash or a request body.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gatehouse.h"

static int		 log_fd = 2;
static enum log_level	 log_max = LOG_INFO;
static const char	*log_prog = "gatehouse";
static char		 log_rid[37];

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static char		 log_path[1024];	/* the file, for log_reopen; empty: standard error */
static int		 log_to_stderr_too;

int
log_open(const char *path, enum log_level level, const char *progname)
{
	log_max = level;
	if (progname != NULL)
		log_prog = progname;
	if (path != NULL && path[0] != '\0' && strcmp(path, "-") != 0) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd == -1) {
			int e = errno;
			dprintf(2, "%s: cannot open log file %s as %s: %s\n", log_prog, path, priv_who(), strerror(e));
			return -1;
		}
		if (log_fd > 2)
			close(log_fd);
		log_fd = fd;
		snprintf(log_path, sizeof(log_path), "%s", path);
	}
	return 0;
}

int
log_reopen(void)
{
	int fd, e;

	if (log_path[0] == '\0' || log_fd <= 2)
		return 0;
	e = errno;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1) {
		int why = errno;
		errno = e;
		return why;
	}
	/* dup2 swaps the file under log_fd atomically: a write in progress goes to one file or the other. */
	if (fd != log_fd) {
		dup2(fd, log_fd);
		close(fd);
		(void)fcntl(log_fd, F_SETFD, FD_CLOEXEC);
	}
	errno = e;
	return 0;
}

void
log_tee(int on)
{
	struct stat a, b;

	log_to_stderr_too = 0;
	if (on && log_fd != 2 && fstat(2, &a) == 0 && fstat(log_fd, &b) == 0 &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		log_to_stderr_too = 1;
}

void
log_set_request(const char *rid)
{
	if (rid == NULL)
		log_rid[0] = '\0';
	else
		snprintf(log_rid, sizeof(log_rid), "%s", rid);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char		 line[1024];
	struct timespec	 ts;
	struct tm	 tm;
	va_list		 ap;
	int		 n, m;

	if (level > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%d] %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    log_prog, (int)getpid(), level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (log_rid[0] != '\0') {
		m = snprintf(line + n, sizeof(line) - n, "request %s: ", log_rid);
		if (m > 0 && (size_t)m < sizeof(line) - n)
			n += m;
	}
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	m = n + m;
	if ((size_t)m > sizeof(line) - 2)
		m = sizeof(line) - 2;
	/* One event, one line: control characters from a request never split or forge lines. */
	for (; n < m; n++)
		if ((unsigned char)line[n] < 0x20 || line[n] == 0x7f)
			line[n] = '?';
	line[n++] = '\n';
	while (write(log_fd, line, n) == -1 && errno == EINTR)
		;
	if (log_to_stderr_too)
		while (write(2, line, n) == -1 && errno == EINTR)
			;
}
