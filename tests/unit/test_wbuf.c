/* test_wbuf: fs/wbuf.h, the complete rules that decide when a write buffer
 * is committed. JSON is judged incrementally (json-c's tokener): a prefix
 * is incomplete, text that can never parse is invalid at once, bytes after
 * the object must be blank, and overwriting bytes already parsed parses
 * again from the start. Lines, PEM requests and tags follow their own
 * rules; with final set nothing is incomplete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wbuf.h"

static char why[600];

/* Appends s to w, then judges it with rule. */
static enum verdict feed(struct wbuf *w, complete_fn rule, const char *s, int final)
{
	wbuf_place(w, s, strlen(s), w->b.len);
	why[0] = '\0';
	return rule(w, final, why, sizeof(why));
}

static enum verdict judge1(complete_fn rule, const char *s, int final)
{
	struct wbuf w = { 0 };
	enum verdict v = feed(&w, rule, s, final);
	wbuf_free(&w);
	return v;
}

static void json_incremental(void **state)
{
	(void)state;
	struct wbuf w = { 0 };
	assert_int_equal(feed(&w, complete_json, "  ", 0), V_INCOMPLETE);
	assert_int_equal(feed(&w, complete_json, "{\"City\":", 0), V_INCOMPLETE);
	assert_int_equal(feed(&w, complete_json, " \"Hang", 0), V_INCOMPLETE);
	assert_int_equal(feed(&w, complete_json, "zhou\"", 0), V_INCOMPLETE);
	assert_int_equal(feed(&w, complete_json, "}\n", 0), V_COMPLETE);
	/* more blank bytes after a complete object keep it complete */
	assert_int_equal(feed(&w, complete_json, "\n\n", 0), V_COMPLETE);
	/* anything else after it can never be valid */
	assert_int_equal(feed(&w, complete_json, "x", 0), V_INVALID);
	wbuf_free(&w);

	/* one byte at a time: incomplete until the last byte */
	const char *doc = "{\"Tags\": [{\"TagKey\": \"a\", \"TagValue\": \"1\"}], \"CompanyId\": 7}";
	for (size_t i = 0; doc[i]; i++) {
		char c[2] = { doc[i], 0 };
		assert_int_equal(feed(&w, complete_json, c, 0), doc[i + 1] ? V_INCOMPLETE : V_COMPLETE);
	}
	wbuf_free(&w);
}

static void json_invalid(void **state)
{
	(void)state;
	assert_int_equal(judge1(complete_json, "[1]", 0), V_INVALID);
	assert_string_equal(why, "expected a JSON object");
	assert_int_equal(judge1(complete_json, "{\"a\" x", 0), V_INVALID);
	assert_non_null(strstr(why, "invalid JSON"));
	assert_int_equal(judge1(complete_json, "{\"a\": 1,}", 0), V_INVALID);
	assert_int_equal(judge1(complete_json, "{\"a\": 1} {", 0), V_INVALID); /* a second document */
	/* at close, nothing is incomplete */
	assert_int_equal(judge1(complete_json, "", 1), V_INVALID);
	assert_non_null(strstr(why, "empty document"));
	assert_int_equal(judge1(complete_json, "{\"a\": ", 1), V_INVALID);
	assert_string_equal(why, "incomplete JSON document");
	assert_int_equal(judge1(complete_json, "{}", 1), V_COMPLETE);
}

static void json_overwrite_reparses(void **state)
{
	(void)state;
	struct wbuf w = { 0 };
	assert_int_equal(feed(&w, complete_json, "{\"a\": ", 0), V_INCOMPLETE);
	/* overwrite the first byte: what was parsed is gone, judge again from 0 */
	wbuf_place(&w, "[", 1, 0);
	assert_int_equal(complete_json(&w, 0, why, sizeof(why)), V_INVALID);
	/* truncate and write a whole document */
	wbuf_truncate(&w, 0);
	assert_int_equal(feed(&w, complete_json, "{\"a\": 1}", 0), V_COMPLETE);
	/* a gap written past the end reads as NUL bytes: invalid */
	wbuf_place(&w, "{", 1, w.b.len + 3);
	assert_int_equal(complete_json(&w, 0, why, sizeof(why)), V_INVALID);
	wbuf_free(&w);
}

