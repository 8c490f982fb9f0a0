/* test_validate: proto/validate.h. Every enum, ShowSize/CurrentPage ranges,
 * tags (count, TagKey/TagValue length in characters, reserved prefixes,
 * duplicates), ContactIdList, CountryCode, Domain, text and id fields, PEM
 * CSRs generated at test time with OpenSSL (RSA 2048/3072, EC P-256/P-384,
 * RSA 1024), the cross-field rules of cas_validate_update and
 * cas_validate_access_new. Each rule is tested accepting and rejecting;
 * every rejection must give EINVAL, a Code InvalidParameter.* or
 * MissingParameter.*, and a message naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "validate.h"

/* ---- helpers ------------------------------------------------------------ */

static int starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The rejection contract: rc == -EINVAL, e.err == EINVAL, Code prefix, field in the message. */
#define expect_reject(call, field)                                                                            \
	do {                                                                                                      \
		struct cas_error e_;                                                                              \
		cas_error_clear(&e_);                                                                             \
		struct cas_error *e = &e_;                                                                        \
		int rc_ = (call);                                                                                 \
		(void)e;                                                                                          \
		if (rc_ != -EINVAL)                                                                               \
			fail_msg("%s:%d: %s returned %d, want -EINVAL", __FILE__, __LINE__, #call, rc_);          \
		check_error(&e_, field, __LINE__);                                                                \
	} while (0)

#define expect_accept(call)                                                                                   \
	do {                                                                                                      \
		struct cas_error e_;                                                                              \
		cas_error_clear(&e_);                                                                             \
		struct cas_error *e = &e_;                                                                        \
		int rc_ = (call);                                                                                 \
		(void)e;                                                                                          \
		if (rc_ != 0)                                                                                     \
			fail_msg("%s:%d: %s rejected: %s: %s", __FILE__, __LINE__, #call, e_.code, e_.message);   \
	} while (0)

static void check_error(const struct cas_error *e, const char *field, int line)
{
	if (e->err != EINVAL)
		fail_msg("line %d: e.err = %d, want EINVAL", line, e->err);
	if (!starts_with(e->code, "InvalidParameter") && !starts_with(e->code, "MissingParameter"))
		fail_msg("line %d: Code \"%s\" is neither InvalidParameter* nor MissingParameter*", line, e->code);
	if (field && !strcasestr(e->message, field))
		fail_msg("line %d: message \"%s\" does not name the field %s", line, e->message, field);
}

static char *repeat(const char *unit, size_t n)
{
	struct cas_buf b = CAS_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		cas_buf_adds(&b, unit);
	return cas_buf_steal(&b);
}

/* ---- CSRs made at test time -------------------------------------------- */

static char *make_csr(EVP_PKEY *pk)
{
	X509_REQ *req = X509_REQ_new();
	assert_non_null(req);
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"example.com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"CN", -1, -1, 0);
	assert_int_equal(X509_REQ_set_subject_name(req, nm), 1);
	X509_NAME_free(nm);
	assert_int_equal(X509_REQ_set_pubkey(req, pk), 1);
	assert_true(X509_REQ_sign(req, pk, EVP_sha256()) > 0);
	BIO *bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);
	char *pem = cas_xstrndup(data, (size_t)n);
	BIO_free(bio);
	X509_REQ_free(req);
	return pem;
}

static char *rsa_csr(unsigned bits)
{
	EVP_PKEY *pk = EVP_RSA_gen(bits);
	assert_non_null(pk);
	char *pem = make_csr(pk);
	EVP_PKEY_free(pk);
	return pem;
}

static char *ec_csr(const char *curve)
{
	EVP_PKEY *pk = EVP_EC_gen(curve);
	assert_non_null(pk);
	char *pem = make_csr(pk);
	EVP_PKEY_free(pk);
	return pem;
}

struct csrs {
	char *rsa2048, *rsa3072, *p256, *p384, *rsa1024;
};
static struct csrs C;

static int setup_csrs(void **state)
{
	(void)state;
	C.rsa2048 = rsa_csr(2048);
	C.rsa3072 = rsa_csr(3072);
	C.rsa1024 = rsa_csr(1024);
	C.p256 = ec_csr("P-256");
	C.p384 = ec_csr("P-384");
	return 0;
}

static int teardown_csrs(void **state)
{
	(void)state;
	free(C.rsa2048);
	free(C.rsa3072);
	free(C.rsa1024);
	free(C.p256);
	free(C.p384);
	return 0;
}

/* Flips one base64 character inside the signature (the end of the DER). */
static char *corrupt_signature(const char *pem)
{
	char *c = cas_xstrdup(pem);
	char *end = strstr(c, "-----END");
	assert_non_null(end);
	char *p = end - 1; /* the '\n' before END */
	while (p > c && (*p == '\n' || *p == '='))
		p--;
	p -= 8; /* well inside the last line, inside the signature bits */
	*p = *p == 'A' ? 'B' : 'A';
	return c;
}

/* ---- enums -------------------------------------------------------------- */

static void expect_values(enum cas_enum which, const char *const *want)
{
	const char *const *got = cas_enum_values(which);
	size_t n = 0;
	for (; got[n]; n++)
		;
	size_t m = 0;
	for (; want[m]; m++)
		;
	if (n != m)
		fail_msg("enum %d has %zu values, want %zu", which, n, m);
	for (size_t i = 0; i < m; i++) {
		int found = 0;
		for (size_t j = 0; j < n; j++)
			found |= strcmp(got[j], want[i]) == 0;
		if (!found)
			fail_msg("enum %d lacks %s", which, want[i]);
	}
}

static void enums(void **state)
{
	(void)state;
	static const struct {
		enum cas_enum which;
		const char *field;
		const char *values[8];
		const char *bad[6];
	} t[] = {
		{ CAS_ENUM_STATUS, "Status",
		  { "inactive", "pending", "willExpire", "expired", "refund", "normal", "closed" },
		  { "Normal", "willexpire", "active", "normal ", "issued" } },
		{ CAS_ENUM_BRAND, "Brand",
		  { "WoSign", "CFCA", "DigiCert", "GeoTrust", "GlobalSign", "vTrus", "Alibaba" },
		  { "Digi Cert", "Symantec", "DigiCert ", "Let's Encrypt" } },
		{ CAS_ENUM_CERT_STATUS, "CertificateStatus", { "issued", "revoked", "willExpire", "expired" },
		  { "Issued", "normal", "pending" } },
		{ CAS_ENUM_CERT_TYPE, "CertificateType", { "DV", "OV", "EV" }, { "dv", "IV", "DVOV" } },
		{ CAS_ENUM_INSTANCE_TYPE, "InstanceType", { "BUY", "TEST" }, { "buy", "Test", "FREE" } },
		{ CAS_ENUM_KEY_ALGORITHM, "KeyAlgorithm", { "RSA_2048", "RSA_3072", "RSA_4096", "ECC_256", "SM2" },
		  { "RSA_1024", "rsa_2048", "ECC_384", "RSA2048", "sm2" } },
		{ CAS_ENUM_AUTO_REISSUE, "AutoReissue", { "enable", "disable" }, { "Enable", "on", "true", "1" } },
		{ CAS_ENUM_CSR_METHOD, "GenerateCsrMethod", { "online", "upload" }, { "Online", "offline", "manual" } },
		{ CAS_ENUM_VALIDATION_METHOD, "ValidationMethod", { "DNS", "HTTP" },
		  { "dns", "HTTPS", "EMAIL", "CNAME" } },
		/* the documented providers; the client does not enforce them (access_new) */
		{ CAS_ENUM_CLOUD_NAME, "CloudName", { "Tencent", "Huawei", "Aws", "Azure" },
		  { "tencent", "Nimbus", "HUAWEI CLOUD" } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		expect_values(t[i].which, t[i].values);
		for (size_t j = 0; t[i].values[j]; j++)
			expect_accept(cas_validate_enum(t[i].which, t[i].field, t[i].values[j], e));
		for (size_t j = 0; t[i].bad[j]; j++)
			expect_reject(cas_validate_enum(t[i].which, t[i].field, t[i].bad[j], e), t[i].field);
		expect_reject(cas_validate_enum(t[i].which, t[i].field, "", e), t[i].field);
		expect_reject(cas_validate_enum(t[i].which, t[i].field, NULL, e), t[i].field);
	}
	/* the documentation spells Brand both DigiCert and Digicert */
	expect_accept(cas_validate_enum(CAS_ENUM_BRAND, "Brand", "Digicert", e));
	expect_accept(cas_validate_enum(CAS_ENUM_BRAND, "Brand", "digicert", e));
	expect_accept(cas_validate_enum(CAS_ENUM_BRAND, "Brand", "GLOBALSIGN", e));
}

static void show_size_and_page(void **state)
{
	(void)state;
	for (int64_t v = 1; v <= 100; v++)
		expect_accept(cas_validate_show_size(v, 0, e));
	static const int64_t bad[] = { 0, -1, 101, 1000, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(cas_validate_show_size(bad[i], 0, e), "ShowSize");
	expect_accept(cas_validate_show_size(10, 1, e));
	expect_accept(cas_validate_show_size(20, 1, e));
	expect_accept(cas_validate_show_size(50, 1, e));
	static const int64_t bad_ca[] = { 1, 5, 11, 30, 49, 51, 100, 0 };
	for (size_t i = 0; i < sizeof(bad_ca) / sizeof(bad_ca[0]); i++)
		expect_reject(cas_validate_show_size(bad_ca[i], 1, e), "ShowSize");

	expect_accept(cas_validate_current_page(1, e));
	expect_accept(cas_validate_current_page(2, e));
	expect_accept(cas_validate_current_page(999999, e));
	expect_reject(cas_validate_current_page(0, e), "CurrentPage");
	expect_reject(cas_validate_current_page(-1, e), "CurrentPage");
	expect_reject(cas_validate_current_page(1000000, e), "CurrentPage");
	expect_reject(cas_validate_current_page(INT64_MAX, e), "CurrentPage");
}

/* ---- tags --------------------------------------------------------------- */

static struct cas_tag *make_tags(size_t n)
{
	struct cas_tag *t = cas_xcalloc(n, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		t[i].key = cas_xasprintf("key%zu", i);
		t[i].value = cas_xasprintf("value %zu", i);
	}
	return t;
}

static void free_tags(struct cas_tag *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].key);
		free(t[i].value);
	}
	free(t);
}

