/* test_update: proto/update.h. cas_update_from_json (every field kind, unknown
 * keys, wrong types, non-integral CompanyId, tag objects, duplicate keys,
 * null = not given), cas_update_config_json (the 14 keys, null when absent
 * or of the wrong type, and that a config can be written back verbatim),
 * cas_update_diff (strings, Csr whitespace, sets, implied upload),
 * cas_update_count, cas_update_copy and cas_update_to_params. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "buf.h"
#include "canon.h"
#include "update.h"
#include "update_test.h"

static cJSON *J(const char *text)
{
	cJSON *j = cas_json_parse(text, strlen(text));
	if (!j)
		fail_msg("test JSON does not parse: %s", text);
	return j;
}

/* from_json of text into a fresh update; returns rc, fills e. */
static int from_text(const char *text, struct cas_update *u, struct cas_error *e)
{
	memset(u, 0, sizeof(*u));
	cas_error_clear(e);
	cJSON *j = J(text);
	int rc = cas_update_from_json(j, u, e);
	cJSON_Delete(j);
	return rc;
}

static void expect_from_json_error(const char *text, const char *name)
{
	struct cas_update u;
	struct cas_error e;
	int rc = from_text(text, &u, &e);
	cas_update_free(&u);
	if (rc != -EINVAL)
		fail_msg("from_json accepted %s (rc %d)", text, rc);
	assert_int_equal(e.err, EINVAL);
	if (name && !strstr(e.message, name))
		fail_msg("from_json(%s): message \"%s\" does not name %s", text, e.message, name);
}

/* ---- cas_update_from_json ------------------------------------------------- */

static void from_json_all_fields(void **state)
{
	(void)state;
	struct cas_update u;
	struct cas_error e;
	memset(&u, 0, sizeof(u));
	u.instance_id = cas_xstrdup("cas-cn-keep");
	cJSON *j = J("{\"AutoReissue\":\"enable\",\"CertificateName\":\"n\",\"City\":\"Hangzhou\",\"CompanyId\":44211,"
		     "\"ContactIdList\":[101,202],\"CountryCode\":\"CN\",\"Csr\":\"-----BEGIN CERTIFICATE REQUEST-----\","
		     "\"Domain\":\"a.com\",\"GenerateCsrMethod\":\"upload\",\"KeyAlgorithm\":\"ECC_256\",\"Province\":\"Zhejiang\","
		     "\"ResourceGroupId\":\"rg-1\",\"Tags\":[{\"TagKey\":\"env\",\"TagValue\":\"prod\"},{\"TagKey\":\"x\"},"
		     "{\"TagKey\":\"y\",\"TagValue\":null}],\"ValidationMethod\":\"DNS\"}");
	cas_error_clear(&e);
	assert_int_equal(cas_update_from_json(j, &u, &e), 0);
	cJSON_Delete(j);
	assert_string_equal(u.instance_id, "cas-cn-keep"); /* untouched */
	assert_string_equal(u.auto_reissue, "enable");
	assert_string_equal(u.certificate_name, "n");
	assert_string_equal(u.city, "Hangzhou");
	assert_true(u.has_company_id);
	assert_int_equal(u.company_id, 44211);
	assert_true(u.has_contacts);
	assert_int_equal(u.ncontacts, 2);
	assert_int_equal(u.contact_ids[0], 101);
	assert_int_equal(u.contact_ids[1], 202);
	assert_string_equal(u.country_code, "CN");
	assert_string_equal(u.csr, "-----BEGIN CERTIFICATE REQUEST-----");
	assert_string_equal(u.domain, "a.com");
	assert_string_equal(u.generate_csr_method, "upload");
	assert_string_equal(u.key_algorithm, "ECC_256");
	assert_string_equal(u.province, "Zhejiang");
	assert_string_equal(u.resource_group_id, "rg-1");
	assert_string_equal(u.validation_method, "DNS");
	assert_true(u.has_tags);
	assert_int_equal(u.ntags, 3);
	assert_string_equal(u.tags[0].key, "env");
	assert_string_equal(u.tags[0].value, "prod");
	assert_string_equal(u.tags[1].key, "x");
	assert_string_equal(u.tags[1].value, ""); /* absent TagValue */
	assert_string_equal(u.tags[2].value, ""); /* null TagValue */
	assert_int_equal(cas_update_count(&u), 14);
	cas_update_free(&u);
}

