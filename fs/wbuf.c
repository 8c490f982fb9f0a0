/* wbuf: write buffers and complete rules (see wbuf.h). */
#include "wbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include <openssl/crypto.h>

#include "jsonc.h"
#include "validate.h"

static size_t skip_blanks(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] && strchr(CAS_BLANKS, p[i]))
		i++;
	return i;
}

static int blank(const char *p, size_t n)
{
	return cas_trim_len(p, n, CAS_BLANKS) == 0;
}

enum verdict complete_json(struct wbuf *w, int final, char *why, size_t whylen)
{
	const char *p = cas_buf_str(&w->b);
	size_t n = w->b.len, i = skip_blanks(p, n);
	if (i == n) {
		if (final)
			snprintf(why, whylen, "empty document; expected a JSON object");
		return final ? V_INVALID : V_INCOMPLETE;
	}
	if (p[i] != '{') {
		snprintf(why, whylen, "expected a JSON object");
		return V_INVALID;
	}
	if (!w->tok || w->fed > n) {
		if (w->tok)
			json_tokener_free(w->tok);
		w->tok = json_tokener_new();
		json_tokener_set_flags(w->tok, JSON_TOKENER_STRICT);
		w->fed = 0;
	}
	json_object *obj = NULL;
	size_t chunk = w->fed;
	if (w->fed < n) {
		obj = json_tokener_parse_ex(w->tok, p + w->fed, (int)(n - w->fed));
		w->fed = n;
	}
	enum json_tokener_error err = json_tokener_get_error(w->tok);
	if (obj) {
		/* parse_end is where the object ended within the chunk just fed;
		 * everything after it must be blank */
		const char *close = p + chunk + json_tokener_get_parse_end(w->tok);
		if (w->secret)
			jsonc_wipe(obj);
		json_object_put(obj);
		json_tokener_reset(w->tok);
		w->fed = (size_t)-1; /* anything more re-parses from the start */
		if (!blank(close, (size_t)(p + n - close))) {
			snprintf(why, whylen, "text after the end of the JSON object");
			return V_INVALID;
		}
		return V_COMPLETE;
	}
	if (err == json_tokener_continue) {
		if (final)
			snprintf(why, whylen, "incomplete JSON document");
		return final ? V_INVALID : V_INCOMPLETE;
	}
	snprintf(why, whylen, "invalid JSON: %s", json_tokener_error_desc(err));
	return V_INVALID;
}

enum verdict complete_line(struct wbuf *w, int final, char *why, size_t whylen)
{
	const char *p = cas_buf_str(&w->b);
	size_t n = w->b.len;
	const char *nl = memchr(p, '\n', n);
	if (!nl)
		return final ? V_COMPLETE : V_INCOMPLETE;
	if (!blank(nl, (size_t)(p + n - nl))) {
		snprintf(why, whylen, "one value per file: text after the first line");
		return V_INVALID;
	}
	return V_COMPLETE;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE REQUEST-----"
#define PEM_END "-----END CERTIFICATE REQUEST-----"

enum verdict complete_pem(struct wbuf *w, int final, char *why, size_t whylen)
{
	const char *p = cas_buf_str(&w->b);
	size_t n = w->b.len, i = skip_blanks(p, n);
	size_t have = n - i, want = strlen(PEM_BEGIN);
	if (memcmp(p + i, PEM_BEGIN, have < want ? have : want) != 0) {
		snprintf(why, whylen, "not a PEM certificate request (it must start with %s)", PEM_BEGIN);
		return V_INVALID;
	}
	const char *end = memmem(p, n, PEM_END, strlen(PEM_END));
	if (!end)
		return final ? V_COMPLETE : V_INCOMPLETE; /* the commit reports a truncated PEM */
	const char *after = end + strlen(PEM_END);
	if (!blank(after, (size_t)(p + n - after))) {
		snprintf(why, whylen, "text after " PEM_END);
		return V_INVALID;
	}
	return final || memchr(after, '\n', (size_t)(p + n - after)) ? V_COMPLETE : V_INCOMPLETE;
}

/* One non-blank "key=value" line: 0, or -1 with why. */
static int tag_line(const char *q, size_t l, char *why, size_t whylen)
{
	struct cas_tag t;
	if (cas_tag_from_line(q, l, &t)) {
		snprintf(why, whylen, "tags lines must be key=value");
		return -1;
	}
	struct cas_error e;
	int rc = cas_validate_tags(&t, 1, &e);
	free(t.key);
	free(t.value);
	if (rc)
		snprintf(why, whylen, "%s", e.message);
	return rc ? -1 : 0;
}

enum verdict complete_tags(struct wbuf *w, int final, char *why, size_t whylen)
{
	const char *p = cas_buf_str(&w->b);
	size_t n = w->b.len, lines = 0, l;
	const char *q, *at = p;
	for (int k; (k = cas_line_next(&at, p + n, &q, &l));) {
		if (k == 2 && !final)
			break; /* the last line is still being written */
		if (l && !blank(q, l)) {
			if (tag_line(q, l, why, whylen))
				return V_INVALID;
			if (++lines > CAS_MAX_TAGS) {
				snprintf(why, whylen, "at most %d tags are allowed", CAS_MAX_TAGS);
				return V_INVALID;
			}
		}
	}
	/* the usual single write (echo, printf, one write of the whole set) ends
	 * in a newline: complete now, so even bash's builtin echo sees a failure */
	return final || (n && p[n - 1] == '\n') ? V_COMPLETE : V_INCOMPLETE;
}

enum verdict complete_any(struct wbuf *w, int final, char *why, size_t whylen)
{
	(void)w;
	(void)final;
	(void)why;
	(void)whylen;
	return V_COMPLETE;
}

void wbuf_place(struct wbuf *w, const char *data, size_t size, size_t off)
{
	struct cas_buf *b = &w->b;
	if (off < w->fed)
		w->fed = (size_t)-1; /* bytes already parsed changed: start over */
	if (off + size > b->len) {
		cas_buf_reserve(b, off + size - b->len);
		if (off > b->len)
			memset(b->p + b->len, 0, off - b->len);
		b->len = off + size;
		b->p[b->len] = '\0';
	}
	if (size)
		memcpy(b->p + off, data, size);
}

void wbuf_truncate(struct wbuf *w, size_t size)
{
	if (size > w->b.len)
		wbuf_place(w, "", 0, size);
	w->b.len = size;
	if (w->b.p)
		w->b.p[size] = '\0';
	w->fed = (size_t)-1;
}

void wbuf_free(struct wbuf *w)
{
	/* json-c frees its string buffer unwiped: make it overwrite it first */
	jsonc_tokener_free_wiped(w->tok, w->b.len);
	w->tok = NULL;
	if (w->b.p)
		OPENSSL_cleanse(w->b.p, w->b.cap);
	cas_buf_free(&w->b);
	w->fed = 0;
}