static void tags_count(void **state)
{
	(void)state;
	struct cas_tag *t = make_tags(21);
	expect_accept(cas_validate_tags(t, 0, e));
	expect_accept(cas_validate_tags(t, 1, e));
	expect_accept(cas_validate_tags(t, 20, e));
	expect_reject(cas_validate_tags(t, 21, e), "Tags");
	free_tags(t, 21);
}

static void tag_one(const char *key, const char *value, int ok, const char *field)
{
	struct cas_tag t = { (char *)key, (char *)value };
	if (ok)
		expect_accept(cas_validate_tags(&t, 1, e));
	else
		expect_reject(cas_validate_tags(&t, 1, e), field);
}

static void tags_lengths(void **state)
{
	(void)state;
	/* lengths count characters, not bytes */
	struct {
		const char *unit;
		size_t n;
	} units[] = { { "k", 1 }, { "\xc3\xa9", 2 }, { "\xe5\xbc\xa0", 3 }, { "\xf0\x9f\x98\x80", 4 } };
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		char *k64 = repeat(units[u].unit, 64), *k65 = repeat(units[u].unit, 65);
		char *v128 = repeat(units[u].unit, 128), *v129 = repeat(units[u].unit, 129);
		tag_one(k64, "v", 1, NULL);
		tag_one(k65, "v", 0, "TagKey");
		tag_one("k", v128, 1, NULL);
		tag_one("k", v129, 0, "TagValue");
		tag_one(k64, v128, 1, NULL);
		free(k64);
		free(k65);
		free(v128);
		free(v129);
	}
	tag_one("k", "", 1, NULL);
	tag_one("", "v", 0, "TagKey");
	tag_one("a\x01", "v", 0, "TagKey");
	tag_one("a\xff", "v", 0, "TagKey");
	tag_one("k", "a\nb", 0, "TagValue");
	tag_one("k", "\xc3", 0, "TagValue");
}

