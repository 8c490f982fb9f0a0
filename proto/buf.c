/* buf: growable byte buffer and checked allocation (see buf.h). */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

static void oom(size_t n)
{
	fprintf(stderr, "casfs: out of memory allocating %zu bytes\n", n);
	abort();
}

void *cas_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *cas_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *cas_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *cas_xstrdup(const char *s)
{
	return cas_xstrndup(s, strlen(s));
}

char *cas_xstrndup(const char *s, size_t n)
{
	char *p = cas_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cas_xasprintf(const char *fmt, ...)
{
	struct cas_buf b = CAS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cas_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return cas_buf_steal(&b);
}

void cas_buf_reserve(struct cas_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->p = cas_wipe_realloc(b->p, cap);
	b->cap = cap;
}

void cas_buf_add(struct cas_buf *b, const void *data, size_t n)
{
	cas_buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cas_buf_adds(struct cas_buf *b, const char *s)
{
	cas_buf_add(b, s, strlen(s));
}

void cas_buf_addc(struct cas_buf *b, char c)
{
	cas_buf_add(b, &c, 1);
}

void cas_buf_vaddf(struct cas_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	cas_buf_reserve(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cas_buf_addf(struct cas_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cas_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void cas_buf_reset(struct cas_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void cas_buf_free(struct cas_buf *b)
{
	cas_wipe_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *cas_buf_steal(struct cas_buf *b)
{
	char *p = b->p ? b->p : cas_xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *cas_buf_str(const struct cas_buf *b)
{
	return b->p ? b->p : "";
}

size_t cas_trim_len(const char *s, size_t n, const char *set)
{
	while (n && s[n - 1] && strchr(set, s[n - 1]))
		n--;
	return n;
}

int cas_line_next(const char **p, const char *end, const char **line, size_t *len)
{
	if (*p >= end)
		return 0;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return nl ? 1 : 2;
}
