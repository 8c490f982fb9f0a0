/* params: flat RPC query parameters and SDK flattening (see params.h). */
#include "params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "params_test.h"
#include "wipe.h"

/* ---- RFC 3986 percent-encoding (both signers and the query parser) ---- */

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '~';
}

void cas_pct_encode(struct cas_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	cas_buf_reserve(out, n * 3);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			out->p[out->len++] = (char)c;
		} else {
			out->p[out->len++] = '%';
			out->p[out->len++] = hex[c >> 4];
			out->p[out->len++] = hex[c & 15];
		}
	}
	out->p[out->len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *cas_pct_decode(const char *s, size_t n, int plus_is_space)
{
	char *out = cas_xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			out[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[j++] = ' ';
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

/* ---- the parameter list ------------------------------------------------ */

void cas_params_free(struct cas_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		cas_wipe_free(p->v[i].val); /* AddCloudAccess carries a SecretKey */
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

void cas_params_copy(struct cas_params *dst, const struct cas_params *src)
{
	for (size_t i = 0; i < src->n; i++)
		cas_params_set(dst, src->v[i].key, src->v[i].val);
}

void cas_params_set(struct cas_params *p, const char *key, const char *val)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = cas_xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n].key = cas_xstrdup(key);
	p->v[p->n].val = cas_xstrdup(val ? val : "");
	p->n++;
}

void cas_params_set_i64(struct cas_params *p, const char *key, int64_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	cas_params_set(p, key, tmp);
}

void cas_params_set_list(struct cas_params *p, const char *base, const char *const *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!vals[i])
			continue; /* a null element still consumes its index */
		char *k = cas_xasprintf("%s.%zu", base, i + 1);
		cas_params_set(p, k, vals[i]);
		free(k);
	}
}

void cas_params_set_i64_list(struct cas_params *p, const char *base, const int64_t *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *k = cas_xasprintf("%s.%zu", base, i + 1);
		cas_params_set_i64(p, k, vals[i]);
		free(k);
	}
}

void cas_params_set_tags(struct cas_params *p, const char *base, const struct cas_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *k = cas_xasprintf("%s.%zu.TagKey", base, i + 1);
		cas_params_set(p, k, tags[i].key);
		free(k);
		k = cas_xasprintf("%s.%zu.TagValue", base, i + 1);
		cas_params_set(p, k, tags[i].value);
		free(k);
	}
}

const char *cas_params_get(const struct cas_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return p->v[i].val;
	return NULL;
}

int cas_params_remove(struct cas_params *p, const char *key)
{
	int removed = 0;
	size_t j = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].key, key) == 0) {
			free(p->v[i].key);
			free(p->v[i].val);
			removed++;
			continue;
		}
		p->v[j++] = p->v[i];
	}
	p->n = j;
	return removed;
}

static int param_cmp(const void *a, const void *b)
{
	const struct cas_param *x = a, *y = b;
	int c = strcmp(x->key, y->key); /* strcmp compares as unsigned char: byte order */
	return c ? c : strcmp(x->val, y->val);
}

void cas_params_sort(struct cas_params *p)
{
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), param_cmp);
}

char *cas_params_encode(const struct cas_params *p, int encode_keys)
{
	struct cas_buf b = CAS_BUF_INIT;
	for (size_t i = 0; i < p->n; i++) {
		if (i)
			cas_buf_addc(&b, '&');
		if (encode_keys)
			cas_pct_encode(&b, p->v[i].key, strlen(p->v[i].key));
		else
			cas_buf_adds(&b, p->v[i].key);
		cas_buf_addc(&b, '=');
		cas_pct_encode(&b, p->v[i].val, strlen(p->v[i].val));
	}
	return cas_buf_steal(&b);
}

int cas_params_parse(struct cas_params *p, const char *query)
{
	const char *s = query ? query : "";
	while (*s) {
		const char *amp = strchr(s, '&');
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		if (len) {
			const char *eq = memchr(s, '=', len);
			size_t klen = eq ? (size_t)(eq - s) : len;
			char *k = cas_pct_decode(s, klen, 1);
			char *v = eq ? cas_pct_decode(eq + 1, len - klen - 1, 1) : cas_xstrdup("");
			if (!k || !v) {
				free(k);
				free(v);
				return -1;
			}
			cas_params_set(p, k, v);
			free(k);
			free(v);
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return 0;
}

int cas_tag_from_line(const char *line, size_t n, struct cas_tag *t)
{
	n = cas_trim_len(line, n, "\r");
	const char *eq = memchr(line, '=', n);
	if (!eq || eq == line)
		return -1;
	t->key = cas_xstrndup(line, (size_t)(eq - line));
	t->value = cas_xstrndup(eq + 1, n - (size_t)(eq - line) - 1);
	return 0;
}