static void tags_reserved_prefixes(void **state)
{
	(void)state;
	static const char *const bad[] = { "aliyun", "aliyunTag", "Aliyun-x", "ALIYUN.owner", "aLiYuN", "acs:x",
					   "ACS:project", "Acs:", "acs:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tag_one(bad[i], "v", 0, "TagKey");
	static const char *const good[] = { "myaliyun", "aliyu", "acs", "acs-x", "ac:s", "x-acs:", "ali yun" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tag_one(good[i], "v", 1, NULL);
}

static void tags_duplicates(void **state)
{
	(void)state;
	struct cas_tag t[3] = { { "env", "prod" }, { "owner", "me" }, { "env", "test" } };
	expect_reject(cas_validate_tags(t, 3, e), "TagKey");
	expect_accept(cas_validate_tags(t, 2, e));
	/* keys are case-sensitive: Env and env are two keys */
	struct cas_tag u[2] = { { "env", "a" }, { "Env", "b" } };
	expect_accept(cas_validate_tags(u, 2, e));
}

/* ---- scalars ------------------------------------------------------------ */

static void contacts(void **state)
{
	(void)state;
	int64_t ids[] = { 101, 202, 303 };
	expect_accept(cas_validate_contacts(ids, 1, e));
	expect_accept(cas_validate_contacts(ids, 3, e));
	expect_reject(cas_validate_contacts(ids, 0, e), "ContactIdList");
	expect_reject(cas_validate_contacts(NULL, 0, e), "ContactIdList");
	int64_t zero[] = { 5, 0 }, neg[] = { -7 };
	expect_reject(cas_validate_contacts(zero, 2, e), "ContactIdList");
	expect_reject(cas_validate_contacts(neg, 1, e), "ContactIdList");
}

static void country(void **state)
{
	(void)state;
	expect_accept(cas_validate_country("CN", e));
	expect_accept(cas_validate_country("US", e));
	expect_accept(cas_validate_country("de", e));
	static const char *const bad[] = { "", "C", "CHN", "C1", "12", "C ", " C", "\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(cas_validate_country(bad[i], e), "CountryCode");
	expect_reject(cas_validate_country(NULL, e), "CountryCode");
}

static void domains(void **state)
{
	(void)state;
	static const char *const good[] = {
		"example.com", "*.example.com", "a.com,*.b.com", "www.example.com,example.com", "1.2.3.4",
		"192.168.0.1", "sub.domain-x.example.co.uk", "xn--fiqs8s.com", "a1.b2", "EXAMPLE.COM",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_accept(cas_validate_domain(good[i], e));
	char *label63 = repeat("a", 63), *label64 = repeat("a", 64);
	char *d63 = cas_xasprintf("%s.com", label63), *d64 = cas_xasprintf("%s.com", label64);
	expect_accept(cas_validate_domain(d63, e));
	expect_reject(cas_validate_domain(d64, e), "Domain");
	free(label63);
	free(label64);
	free(d63);
	free(d64);
	static const char *const bad[] = {
		"", "com", "-a.com", "a-.com", "a..com", "a.com,", ",a.com", "a.com,,b.com", "*.", "*", "*.com.",
		"a.*.com", "*.*.com", "**.a.com", " a.com", "a.com ", "a .com", "a.com, b.com", "\xe4\xbe\x8b\xe5\xad\x90.com",
		"a.com.", ".a.com", "a_b.com", "a.com/x", "http://a.com", "a@b.com", "a.com:443",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(cas_validate_domain(bad[i], e), "Domain");
	expect_reject(cas_validate_domain(NULL, e), "Domain");
}

static void text_and_ids(void **state)
{
	(void)state;
	char *c128 = repeat("\xe5\xbc\xa0", 128), *c129 = repeat("\xe5\xbc\xa0", 129);
	expect_accept(cas_validate_text("CertificateName", c128, 128, 0, e));
	expect_reject(cas_validate_text("CertificateName", c129, 128, 0, e), "CertificateName");
	free(c128);
	free(c129);
	expect_accept(cas_validate_text("City", "", 128, 1, e));
	expect_reject(cas_validate_text("CertificateName", "", 128, 0, e), "CertificateName");
	expect_reject(cas_validate_text("City", NULL, 128, 1, e), "City");
	expect_reject(cas_validate_text("City", "Bei\njing", 128, 1, e), "City");
	expect_reject(cas_validate_text("City", "Bei\x7fjing", 128, 1, e), "City");
	expect_reject(cas_validate_text("City", "Bei\xffjing", 128, 1, e), "City");

	expect_accept(cas_validate_id("InstanceId", "cas-cn-68n1mm16abcd", e));
	struct cas_error e2;
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_id("InstanceId", "", &e2), -EINVAL);
	check_error(&e2, "InstanceId", __LINE__);
	assert_true(starts_with(e2.code, "MissingParameter"));
	expect_reject(cas_validate_id("InstanceId", NULL, e), "InstanceId");
	expect_reject(cas_validate_id("InstanceId", "cas cn", e), "InstanceId");
	expect_reject(cas_validate_id("InstanceId", "cas-\xc3\xa9", e), "InstanceId");
	expect_reject(cas_validate_id("InstanceId", "a\tb", e), "InstanceId");
}

static void list_filter(void **state)
{
	(void)state;
	struct cas_list_filter f = { .status = "normal", .brand = "Digicert", .cert_status = "issued",
				     .cert_type = "DV", .instance_type = "BUY", .keyword = "example" };
	expect_accept(cas_validate_list_filter(&f, e));
	expect_accept(cas_validate_list_filter(NULL, e));
	struct cas_list_filter g = { .status = "Normal" };
	expect_reject(cas_validate_list_filter(&g, e), "Status");
	struct cas_list_filter h = { .cert_type = "XV" };
	expect_reject(cas_validate_list_filter(&h, e), "CertificateType");
	struct cas_list_filter k = { .keyword = "a\x01" };
	expect_reject(cas_validate_list_filter(&k, e), "Keyword");
}

/* ---- CSRs --------------------------------------------------------------- */

static void csr_valid(void **state)
{
	(void)state;
	expect_accept(cas_validate_csr(C.rsa2048, "RSA_2048", e));
	expect_accept(cas_validate_csr(C.rsa3072, "RSA_3072", e));
	expect_accept(cas_validate_csr(C.p256, "ECC_256", e));
	expect_accept(cas_validate_csr(C.rsa2048, NULL, e));
	expect_accept(cas_validate_csr(C.p256, NULL, e));
	/* surrounding whitespace as a writer might leave it */
	char *padded = cas_xasprintf("\n%s\n\n", C.rsa2048);
	expect_accept(cas_validate_csr(padded, "RSA_2048", e));
	free(padded);
}

static void csr_key_mismatch(void **state)
{
	(void)state;
	expect_reject(cas_validate_csr(C.rsa2048, "ECC_256", e), "Csr");
	expect_reject(cas_validate_csr(C.rsa2048, "RSA_3072", e), "Csr");
	expect_reject(cas_validate_csr(C.rsa3072, "RSA_2048", e), "Csr");
	expect_reject(cas_validate_csr(C.p256, "RSA_2048", e), "Csr");
	expect_reject(cas_validate_csr(C.p256, "SM2", e), "Csr");
	expect_reject(cas_validate_csr(C.p384, "ECC_256", e), "Csr");
	/* unsupported keys are refused even without a KeyAlgorithm */
	expect_reject(cas_validate_csr(C.p384, NULL, e), "Csr");
	expect_reject(cas_validate_csr(C.rsa1024, NULL, e), "Csr");
	expect_reject(cas_validate_csr(C.rsa1024, "RSA_2048", e), "Csr");
}

static void csr_not_pem(void **state)
{
	(void)state;
	expect_reject(cas_validate_csr("hello", "RSA_2048", e), "Csr");
	expect_reject(cas_validate_csr("", NULL, e), "Csr");
	expect_reject(cas_validate_csr(NULL, NULL, e), "Csr");
	/* the base64 body without the PEM armour */
	const char *body = strchr(C.rsa2048, '\n') + 1;
	expect_reject(cas_validate_csr(body, "RSA_2048", e), "Csr");
	/* armour with garbage inside */
	expect_reject(cas_validate_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA!!!!\n"
				       "-----END CERTIFICATE REQUEST-----\n",
				       "RSA_2048", e),
		      "Csr");
	/* a truncated request */
	char *cut = cas_xstrdup(C.rsa2048);
	cut[strlen(cut) / 2] = '\0';
	expect_reject(cas_validate_csr(cut, "RSA_2048", e), "Csr");
	free(cut);
	/* a certificate is not a certificate request */
	char *cert = cas_xstrdup(C.rsa2048);
	char *p;
	while ((p = strstr(cert, "CERTIFICATE REQUEST")))
		memcpy(p, "CERTIFICATE--------", 19);
	expect_reject(cas_validate_csr(cert, "RSA_2048", e), "Csr");
	free(cert);
	/* larger than the limit */
	char *big = cas_xasprintf("%s%*s", C.rsa2048, CAS_MAX_CSR_BYTES, "");
	expect_reject(cas_validate_csr(big, "RSA_2048", e), "Csr");
	free(big);
}

static void csr_bad_signature(void **state)
{
	(void)state;
	char *bad = corrupt_signature(C.rsa2048);
	assert_string_not_equal(bad, C.rsa2048);
	struct cas_error e1;
	cas_error_clear(&e1);
	assert_int_equal(cas_validate_csr(bad, "RSA_2048", &e1), -EINVAL);
	check_error(&e1, "Csr", __LINE__);
	assert_non_null(strcasestr(e1.message, "signature"));
	free(bad);
	bad = corrupt_signature(C.p256);
	expect_reject(cas_validate_csr(bad, "ECC_256", e), "Csr");
	free(bad);
	bad = corrupt_signature(C.rsa3072);
	expect_reject(cas_validate_csr(bad, NULL, e), "Csr");
	free(bad);
}

static void csr_key_algorithm(void **state)
{
	(void)state;
	assert_string_equal(cas_csr_key_algorithm(C.rsa2048), "RSA_2048");
	assert_string_equal(cas_csr_key_algorithm(C.rsa3072), "RSA_3072");
	assert_string_equal(cas_csr_key_algorithm(C.p256), "ECC_256");
	assert_null(cas_csr_key_algorithm(C.p384));
	assert_null(cas_csr_key_algorithm(C.rsa1024));
	assert_null(cas_csr_key_algorithm("not a csr"));
	assert_null(cas_csr_key_algorithm(""));
	assert_null(cas_csr_key_algorithm(NULL));
}

/* ---- whole requests ------------------------------------------------------ */

static void update_fields(void **state)
{
	(void)state;
	struct cas_update u = { .instance_id = "cas-cn-1" };
	expect_accept(cas_validate_update(&u, NULL, NULL, e));
	int64_t ids[] = { 1, 2 };
	struct cas_tag tags[] = { { "env", "prod" } };
	struct cas_update full = {
		.instance_id = "cas-cn-1", .auto_reissue = "enable", .certificate_name = "\xe8\xaf\x81\xe4\xb9\xa6 1",
		.city = "Beijing", .country_code = "CN", .domain = "example.com,*.example.com",
		.generate_csr_method = "online", .key_algorithm = "ECC_256", .province = "Beijing",
		.resource_group_id = "rg-aek2abc", .validation_method = "DNS", .has_company_id = 1, .company_id = 44211,
		.has_contacts = 1, .contact_ids = ids, .ncontacts = 2, .has_tags = 1, .tags = tags, .ntags = 1,
	};
	expect_accept(cas_validate_update(&full, "RSA_2048", NULL, e));

	struct cas_update v;
	struct cas_error e2;
#define BAD(field, ...)                                                                                            \
	do {                                                                                                       \
		v = (struct cas_update){ .instance_id = "cas-cn-1", __VA_ARGS__ };                                 \
		cas_error_clear(&e2);                                                                              \
		assert_int_equal(cas_validate_update(&v, NULL, NULL, &e2), -EINVAL);                               \
		check_error(&e2, field, __LINE__);                                                                 \
	} while (0)
	v = (struct cas_update){ .instance_id = "", .auto_reissue = "enable" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, NULL, NULL, &e2), -EINVAL);
	check_error(&e2, "InstanceId", __LINE__);
	BAD("AutoReissue", .auto_reissue = "on");
	BAD("KeyAlgorithm", .key_algorithm = "RSA_1024");
	BAD("GenerateCsrMethod", .generate_csr_method = "offline");
	BAD("ValidationMethod", .validation_method = "EMAIL");
	BAD("CertificateName", .certificate_name = "");
	BAD("CertificateName", .certificate_name = "a\nb");
	BAD("City", .city = "a\tb");
	BAD("Province", .province = "\xff");
	BAD("CountryCode", .country_code = "CHN");
	BAD("Domain", .domain = "a..com");
	BAD("CompanyId", .has_company_id = 1, .company_id = 0);
	BAD("CompanyId", .has_company_id = 1, .company_id = -3);
	BAD("ContactIdList", .has_contacts = 1, .contact_ids = ids, .ncontacts = 0);
	struct cas_tag bad_tag[] = { { "acs:x", "v" } };
	BAD("TagKey", .has_tags = 1, .tags = bad_tag, .ntags = 1);
	BAD("Csr", .csr = "not a csr");
	/* a missing InstanceId is MissingParameter */
	v = (struct cas_update){ 0 };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, NULL, NULL, &e2), -EINVAL);
	assert_string_equal(e2.code, "MissingParameter.InstanceId");
	/* an empty tag list (remove every tag) is allowed */
	v = (struct cas_update){ .instance_id = "cas-cn-1", .has_tags = 1, .tags = NULL, .ntags = 0 };
	expect_accept(cas_validate_update(&v, NULL, NULL, e));
}