static void from_json_nulls_and_empties(void **state)
{
	(void)state;
	struct cas_update u;
	struct cas_error e;
	/* null means "not given", for every kind */
	assert_int_equal(from_text("{\"Domain\":null,\"CompanyId\":null,\"ContactIdList\":null,\"Tags\":null,"
				   "\"Csr\":null}",
				   &u, &e),
			 0);
	assert_null(u.domain);
	assert_null(u.csr);
	assert_false(u.has_company_id);
	assert_false(u.has_contacts);
	assert_false(u.has_tags);
	assert_int_equal(cas_update_count(&u), 0);
	cas_update_free(&u);
	assert_int_equal(from_text("{}", &u, &e), 0);
	assert_int_equal(cas_update_count(&u), 0);
	cas_update_free(&u);
	/* empty lists are given (and empty) */
	assert_int_equal(from_text("{\"Tags\":[],\"ContactIdList\":[],\"City\":\"\"}", &u, &e), 0);
	assert_true(u.has_tags);
	assert_int_equal(u.ntags, 0);
	assert_true(u.has_contacts);
	assert_int_equal(u.ncontacts, 0);
	assert_string_equal(u.city, "");
	assert_int_equal(cas_update_count(&u), 3);
	cas_update_free(&u);
	/* integral numbers in any spelling */
	assert_int_equal(from_text("{\"CompanyId\":1e3,\"ContactIdList\":[5.0,-0]}", &u, &e), 0);
	assert_int_equal(u.company_id, 1000);
	assert_int_equal(u.contact_ids[0], 5);
	assert_int_equal(u.contact_ids[1], 0);
	cas_update_free(&u);
	assert_int_equal(from_text("{\"CompanyId\":9007199254740992}", &u, &e), 0);
	assert_int_equal(u.company_id, 9007199254740992LL);
	cas_update_free(&u);
}

static void from_json_unknown_keys(void **state)
{
	(void)state;
	expect_from_json_error("{\"Foo\":1}", "Foo");
	expect_from_json_error("{\"Domain\":\"a.com\",\"domain\":\"b.com\"}", "domain"); /* case matters */
	expect_from_json_error("{\"InstanceId\":\"cas-cn-1\"}", "InstanceId");           /* not writable */
	expect_from_json_error("{\"RequestId\":\"x\"}", "RequestId");
	expect_from_json_error("{\"Status\":\"normal\"}", "Status");
	/* not an object at all */
	struct cas_update u;
	struct cas_error e;
	static const char *const not_obj[] = { "[]", "\"x\"", "1", "null", "[{\"Domain\":\"a.com\"}]" };
	for (size_t i = 0; i < sizeof(not_obj) / sizeof(not_obj[0]); i++) {
		assert_int_equal(from_text(not_obj[i], &u, &e), -EINVAL);
		assert_int_equal(e.err, EINVAL);
		cas_update_free(&u);
	}
}

static void from_json_wrong_types(void **state)
{
	(void)state;
	static const char *const strs[] = { "AutoReissue", "CertificateName", "City", "CountryCode", "Csr", "Domain",
					    "GenerateCsrMethod", "KeyAlgorithm", "Province", "ResourceGroupId",
					    "ValidationMethod" };
	static const char *const not_str[] = { "1", "true", "false", "[]", "{}", "[\"a\"]" };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		for (size_t k = 0; k < sizeof(not_str) / sizeof(not_str[0]); k++) {
			char *t = cas_xasprintf("{\"%s\":%s}", strs[i], not_str[k]);
			expect_from_json_error(t, strs[i]);
			free(t);
		}
	static const char *const bad_company[] = { "\"44211\"", "1.5", "-0.25", "true", "[1]", "{}", "1e300",
						   "9007199254740994", "-1e19" };
	for (size_t k = 0; k < sizeof(bad_company) / sizeof(bad_company[0]); k++) {
		char *t = cas_xasprintf("{\"CompanyId\":%s}", bad_company[k]);
		expect_from_json_error(t, "CompanyId");
		free(t);
	}
	static const char *const bad_contacts[] = { "1", "\"1,2\"", "{}", "[\"1\"]", "[1,2.5]", "[null]", "[[1]]",
						    "[true]", "[1e20]" };
	for (size_t k = 0; k < sizeof(bad_contacts) / sizeof(bad_contacts[0]); k++) {
		char *t = cas_xasprintf("{\"ContactIdList\":%s}", bad_contacts[k]);
		expect_from_json_error(t, "ContactIdList");
		free(t);
	}
	static const char *const bad_tags[] = {
		"{}", "\"env=prod\"", "1", "[\"env\"]", "[[]]", "[null]", "[{}]", "[{\"TagValue\":\"v\"}]",
		"[{\"TagKey\":1,\"TagValue\":\"v\"}]", "[{\"TagKey\":null}]", "[{\"TagKey\":\"k\",\"TagValue\":1}]",
		"[{\"TagKey\":\"k\",\"TagValue\":[]}]", "[{\"TagKey\":\"k\",\"TagValue\":\"v\"},5]",
	};
	for (size_t k = 0; k < sizeof(bad_tags) / sizeof(bad_tags[0]); k++) {
		char *t = cas_xasprintf("{\"Tags\":%s}", bad_tags[k]);
		expect_from_json_error(t, "Tags");
		free(t);
	}
}

