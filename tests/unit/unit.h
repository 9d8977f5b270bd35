/*
 * unit.h: a tiny TAP producer for the C unit tests: one "ok N - name" or "not ok N - name" line per check.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed;

#define CHECK(cond, ...) do {						\
	unit_n++;							\
	if (cond)							\
		printf("ok %d - ", unit_n);				\
	else {								\
		printf("not ok %d - ", unit_n);				\
		unit_failed++;						\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

#define CHECK_STR(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	CHECK(same_, __VA_ARGS__);					\
	if (!same_)							\
		printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static int
unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed == 0 ? 0 : 1;
}

#endif