static void update_csr_rules(void **state)
{
	(void)state;
	struct cas_update v;
	struct cas_error e2;
	/* a Csr with GenerateCsrMethod=online is contradictory */
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa2048, .generate_csr_method = "online" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", NULL, &e2), -EINVAL);
	check_error(&e2, "GenerateCsrMethod", __LINE__);
	/* with upload (or unspecified) the same Csr is fine */
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa2048, .generate_csr_method = "upload" };
	expect_accept(cas_validate_update(&v, "RSA_2048", NULL, e));
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa2048 };
	expect_accept(cas_validate_update(&v, "RSA_2048", NULL, e));

	/* upload needs a Csr: in the request, or one already on the instance */
	v = (struct cas_update){ .instance_id = "i", .generate_csr_method = "upload" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", NULL, &e2), -EINVAL);
	check_error(&e2, "Csr", __LINE__);
	v = (struct cas_update){ .instance_id = "i", .generate_csr_method = "upload", .csr = "" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", NULL, &e2), -EINVAL);
	check_error(&e2, "Csr", __LINE__);
	v = (struct cas_update){ .instance_id = "i", .generate_csr_method = "upload" };
	expect_accept(cas_validate_update(&v, "RSA_2048", C.rsa2048, e));
	/* online needs none */
	v = (struct cas_update){ .instance_id = "i", .generate_csr_method = "online" };
	expect_accept(cas_validate_update(&v, "RSA_2048", NULL, e));

	/* the Csr key must match the KeyAlgorithm: given, or the current one */
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa2048, .key_algorithm = "ECC_256" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", NULL, &e2), -EINVAL);
	check_error(&e2, "Csr", __LINE__);
	v = (struct cas_update){ .instance_id = "i", .csr = C.p256, .key_algorithm = "ECC_256" };
	expect_accept(cas_validate_update(&v, "RSA_2048", C.rsa2048, e));
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa2048 };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "ECC_256", NULL, &e2), -EINVAL);
	check_error(&e2, "Csr", __LINE__);
	v = (struct cas_update){ .instance_id = "i", .csr = C.rsa3072 };
	expect_accept(cas_validate_update(&v, "RSA_3072", NULL, e));
}

