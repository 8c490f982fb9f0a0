/* buf: a growable byte buffer (always NUL-terminated) and checked allocation.
 * A buffer is wiped when it grows or is freed (wipe.h): any may carry a secret.
 * Allocation failure aborts: a FUSE daemon that cannot allocate a few bytes
 * has no useful way to continue, and every caller stays simpler. */
#ifndef CAS_BUF_H
#define CAS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cas_buf {
	char *p;
	size_t len;
	size_t cap;
};

#define CAS_BUF_INIT { NULL, 0, 0 }

void *cas_xmalloc(size_t n);
void *cas_xcalloc(size_t n, size_t size);
void *cas_xrealloc(void *p, size_t n);
char *cas_xstrdup(const char *s);
char *cas_xstrndup(const char *s, size_t n);
char *cas_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void cas_buf_reserve(struct cas_buf *b, size_t extra);
void cas_buf_add(struct cas_buf *b, const void *data, size_t n);
void cas_buf_adds(struct cas_buf *b, const char *s);
void cas_buf_addc(struct cas_buf *b, char c);
void cas_buf_addf(struct cas_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cas_buf_vaddf(struct cas_buf *b, const char *fmt, va_list ap);
void cas_buf_reset(struct cas_buf *b);
void cas_buf_free(struct cas_buf *b);
/* Hands the storage to the caller (never NULL) and empties the buffer. */
char *cas_buf_steal(struct cas_buf *b);
/* The contents as a C string ("" for an empty buffer). */
const char *cas_buf_str(const struct cas_buf *b);

/* Blanks for cas_trim_len: space, tab, CR, LF. */
#define CAS_BLANKS " \t\r\n"
/* The length of s[0..n) once every trailing byte found in `set` is dropped
 * (a NUL byte is never in the set). cas_trim_len(s, n, CAS_BLANKS) == 0
 * means s[0..n) is blank. */
size_t cas_trim_len(const char *s, size_t n, const char *set);
/* Line iteration over text up to end:
 *   for (const char *p = s, *line; (k = cas_line_next(&p, s + n, &line, &len));)
 * yields each line without its '\n' and moves *p past it. Returns 0 at the
 * end, 1 for a line that ended in '\n', 2 for a last line without one. */
int cas_line_next(const char **p, const char *end, const char **line, size_t *len);

#endif