static void line(void **state)
{
	(void)state;
	assert_int_equal(judge1(complete_line, "example.com", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_line, "example.com", 1), V_COMPLETE);
	assert_int_equal(judge1(complete_line, "example.com\n", 0), V_COMPLETE);
	assert_int_equal(judge1(complete_line, "example.com\r\n\n \n", 0), V_COMPLETE);
	assert_int_equal(judge1(complete_line, "a\nb", 0), V_INVALID);
	assert_non_null(strstr(why, "one value per file"));
	assert_int_equal(judge1(complete_line, "", 1), V_COMPLETE); /* the commit judges the value */
}

#define BEGIN "-----BEGIN CERTIFICATE REQUEST-----\n"
#define END "-----END CERTIFICATE REQUEST-----"

static void pem(void **state)
{
	(void)state;
	assert_int_equal(judge1(complete_pem, "-----BEGIN CERT", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_pem, "\n  -----BEGIN", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_pem, "hello", 0), V_INVALID);
	assert_non_null(strstr(why, "not a PEM certificate request"));
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n", 1), V_COMPLETE);
	/* the END line completes it once its line ends (or at close) */
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n" END, 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n" END, 1), V_COMPLETE);
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n" END "\n", 0), V_COMPLETE);
	assert_int_equal(judge1(complete_pem, BEGIN "MIIB\n" END "\nmore\n", 0), V_INVALID);
	assert_non_null(strstr(why, "text after"));
}

static void tags(void **state)
{
	(void)state;
	/* no end marker: complete when the buffer ends a line (NF_EXTENDS lets more lines follow) */
	assert_int_equal(judge1(complete_tags, "env=prod\nteam=web\n", 0), V_COMPLETE);
	assert_int_equal(judge1(complete_tags, "env=prod\nteam=w", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_tags, "env=prod\nteam=web\n", 1), V_COMPLETE);
	assert_int_equal(judge1(complete_tags, "env=prod\r\n\n  \nteam=\n", 1), V_COMPLETE);
	/* a bad line fails at once, but an unfinished one waits for its newline */
	assert_int_equal(judge1(complete_tags, "novalue\n", 0), V_INVALID);
	assert_string_equal(why, "tags lines must be key=value");
	assert_int_equal(judge1(complete_tags, "=x\n", 0), V_INVALID);
	assert_int_equal(judge1(complete_tags, "novalue", 0), V_INCOMPLETE);
	assert_int_equal(judge1(complete_tags, "novalue", 1), V_INVALID);
	assert_int_equal(judge1(complete_tags, "acs:x=1\n", 0), V_INVALID); /* reserved prefix (validate.c) */
	/* at most 20 tags */
	char many[512] = "";
	for (int i = 0; i < 21; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%d=v\n", i);
	assert_int_equal(judge1(complete_tags, many, 0), V_INVALID);
	assert_non_null(strstr(why, "at most 20 tags"));
	many[strlen(many) - strlen("k20=v\n")] = '\0';
	assert_int_equal(judge1(complete_tags, many, 1), V_COMPLETE);
}

static void any(void **state)
{
	(void)state;
	assert_int_equal(judge1(complete_any, "", 0), V_COMPLETE);
	assert_int_equal(judge1(complete_any, "whatever\n", 0), V_COMPLETE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_incremental),
		cmocka_unit_test(json_invalid),
		cmocka_unit_test(json_overwrite_reparses),
		cmocka_unit_test(line),
		cmocka_unit_test(pem),
		cmocka_unit_test(tags),
		cmocka_unit_test(any),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