static void update_key_algorithm_vs_uploaded_csr(void **state)
{
	(void)state;
	struct cas_update v;
	struct cas_error e2;
	/* the instance keeps its uploaded RSA 2048 CSR: ECC_256 no longer matches it */
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "ECC_256" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", C.rsa2048, &e2), -EINVAL);
	check_error(&e2, "KeyAlgorithm", __LINE__);
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "RSA_3072" };
	cas_error_clear(&e2);
	assert_int_equal(cas_validate_update(&v, "RSA_2048", C.rsa2048, &e2), -EINVAL);
	check_error(&e2, "KeyAlgorithm", __LINE__);
	/* the same algorithm, or switching to online generation, or a new matching CSR: fine */
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "RSA_2048" };
	expect_accept(cas_validate_update(&v, "RSA_2048", C.rsa2048, e));
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "ECC_256", .generate_csr_method = "online" };
	expect_accept(cas_validate_update(&v, "RSA_2048", C.rsa2048, e));
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "ECC_256", .csr = C.p256 };
	expect_accept(cas_validate_update(&v, "RSA_2048", C.rsa2048, e));
	/* no uploaded CSR: any algorithm */
	v = (struct cas_update){ .instance_id = "i", .key_algorithm = "ECC_256" };
	expect_accept(cas_validate_update(&v, "RSA_2048", NULL, e));
}