static void from_json_tag_extra_keys(void **state)
{
	(void)state;
	expect_from_json_error("{\"Tags\":[{\"TagKey\":\"k\",\"TagValue\":\"v\",\"Extra\":1}]}", "Extra");
	expect_from_json_error("{\"Tags\":[{\"TagKey\":\"k\",\"tagvalue\":\"v\"}]}", "tagvalue");
	expect_from_json_error("{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}", NULL);
	expect_from_json_error("{\"Tags\":[{\"TagKey\":\"a\"},{\"TagKey\":\"b\",\"Owner\":\"x\"}]}", "Owner");
}

static void from_json_duplicate_keys(void **state)
{
	(void)state;
	expect_from_json_error("{\"Domain\":\"a.com\",\"Domain\":\"b.com\"}", "Domain");
	expect_from_json_error("{\"Domain\":\"a.com\",\"City\":\"x\",\"Domain\":\"a.com\"}", "Domain");
	expect_from_json_error("{\"Domain\":null,\"Domain\":\"b.com\"}", "Domain");
	expect_from_json_error("{\"Tags\":[],\"Tags\":[{\"TagKey\":\"k\"}]}", "Tags");
	expect_from_json_error("{\"CompanyId\":1,\"CompanyId\":1}", "CompanyId");
	expect_from_json_error("{\"ContactIdList\":[1],\"ContactIdList\":[2]}", "ContactIdList");
}

/* jq and every other reader keep the last of duplicate keys, cJSON lookups
 * the first: a tag object with a repeated key is ambiguous and, like a
 * repeated field, must be refused rather than guessed. */
static void from_json_duplicate_keys_in_tag(void **state)
{
	(void)state;
	expect_from_json_error("{\"Tags\":[{\"TagKey\":\"a\",\"TagKey\":\"b\",\"TagValue\":\"v\"}]}", "TagKey");
	expect_from_json_error("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\",\"TagValue\":\"2\"}]}", "TagValue");
}

/* ---- cas_update_config_json ------------------------------------------------- */

#define DETAIL_FULL                                                                                               \
	"{\"RequestId\":\"R\",\"AutoReissue\":\"disable\",\"AverageWaitingTime\":\"120\",\"Brand\":\"DigiCert\","        \
	"\"CertificateName\":\"cert-1\",\"City\":\"Beijing\",\"CompanyId\":47305,\"ContactIdList\":[202,101],"          \
	"\"CountryCode\":\"CN\",\"Csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\","  \
	"\"Domain\":\"example.com\",\"GenerateCsrMethod\":\"online\",\"InstanceId\":\"cas-cn-1\",\"KeyAlgorithm\":\"RSA_2048\"," \
	"\"Province\":\"Beijing\",\"ResourceGroupId\":\"rg-1\",\"Status\":\"normal\",\"Tags\":[{\"TagKey\":\"env\","      \
	"\"TagValue\":\"prod\"},{\"TagKey\":\"owner\",\"TagValue\":\"\\u5f20\"}],\"ValidationMethod\":\"DNS\","        \
	"\"CertificateNotAfter\":1801324800000}"

