/* canon: jq-identical canonical JSON output and hostile-safe parsing (see canon.h). */
#include "canon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jq's number format: shortest round-trip digits; exponent form when the
 * decimal point is 4+ places left of the digits or 16+ places right of them. */
static void render_number(struct cas_buf *out, double x)
{
	if (isnan(x)) {
		cas_buf_adds(out, "null");
		return;
	}
	if (isinf(x))
		x = x > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308;
	char tmp[64];
	int prec;
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.16e", x);
	/* tmp = [-]d[.ddd]e[+-]NN: split into sign, digits and exponent */
	const char *p = tmp;
	int neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	char digits[32];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	int exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int decpt = exp10 + 1;
	if (neg)
		cas_buf_addc(out, '-');
	if (x == 0) {
		cas_buf_addc(out, '0');
		return;
	}
	if (decpt <= -4 || decpt > nd + 15) {
		cas_buf_addc(out, digits[0]);
		if (nd > 1) {
			cas_buf_addc(out, '.');
			cas_buf_add(out, digits + 1, (size_t)nd - 1);
		}
		int e = decpt - 1;
		cas_buf_addf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	} else if (decpt <= 0) {
		cas_buf_adds(out, "0.");
		for (int i = decpt; i < 0; i++)
			cas_buf_addc(out, '0');
		cas_buf_add(out, digits, (size_t)nd);
	} else {
		for (int i = 0; i < nd; i++) {
			cas_buf_addc(out, digits[i]);
			if (i + 1 == decpt && i + 1 < nd)
				cas_buf_addc(out, '.');
		}
		for (int i = nd; i < decpt; i++)
			cas_buf_addc(out, '0');
	}
}

/* Decodes one UTF-8 sequence the way jq 1.6 does; returns the code point or -1
 * and stores the number of bytes consumed. */
