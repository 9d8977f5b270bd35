/*
 * arena.c: memory with a request's lifetime, and output buffers with the process's.
 *
 * The arena hands out memory from chunks; arena_reset() keeps the first chunk and frees the rest, so a steady
 * stream of ordinary requests allocates nothing. A request that asks for more than the cap gets NULL, which the
 * callers turn into a clean error rather than a crash.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse.h"

#define ARENA_CHUNK	(64 * 1024)
#define ARENA_ALIGN	16

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;
	size_t			 used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void
arena_init(struct arena *a, size_t cap)
{
	a->head = NULL;
	a->used = 0;
	a->cap = cap;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c = a->head;
	size_t			 need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void			*p;

	if (need < n || need > a->cap || a->used > a->cap - need)
		return NULL;
	if (c == NULL || c->size - c->used < need) {
		size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		struct arena_chunk *nc = malloc(sizeof(*nc) + size);
		if (nc == NULL)
			return NULL;
		nc->size = size;
		nc->used = 0;
		nc->next = c;
		a->head = c = nc;
	}
	p = c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/*
 * Keeps the oldest chunk (the bottom of the list) and frees the others. What a request left behind (form values,
 * decoded passwords) is wiped first.
 */
void
arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	while (c != NULL && c->next != NULL) {
		next = c->next;
		wipe(c->data, c->used);
		free(c);
		c = next;
	}
	if (c != NULL)
		wipe(c->data, c->used);
	if (c != NULL) {
		if (c->size > ARENA_CHUNK) {	/* an oversized first chunk is not worth keeping */
			free(c);
			c = NULL;
		} else
			c->used = 0;
	}
	a->head = c;
	a->used = 0;
}

void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}

/* Output buffers. */

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t	 want, cap;
	char	*p;

	if (b->failed)
		return -1;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	/* A buffer that grew for one huge reply shrinks back, so resident memory stays flat. */
	if (b->cap > 1024 * 1024) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
buf_put(struct buf *b, const char *s, size_t n)
{
	if (n == 0 || buf_reserve(b, n) == -1)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	if (buf_reserve(b, 1) == -1)
		return;
	b->p[b->len++] = c;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	if (buf_reserve(b, 0) == -1)
		return "";
	b->p[b->len] = '\0';
	return b->p;
}