static void config_json_keys(void **state)
{
	(void)state;
	assert_int_equal(CAS_UPDATE_NFIELDS, 14);
	static const char *const want_fields[] = { "AutoReissue", "CertificateName", "City", "CompanyId", "ContactIdList",
						   "CountryCode", "Csr", "Domain", "GenerateCsrMethod", "KeyAlgorithm",
						   "Province", "ResourceGroupId", "Tags", "ValidationMethod" };
	for (int i = 0; i < CAS_UPDATE_NFIELDS; i++)
		assert_string_equal(cas_update_fields[i], want_fields[i]);
	for (int i = 1; i < CAS_UPDATE_NFIELDS; i++)
		assert_true(strcmp(cas_update_fields[i - 1], cas_update_fields[i]) < 0);

	cJSON *d = J(DETAIL_FULL);
	cJSON *cfg = cas_update_config_json(d);
	assert_int_equal(cJSON_GetArraySize(cfg), 14);
	for (int i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, cas_update_fields[i]);
		assert_non_null(v);
		assert_false(cJSON_IsNull(v));
	}
	assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "RequestId"));
	assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "Status"));
	assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "InstanceId"));
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, cfg);
	assert_string_equal(b.p, "{\n"
				 "  \"AutoReissue\": \"disable\",\n"
				 "  \"CertificateName\": \"cert-1\",\n"
				 "  \"City\": \"Beijing\",\n"
				 "  \"CompanyId\": 47305,\n"
				 "  \"ContactIdList\": [\n    202,\n    101\n  ],\n"
				 "  \"CountryCode\": \"CN\",\n"
				 "  \"Csr\": \"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\",\n"
				 "  \"Domain\": \"example.com\",\n"
				 "  \"GenerateCsrMethod\": \"online\",\n"
				 "  \"KeyAlgorithm\": \"RSA_2048\",\n"
				 "  \"Province\": \"Beijing\",\n"
				 "  \"ResourceGroupId\": \"rg-1\",\n"
				 "  \"Tags\": [\n"
				 "    {\n      \"TagKey\": \"env\",\n      \"TagValue\": \"prod\"\n    },\n"
				 "    {\n      \"TagKey\": \"owner\",\n      \"TagValue\": \"\xe5\xbc\xa0\"\n    }\n"
				 "  ],\n"
				 "  \"ValidationMethod\": \"DNS\"\n"
				 "}\n");
	cas_buf_free(&b);
	cJSON_Delete(cfg);
	cJSON_Delete(d);
}

static void config_json_absent_and_wrong_types(void **state)
{
	(void)state;
	cJSON *d = J("{\"Domain\":\"a.com\"}");
	cJSON *cfg = cas_update_config_json(d);
	assert_int_equal(cJSON_GetArraySize(cfg), 14);
	for (int i = 0; i < CAS_UPDATE_NFIELDS; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, cas_update_fields[i]);
		assert_non_null(v);
		if (strcmp(cas_update_fields[i], "Domain") == 0)
			assert_string_equal(v->valuestring, "a.com");
		else
			assert_true(cJSON_IsNull(v));
	}
	cJSON_Delete(cfg);
	cJSON_Delete(d);

	/* a detail that is not even an object */
	d = J("[1,2]");
	cfg = cas_update_config_json(d);
	assert_int_equal(cJSON_GetArraySize(cfg), 14);
	cJSON_Delete(cfg);
	cJSON_Delete(d);

	static const char *const wrong[][2] = {
		{ "Csr", "[\"a\"]" },
		{ "City", "{}" },	       { "CompanyId", "\"47x\"" }, { "CompanyId", "1.5" },
		{ "CompanyId", "null" },       { "CompanyId", "\"\"" }, { "ContactIdList", "\"1,2\"" },
		{ "ContactIdList", "101" },    { "ContactIdList", "[\"1\",\"x\"]" },
		{ "Tags", "{\"TagKey\":\"a\"}" }, { "Tags", "\"env=prod\"" },
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		char *t = cas_xasprintf("{\"%s\":%s}", wrong[i][0], wrong[i][1]);
		d = J(t);
		cfg = cas_update_config_json(d);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, wrong[i][0]);
		if (!cJSON_IsNull(v))
			fail_msg("config of %s: %s is not null", t, wrong[i][0]);
		cJSON_Delete(cfg);
		cJSON_Delete(d);
		free(t);
	}
}

/* Values the official SDK's decoder accepts (decode.h): digit strings as
 * integers, numbers and booleans as strings. */