/* ---- AddCloudAccess ------------------------------------------------------ */

#define SECRET "Sup3rS3cretKeyValue/xyz"

static void access_one(const char *cloud, const char *id, const char *secret, const char *code, const char *field)
{
	struct cas_access_new n = { cloud, id, secret };
	struct cas_error e;
	cas_error_clear(&e);
	assert_int_equal(cas_validate_access_new(&n, &e), -EINVAL);
	check_error(&e, field, __LINE__);
	if (strcmp(e.code, code) != 0)
		fail_msg("Code %s, want %s (%s)", e.code, code, e.message);
	/* the secret never appears in a message, whole or in part */
	if (secret && *secret) {
		char part[9];
		snprintf(part, sizeof(part), "%s", secret);
		if (strstr(e.message, part) || strstr(e.code, part))
			fail_msg("the error leaks the SecretKey: %s: %s", e.code, e.message);
	}
}

static void access_new(void **state)
{
	(void)state;
	struct cas_access_new ok = { "Tencent", "AKIDexample", SECRET };
	expect_accept(cas_validate_access_new(&ok, e));

	access_one(NULL, "AKIDexample", SECRET, "MissingParameter.CloudName", "CloudName");
	access_one("", "AKIDexample", SECRET, "MissingParameter.CloudName", "CloudName");
	/* a CloudName the documentation does not list is the service's to refuse */
	static const char *const clouds[] = { "Tencent", "Huawei", "Aws", "Azure", "AWS", "HUAWEI CLOUD", "Nimbus", NULL };
	for (size_t i = 0; clouds[i]; i++) {
		struct cas_access_new c = { clouds[i], "AKIDexample", SECRET };
		expect_accept(cas_validate_access_new(&c, e));
	}
	access_one("Ten\ncent", "AKIDexample", SECRET, "InvalidParameter.CloudName", "CloudName");
	access_one("Tencent", NULL, SECRET, "MissingParameter.SecretId", "SecretId");
	access_one("Tencent", "", SECRET, "MissingParameter.SecretId", "SecretId");
	access_one("Tencent", "AKID\nx", SECRET, "InvalidParameter.SecretId", "SecretId");
	access_one("Tencent", "AKIDexample", NULL, "MissingParameter.SecretKey", "SecretKey");
	access_one("Tencent", "AKIDexample", "", "MissingParameter.SecretKey", "SecretKey");
	access_one("Tencent", "AKIDexample", SECRET "\n", "InvalidParameter.SecretKey", "SecretKey");
	access_one("Tencent", "AKIDexample", SECRET "\x01tail", "InvalidParameter.SecretKey", "SecretKey");
	char *long_secret = repeat(SECRET, 20);
	access_one("Tencent", "AKIDexample", long_secret, "InvalidParameter.SecretKey", "SecretKey");
	free(long_secret);
	/* other fields wrong while a secret is given: still no leak */
	access_one("A\x01", "AKID\x01", SECRET, "InvalidParameter.CloudName", "CloudName");
	access_one("Tencent", "AKID\x01", SECRET, "InvalidParameter.SecretId", "SecretId");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enums),
		cmocka_unit_test(show_size_and_page),
		cmocka_unit_test(tags_count),
		cmocka_unit_test(tags_lengths),
		cmocka_unit_test(tags_reserved_prefixes),
		cmocka_unit_test(tags_duplicates),
		cmocka_unit_test(contacts),
		cmocka_unit_test(country),
		cmocka_unit_test(domains),
		cmocka_unit_test(text_and_ids),
		cmocka_unit_test(list_filter),
		cmocka_unit_test(csr_valid),
		cmocka_unit_test(csr_key_mismatch),
		cmocka_unit_test(csr_not_pem),
		cmocka_unit_test(csr_bad_signature),
		cmocka_unit_test(csr_key_algorithm),
		cmocka_unit_test(update_fields),
		cmocka_unit_test(update_csr_rules),
		cmocka_unit_test(update_key_algorithm_vs_uploaded_csr),
		cmocka_unit_test(access_new),
	};
	return cmocka_run_group_tests(tests, setup_csrs, teardown_csrs);
}