static long utf8_next(const unsigned char *s, const unsigned char *end, int *used)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*used = 1;
		return c;
	}
	int len = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
	if (len == 0) {
		*used = 1;
		return -1;
	}
	if (s + len > end) {
		*used = (int)(end - s);
		return -1;
	}
	long cp = c & (0xFF >> (len + 1));
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*used = i;
			return -1;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*used = len;
	static const long first[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < first[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return -1;
	return cp;
}

void cas_canon_string(struct cas_buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;
	cas_buf_addc(out, '"');
	while (s < end) {
		int used;
		long cp = utf8_next(s, end, &used);
		if (cp < 0) {
			cas_buf_adds(out, "\xEF\xBF\xBD");
		} else if (cp < 0x80) {
			switch (cp) {
			case '"': cas_buf_adds(out, "\\\""); break;
			case '\\': cas_buf_adds(out, "\\\\"); break;
			case '\b': cas_buf_adds(out, "\\b"); break;
			case '\f': cas_buf_adds(out, "\\f"); break;
			case '\n': cas_buf_adds(out, "\\n"); break;
			case '\r': cas_buf_adds(out, "\\r"); break;
			case '\t': cas_buf_adds(out, "\\t"); break;
			default:
				if (cp < 0x20 || cp == 0x7F)
					cas_buf_addf(out, "\\u%04lx", cp);
				else
					cas_buf_addc(out, (char)cp);
			}
		} else {
			cas_buf_add(out, s, (size_t)used);
		}
		s += used;
	}
	cas_buf_addc(out, '"');
}

static void indent(struct cas_buf *out, int depth)
{
	cas_buf_reserve(out, (size_t)depth * 2);
	for (int i = 0; i < depth; i++)
		cas_buf_add(out, "  ", 2);
}

/* An object member with its key as jq sees it (invalid UTF-8 replaced) and
 * its position, so equal keys keep document order and the last one wins. */
struct member {
	char *key;
	size_t index;
	const cJSON *node;
};

/* The key's bytes after jq's U+FFFD replacement (no escaping). */
static char *jq_key(const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
	struct cas_buf b = CAS_BUF_INIT;
	while (s < end) {
		int used;
		long cp = utf8_next(s, end, &used);
		if (cp < 0)
			cas_buf_adds(&b, "\xEF\xBF\xBD");
		else
			cas_buf_add(&b, s, (size_t)used);
		s += used;
	}
	return cas_buf_steal(&b);
}

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* depth < 0: one line (jq -S -c); otherwise indented at depth (jq -S). */
static void render(struct cas_buf *out, const cJSON *v, int depth)
{
	int pretty = depth >= 0;
	if (cJSON_IsNull(v) || !v || cJSON_IsInvalid(v)) {
		cas_buf_adds(out, "null");
	} else if (cJSON_IsFalse(v)) {
		cas_buf_adds(out, "false");
	} else if (cJSON_IsTrue(v)) {
		cas_buf_adds(out, "true");
	} else if (cJSON_IsNumber(v)) {
		render_number(out, v->valuedouble);
	} else if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
		const char *s = v->valuestring ? v->valuestring : "";
		cas_canon_string(out, s, strlen(s));
	} else if (cJSON_IsArray(v)) {
		if (!v->child) {
			cas_buf_adds(out, "[]");
			return;
		}
		cas_buf_adds(out, pretty ? "[\n" : "[");
		for (const cJSON *c = v->child; c; c = c->next) {
			if (pretty)
				indent(out, depth + 1);
			render(out, c, pretty ? depth + 1 : -1);
			cas_buf_adds(out, c->next ? (pretty ? ",\n" : ",") : (pretty ? "\n" : ""));
		}
		if (pretty)
			indent(out, depth);
		cas_buf_addc(out, ']');
	} else if (cJSON_IsObject(v)) {
		size_t n = 0;
		for (const cJSON *c = v->child; c; c = c->next)
			n++;
		if (!n) {
			cas_buf_adds(out, "{}");
			return;
		}
		struct member *kids = cas_xmalloc(n * sizeof(*kids));
		size_t i = 0;
		for (const cJSON *c = v->child; c; c = c->next, i++) {
			kids[i].key = jq_key(c->string ? c->string : "");
			kids[i].index = i;
			kids[i].node = c;
		}
		qsort(kids, n, sizeof(*kids), member_cmp);
		cas_buf_adds(out, pretty ? "{\n" : "{");
		for (i = 0; i < n; i++) {
			/* jq keeps the last of duplicate keys */
			if (i + 1 < n && strcmp(kids[i].key, kids[i + 1].key) == 0)
				continue;
			if (pretty)
				indent(out, depth + 1);
			cas_canon_string(out, kids[i].key, strlen(kids[i].key));
			cas_buf_adds(out, pretty ? ": " : ":");
			render(out, kids[i].node, pretty ? depth + 1 : -1);
			/* the last member is the last key, whichever duplicate it was */
			cas_buf_adds(out, i + 1 < n ? (pretty ? ",\n" : ",") : (pretty ? "\n" : ""));
		}
		for (i = 0; i < n; i++)
			free(kids[i].key);
		free(kids);
		if (pretty)
			indent(out, depth);
		cas_buf_addc(out, '}');
	}
}

void cas_canon_render(struct cas_buf *out, const cJSON *v)
{
	render(out, v, 0);
	cas_buf_addc(out, '\n');
}

void cas_canon_render_line(struct cas_buf *out, const cJSON *v)
{
	render(out, v, -1);
	cas_buf_addc(out, '\n');
}

cJSON *cas_json_parse(const char *text, size_t len)
{
	/* rewrite \u0000 escapes (not preceded by an escaping backslash) as \ufffd */
	char *copy = NULL;
	for (size_t i = 0; i + 5 < len; i++) {
		if (text[i] != '\\') 
			continue;
		if (text[i + 1] == '\\') {
			i++;
			continue;
		}
		if (text[i + 1] == 'u' && text[i + 2] == '0' && text[i + 3] == '0' && text[i + 4] == '0' &&
		    text[i + 5] == '0') {
			if (!copy) {
				copy = cas_xstrndup(text, len);
				text = copy;
			}
			memcpy(copy + i + 2, "fffd", 4);
		}
	}
	const char *endp = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &endp, 0);
	if (j && endp) {
		for (const char *p = endp; p < text + len; p++) {
			if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
				cJSON_Delete(j);
				j = NULL;
				break;
			}
		}
	}
	free(copy);
	return j;
}

int cas_utf8_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
	while (s < end) {
		int used;
		long cp = utf8_next(s, end, &used);
		if (cp < 0 || cp == 0xFFFD)
			return 0;
		s += used;
	}
	return 1;
}