static void config_json_lenient(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{ "Domain", "5", "\"5\"" },
		{ "AutoReissue", "true", "\"true\"" },
		{ "CertificateName", "12.5", "\"12.5\"" },
		{ "CompanyId", "\"47305\"", "47305" },
		{ "ContactIdList", "[\"101\",\"202\"]", "[101,202]" },
		{ "ContactIdList", "[101,\"202\"]", "[101,202]" },
		{ "Tags", "[{\"TagKey\":5,\"TagValue\":true}]", "[{\"TagKey\":\"5\",\"TagValue\":\"true\"}]" },
		{ "Tags", "[{\"TagKey\":\"k\",\"TagValue\":null}]", "[{\"TagKey\":\"k\",\"TagValue\":\"\"}]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = cas_xasprintf("{\"%s\":%s}", cases[i][0], cases[i][1]);
		cJSON *d = J(t);
		cJSON *cfg = cas_update_config_json(d);
		char *got = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cfg, cases[i][0]));
		if (strcmp(got, cases[i][2]) != 0)
			fail_msg("config of %s: %s is %s, want %s", t, cases[i][0], got, cases[i][2]);
		free(got);
		cJSON_Delete(cfg);
		cJSON_Delete(d);
		free(t);
	}
}

/* docs/SEMANTICS.md (Writing) and commit.c: a verbatim round trip of config must always
 * succeed. The config rendered from a detail, written back, must parse as
 * an update and differ from that detail in nothing. */
static void round_trip(const char *detail)
{
	cJSON *d = J(detail);
	cJSON *cfg = cas_update_config_json(d);
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, cfg);
	cJSON *back = J(b.p);
	struct cas_update u = { 0 }, diff = { 0 };
	struct cas_error e;
	cas_error_clear(&e);
	u.instance_id = cas_xstrdup("cas-cn-1");
	int rc = cas_update_from_json(back, &u, &e);
	if (rc)
		fail_msg("the config of %s\ncannot be written back: %s\nconfig:\n%s", detail, e.message, b.p);
	int n = cas_update_diff(&u, d, &diff);
	if (n)
		fail_msg("writing back the config of %s changes %d field(s)\nconfig:\n%s", detail, n, b.p);
	cas_update_free(&u);
	cas_update_free(&diff);
	cJSON_Delete(back);
	cas_buf_free(&b);
	cJSON_Delete(cfg);
	cJSON_Delete(d);
}

static void config_round_trip(void **state)
{
	(void)state;
	round_trip(DETAIL_FULL);
	round_trip("{}");
	round_trip("{\"Tags\":[],\"ContactIdList\":[]}");
	round_trip("{\"Tags\":[{\"TagKey\":\"k\"}],\"Csr\":\"\",\"GenerateCsrMethod\":\"upload\"}");
	round_trip("{\"Domain\":5,\"CompanyId\":\"1\",\"Tags\":{}}");
	round_trip("{\"ContactIdList\":[\"101\",\"202\"],\"AutoReissue\":true,\"Tags\":[{\"TagKey\":5,\"TagValue\":null}]}");
}

/* A list whose elements have the wrong type is a wrong type: null, so that
 * the config can still be written back. */
static void config_round_trip_hostile_lists(void **state)
{
	(void)state;
	round_trip("{\"ContactIdList\":[1,\"x\"]}");
	round_trip("{\"ContactIdList\":[1.5]}");
	round_trip("{\"Tags\":[{\"TagKey\":5,\"TagValue\":\"v\"}]}");
	round_trip("{\"Tags\":[\"env\"]}");
}

/* ---- cas_update_diff ------------------------------------------------------- */

static int diff_of(const char *want_json, const char *detail, struct cas_update *diff)
{
	struct cas_update u;
	struct cas_error e;
	assert_int_equal(from_text(want_json, &u, &e), 0);
	u.instance_id = cas_xstrdup("cas-cn-1");
	cJSON *d = J(detail);
	int n = cas_update_diff(&u, d, diff);
	assert_string_equal(diff->instance_id, "cas-cn-1");
	assert_int_equal(cas_update_count(diff), n);
	cJSON_Delete(d);
	cas_update_free(&u);
	return n;
}

static void expect_diff(const char *want_json, const char *detail, int n_want)
{
	struct cas_update diff;
	int n = diff_of(want_json, detail, &diff);
	if (n != n_want)
		fail_msg("diff(%s, %s) = %d, want %d", want_json, detail, n, n_want);
	cas_update_free(&diff);
}

static void diff_none(void **state)
{
	(void)state;
	struct cas_update diff;
	assert_int_equal(diff_of("{}", DETAIL_FULL, &diff), 0);
	cas_update_free(&diff);
	/* the whole current config written back */
	expect_diff("{\"AutoReissue\":\"disable\",\"CertificateName\":\"cert-1\",\"City\":\"Beijing\",\"CompanyId\":47305,"
		    "\"ContactIdList\":[202,101],\"CountryCode\":\"CN\",\"Domain\":\"example.com\","
		    "\"GenerateCsrMethod\":\"online\",\"KeyAlgorithm\":\"RSA_2048\",\"Province\":\"Beijing\","
		    "\"ResourceGroupId\":\"rg-1\",\"Tags\":[{\"TagKey\":\"env\",\"TagValue\":\"prod\"},"
		    "{\"TagKey\":\"owner\",\"TagValue\":\"\\u5f20\"}],\"ValidationMethod\":\"DNS\"}",
		    DETAIL_FULL, 0);
	/* null fields are not given, so they never differ */
	expect_diff("{\"Domain\":null,\"Tags\":null}", DETAIL_FULL, 0);
}

static void diff_strings(void **state)
{
	(void)state;
	struct cas_update diff;
	assert_int_equal(diff_of("{\"Domain\":\"b.com\",\"City\":\"Beijing\"}", DETAIL_FULL, &diff), 1);
	assert_string_equal(diff.domain, "b.com");
	assert_null(diff.city);
	assert_null(diff.generate_csr_method);
	assert_false(diff.has_tags);
	assert_false(diff.has_contacts);
	assert_false(diff.has_company_id);
	cas_update_free(&diff);
	expect_diff("{\"Domain\":\"example.com \"}", DETAIL_FULL, 1); /* only Csr ignores trailing space */
	expect_diff("{\"Domain\":\"EXAMPLE.COM\"}", DETAIL_FULL, 1);
	expect_diff("{\"City\":\"\"}", DETAIL_FULL, 1);
	expect_diff("{\"City\":\"Beijing\"}", "{}", 1);             /* absent remotely */
	expect_diff("{\"City\":\"Beijing\"}", "{\"City\":null}", 1);
	expect_diff("{\"City\":\"5\"}", "{\"City\":5}", 0); /* read leniently: the same value */
	expect_diff("{\"AutoReissue\":\"enable\",\"KeyAlgorithm\":\"ECC_256\"}", DETAIL_FULL, 2);
}

static void diff_company(void **state)
{
	(void)state;
	expect_diff("{\"CompanyId\":47305}", DETAIL_FULL, 0);
	expect_diff("{\"CompanyId\":47305.0}", DETAIL_FULL, 0);
	expect_diff("{\"CompanyId\":47306}", DETAIL_FULL, 1);
	expect_diff("{\"CompanyId\":47305}", "{}", 1);
	expect_diff("{\"CompanyId\":47305}", "{\"CompanyId\":\"47305\"}", 0); /* read leniently: the same value */
}

static void diff_csr(void **state)
{
	(void)state;
	const char *detail = "{\"Csr\":\"PEM-A\",\"GenerateCsrMethod\":\"upload\"}";
	expect_diff("{\"Csr\":\"PEM-A\"}", detail, 0);
	expect_diff("{\"Csr\":\"PEM-A\\n\"}", detail, 0);
	expect_diff("{\"Csr\":\"PEM-A\\r\\n\\n\"}", detail, 0);
	expect_diff("{\"Csr\":\"PEM-A\"}", "{\"Csr\":\"PEM-A\\n\",\"GenerateCsrMethod\":\"upload\"}", 0);
	expect_diff("{\"Csr\":\"PEM-A \\t\\n\"}", detail, 0);
	expect_diff("{\"Csr\":\"PEM-B\\n\"}", detail, 1);
	expect_diff("{\"Csr\":\"PEM-\"}", detail, 1);
	expect_diff("{\"Csr\":\" PEM-A\"}", detail, 1); /* leading whitespace is content */

	/* a changed Csr on an instance that generates online also switches it to upload */
	struct cas_update diff;
	assert_int_equal(diff_of("{\"Csr\":\"PEM-B\"}", "{\"Csr\":\"PEM-A\",\"GenerateCsrMethod\":\"online\"}", &diff), 2);
	assert_string_equal(diff.csr, "PEM-B");
	assert_string_equal(diff.generate_csr_method, "upload");
	cas_update_free(&diff);
	assert_int_equal(diff_of("{\"Csr\":\"PEM-B\"}", "{}", &diff), 2);
	assert_string_equal(diff.generate_csr_method, "upload");
	cas_update_free(&diff);
	/* already upload: only the Csr */
	assert_int_equal(diff_of("{\"Csr\":\"PEM-B\"}", detail, &diff), 1);
	assert_null(diff.generate_csr_method);
	cas_update_free(&diff);
	/* an explicit method in the request is the request's business */
	assert_int_equal(diff_of("{\"Csr\":\"PEM-B\",\"GenerateCsrMethod\":\"upload\"}",
				 "{\"GenerateCsrMethod\":\"online\"}", &diff),
			 2);
	assert_string_equal(diff.generate_csr_method, "upload");
	cas_update_free(&diff);
	/* an unchanged Csr implies nothing */
	assert_int_equal(diff_of("{\"Csr\":\"PEM-A\\n\"}", "{\"Csr\":\"PEM-A\",\"GenerateCsrMethod\":\"online\"}", &diff),
			 0);
	assert_null(diff.generate_csr_method);
	cas_update_free(&diff);
}

static void diff_contacts_as_sets(void **state)
{
	(void)state;
	expect_diff("{\"ContactIdList\":[101,202]}", DETAIL_FULL, 0);
	expect_diff("{\"ContactIdList\":[202,101]}", DETAIL_FULL, 0);
	expect_diff("{\"ContactIdList\":[101,303]}", DETAIL_FULL, 1);
	expect_diff("{\"ContactIdList\":[101]}", DETAIL_FULL, 1);
	expect_diff("{\"ContactIdList\":[101,202,303]}", DETAIL_FULL, 1);
	expect_diff("{\"ContactIdList\":[]}", DETAIL_FULL, 1);
	expect_diff("{\"ContactIdList\":[1]}", "{}", 1);
	expect_diff("{\"ContactIdList\":[1]}", "{\"ContactIdList\":\"1\"}", 1);
	expect_diff("{\"ContactIdList\":[1]}", "{\"ContactIdList\":[\"1\"]}", 0); /* read leniently: the same value */
	expect_diff("{\"ContactIdList\":[]}", "{\"ContactIdList\":[]}", 0);
	struct cas_update diff;
	assert_int_equal(diff_of("{\"ContactIdList\":[3,1,2]}", "{\"ContactIdList\":[1,2]}", &diff), 1);
	assert_true(diff.has_contacts);
	assert_int_equal(diff.ncontacts, 3);
	assert_int_equal(diff.contact_ids[0], 3); /* sent as written */
	cas_update_free(&diff);
}

static void diff_tags_as_sets(void **state)
{
	(void)state;
	const char *detail = "{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"b\",\"TagValue\":\"2\"}]}";
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"b\",\"TagValue\":\"2\"}]}", detail, 0);
	expect_diff("{\"Tags\":[{\"TagKey\":\"b\",\"TagValue\":\"2\"},{\"TagKey\":\"a\",\"TagValue\":\"1\"}]}", detail, 0);
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"b\",\"TagValue\":\"3\"}]}", detail, 1);
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"}]}", detail, 1);
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"b\",\"TagValue\":\"2\"},"
		    "{\"TagKey\":\"c\",\"TagValue\":\"\"}]}",
		    detail, 1);
	expect_diff("{\"Tags\":[]}", detail, 1);
	expect_diff("{\"Tags\":[]}", "{}", 0);
	expect_diff("{\"Tags\":[]}", "{\"Tags\":[]}", 0);
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\"}]}", "{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"\"}]}", 0);
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"\"}]}", "{\"Tags\":[{\"TagKey\":\"a\"}]}", 0);
	expect_diff("{\"Tags\":[{\"TagKey\":\"A\",\"TagValue\":\"1\"}]}", "{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"}]}",
		    1);
}

/* Two equal tags in the request are one tag as a set: {a=1} is not the
 * remote {a=1, b=2}. Counting entries and looking each wanted tag up is not
 * a set comparison; the write must not be skipped as "nothing differs". */
static void diff_tags_duplicates_are_not_a_match(void **state)
{
	(void)state;
	const char *detail = "{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"b\",\"TagValue\":\"2\"}]}";
	expect_diff("{\"Tags\":[{\"TagKey\":\"a\",\"TagValue\":\"1\"},{\"TagKey\":\"a\",\"TagValue\":\"1\"}]}", detail, 1);
}

/* ---- copy and to_params ------------------------------------------------------ */

static void copy_and_params(void **state)
{
	(void)state;
	struct cas_update u, c;
	struct cas_error e;
	assert_int_equal(from_text("{\"ValidationMethod\":\"HTTP\",\"Tags\":[{\"TagKey\":\"env\",\"TagValue\":\"prod test\"},"
				   "{\"TagKey\":\"owner\",\"TagValue\":\"\\u5f20\\u4e09\"}],\"CompanyId\":44211,"
				   "\"ContactIdList\":[101,202],\"Domain\":\"example.com,*.example.com\","
				   "\"AutoReissue\":\"enable\"}",
				   &u, &e),
			 0);
	u.instance_id = cas_xstrdup("cas_dv-cn-0001");
	cas_update_copy(&c, &u);
	cas_update_free(&u); /* the copy is deep */
	assert_int_equal(cas_update_count(&c), 6);
	struct cas_params p = CAS_PARAMS_INIT;
	cas_update_to_params(&c, &p);
	static const char *const want[][2] = {
		{ "InstanceId", "cas_dv-cn-0001" },
		{ "AutoReissue", "enable" },
		{ "CompanyId", "44211" },
		{ "ContactIdList.1", "101" },
		{ "ContactIdList.2", "202" },
		{ "Domain", "example.com,*.example.com" },
		{ "Tags.1.TagKey", "env" },
		{ "Tags.1.TagValue", "prod test" },
		{ "Tags.2.TagKey", "owner" },
		{ "Tags.2.TagValue", "\xe5\xbc\xa0\xe4\xb8\x89" },
		{ "ValidationMethod", "HTTP" },
	};
	assert_int_equal(p.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < p.n; i++) {
		assert_string_equal(cas_params_get(&p, want[i][0]), want[i][1]);
	}
	assert_string_equal(p.v[0].key, "InstanceId");
	/* nothing else, in particular no unset field with an empty value */
	assert_null(cas_params_get(&p, "City"));
	assert_null(cas_params_get(&p, "Csr"));
	assert_null(cas_params_get(&p, "GenerateCsrMethod"));
	cas_params_free(&p);
	cas_update_free(&c);

	/* only the InstanceId for an empty update; empty strings are sent as given */
	struct cas_update v = { .instance_id = "i", .city = "" };
	cas_update_to_params(&v, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(cas_params_get(&p, "City"), "");
	cas_params_free(&p);
	/* CompanyId 0 and negative ids are flattened as decimal */
	int64_t ids[] = { -5 };
	struct cas_update w = { .instance_id = "i", .has_company_id = 1, .company_id = 0, .has_contacts = 1,
				.contact_ids = ids, .ncontacts = 1 };
	cas_update_to_params(&w, &p);
	assert_string_equal(cas_params_get(&p, "CompanyId"), "0");
	assert_string_equal(cas_params_get(&p, "ContactIdList.1"), "-5");
	cas_params_free(&p);

	/* copy of an empty update and of empty lists */
	struct cas_update z = { .instance_id = NULL, .has_tags = 1, .has_contacts = 1 };
	cas_update_copy(&c, &z);
	assert_null(c.instance_id);
	assert_true(c.has_tags);
	assert_int_equal(c.ntags, 0);
	assert_true(c.has_contacts);
	assert_int_equal(c.ncontacts, 0);
	cas_update_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_json_all_fields),
		cmocka_unit_test(from_json_nulls_and_empties),
		cmocka_unit_test(from_json_unknown_keys),
		cmocka_unit_test(from_json_wrong_types),
		cmocka_unit_test(from_json_tag_extra_keys),
		cmocka_unit_test(from_json_duplicate_keys),
		cmocka_unit_test(from_json_duplicate_keys_in_tag),
		cmocka_unit_test(config_json_keys),
		cmocka_unit_test(config_json_absent_and_wrong_types),
		cmocka_unit_test(config_json_lenient),
		cmocka_unit_test(config_round_trip),
		cmocka_unit_test(config_round_trip_hostile_lists),
		cmocka_unit_test(diff_none),
		cmocka_unit_test(diff_strings),
		cmocka_unit_test(diff_company),
		cmocka_unit_test(diff_csr),
		cmocka_unit_test(diff_contacts_as_sets),
		cmocka_unit_test(diff_tags_as_sets),
		cmocka_unit_test(diff_tags_duplicates_are_not_a_match),
		cmocka_unit_test(copy_and_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
