/* validate: documented parameter constraints (see validate.h). */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "canon.h"

static const char *const statuses[] = { "inactive", "pending", "willExpire", "expired", "refund", "normal", "closed", NULL };
static const char *const brands[] = { "WoSign", "CFCA", "DigiCert", "GeoTrust", "GlobalSign", "vTrus", "Alibaba", NULL };
static const char *const cert_statuses[] = { "issued", "revoked", "willExpire", "expired", NULL };
static const char *const cert_types[] = { "DV", "OV", "EV", NULL };
static const char *const instance_types[] = { "BUY", "TEST", NULL };
static const char *const key_algorithms[] = { "RSA_2048", "RSA_3072", "RSA_4096", "ECC_256", "SM2", NULL };
static const char *const auto_reissue[] = { "enable", "disable", NULL };
static const char *const csr_methods[] = { "online", "upload", NULL };
static const char *const validation_methods[] = { "DNS", "HTTP", NULL };
/* the providers the service documents (docs/PROTOCOL.md): AddCloudAccess names
 * Tencent, HUAWEI CLOUD, Azure and AWS; ListCloudResources lists the wire values
 * Tencent, Huawei, Aws (and aliyun). Azure's wire value is not documented. The
 * emulator holds to this list; the client leaves the decision to the service. */
static const char *const cloud_names[] = { "Tencent", "Huawei", "Aws", "Azure", NULL };

static const char *const *const enum_table[CAS_NENUMS] = {
	[CAS_ENUM_STATUS] = statuses,
	[CAS_ENUM_BRAND] = brands,
	[CAS_ENUM_CERT_STATUS] = cert_statuses,
	[CAS_ENUM_CERT_TYPE] = cert_types,
	[CAS_ENUM_INSTANCE_TYPE] = instance_types,
	[CAS_ENUM_KEY_ALGORITHM] = key_algorithms,
	[CAS_ENUM_AUTO_REISSUE] = auto_reissue,
	[CAS_ENUM_CSR_METHOD] = csr_methods,
	[CAS_ENUM_VALIDATION_METHOD] = validation_methods,
	[CAS_ENUM_CLOUD_NAME] = cloud_names,
};

const char *const *cas_enum_values(enum cas_enum which)
{
	return enum_table[which];
}

static int invalid(struct cas_error *e, const char *field, const char *fmt, const char *detail)
{
	char code[96];
	snprintf(code, sizeof(code), "InvalidParameter.%s", field);
	return cas_error_set(e, EINVAL, code, fmt, field, detail);
}

int cas_validate_enum(enum cas_enum which, const char *field, const char *value, struct cas_error *e)
{
	const char *const *vals = enum_table[which];
	for (size_t i = 0; vals[i]; i++) {
		/* the documentation itself spells Brand both "DigiCert" and "Digicert" */
		if (value && (which == CAS_ENUM_BRAND ? strcasecmp(vals[i], value) : strcmp(vals[i], value)) == 0)
			return 0;
	}
	char allowed[256] = "";
	for (size_t i = 0; vals[i]; i++) {
		if (i)
			strncat(allowed, ", ", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, vals[i], sizeof(allowed) - strlen(allowed) - 1);
	}
	char code[96];
	snprintf(code, sizeof(code), "InvalidParameter.%s", field);
	return cas_error_set(e, EINVAL, code, "%s must be one of %s (got \"%.64s\")", field, allowed,
			     value ? value : "");
}

int cas_validate_show_size(int64_t v, int cloud_access, struct cas_error *e)
{
	if (cloud_access) {
		if (v == 10 || v == 20 || v == 50)
			return 0;
		return cas_error_set(e, EINVAL, "InvalidParameter.ShowSize",
				     "ShowSize must be 10, 20 or 50 for ListCloudAccess (got %lld)", (long long)v);
	}
	if (v >= 1 && v <= 100)
		return 0;
	return cas_error_set(e, EINVAL, "InvalidParameter.ShowSize", "ShowSize must be between 1 and 100 (got %lld)",
			     (long long)v);
}

int cas_validate_current_page(int64_t v, struct cas_error *e)
{
	if (v >= 1 && v <= 999999)
		return 0;
	return cas_error_set(e, EINVAL, "InvalidParameter.CurrentPage",
			     "CurrentPage must be between 1 and 999999 (got %lld)", (long long)v);
}

/* Number of UTF-8 code points, or -1 if not valid UTF-8. */
static long utf8_chars(const char *s)
{
	if (!cas_utf8_clean(s))
		return -1;
	long n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

static int has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return 1;
	return 0;
}

int cas_validate_text(const char *field, const char *v, size_t max_chars, int allow_empty, struct cas_error *e)
{
	if (!v || (!*v && !allow_empty))
		return invalid(e, field, "%s must not be empty%s", "");
	long n = utf8_chars(v);
	if (n < 0)
		return invalid(e, field, "%s must be valid UTF-8%s", "");
	if (has_control(v))
		return invalid(e, field, "%s must not contain control characters%s", "");
	if ((size_t)n > max_chars) {
		char d[96];
		snprintf(d, sizeof(d), " (at most %zu characters, got %ld)", max_chars, n);
		return invalid(e, field, "%s is too long%s", d);
	}
	return 0;
}

int cas_validate_id(const char *field, const char *v, struct cas_error *e)
{
	if (!v || !*v) {
		char code[96];
		snprintf(code, sizeof(code), "MissingParameter.%s", field);
		return cas_error_set(e, EINVAL, code, "%s is required", field);
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F)
			return invalid(e, field, "%s must be printable ASCII without spaces%s", "");
	if (strlen(v) > 128)
		return invalid(e, field, "%s is too long%s", " (at most 128 characters)");
	return 0;
}

int cas_validate_tags(const struct cas_tag *t, size_t n, struct cas_error *e)
{
	if (n > CAS_MAX_TAGS)
		return cas_error_set(e, EINVAL, "InvalidParameter.Tags", "Tags: at most %d tags are allowed (got %zu)",
				     CAS_MAX_TAGS, n);
	for (size_t i = 0; i < n; i++) {
		const char *k = t[i].key ? t[i].key : "";
		long kl = utf8_chars(k);
		if (!*k)
			return cas_error_set(e, EINVAL, "InvalidParameter.TagKey", "TagKey %zu is empty", i + 1);
		if (kl < 0 || has_control(k))
			return cas_error_set(e, EINVAL, "InvalidParameter.TagKey",
					     "TagKey %zu must be UTF-8 text without control characters", i + 1);
		if (kl > CAS_MAX_TAG_KEY)
			return cas_error_set(e, EINVAL, "InvalidParameter.TagKey",
					     "TagKey \"%.20s...\" is longer than %d characters", k, CAS_MAX_TAG_KEY);
		if (strncasecmp(k, "aliyun", 6) == 0 || strncasecmp(k, "acs:", 4) == 0)
			return cas_error_set(e, EINVAL, "InvalidParameter.TagKey",
					     "TagKey \"%.64s\" must not start with \"aliyun\" or \"acs:\"", k);
		const char *v = t[i].value ? t[i].value : "";
		long vl = utf8_chars(v);
		if (vl < 0 || has_control(v))
			return cas_error_set(e, EINVAL, "InvalidParameter.TagValue",
					     "TagValue of \"%.64s\" must be UTF-8 text without control characters", k);
		if (vl > CAS_MAX_TAG_VALUE)
			return cas_error_set(e, EINVAL, "InvalidParameter.TagValue",
					     "TagValue of \"%.64s\" is longer than %d characters", k, CAS_MAX_TAG_VALUE);
		for (size_t j = 0; j < i; j++)
			if (strcmp(t[j].key ? t[j].key : "", k) == 0)
				return cas_error_set(e, EINVAL, "InvalidParameter.TagKey",
						     "TagKey \"%.64s\" appears more than once", k);
	}
	return 0;
}

int cas_validate_contacts(const int64_t *ids, size_t n, struct cas_error *e)
{
	if (n == 0)
		return cas_error_set(e, EINVAL, "InvalidParameter.ContactIdList",
				     "ContactIdList must contain at least one contact id");
	if (n > 100)
		return cas_error_set(e, EINVAL, "InvalidParameter.ContactIdList",
				     "ContactIdList has too many entries (%zu; at most 100)", n);
	for (size_t i = 0; i < n; i++)
		if (ids[i] <= 0)
			return cas_error_set(e, EINVAL, "InvalidParameter.ContactIdList",
					     "ContactIdList entry %zu must be a positive id (got %lld)", i + 1,
					     (long long)ids[i]);
	return 0;
}

int cas_validate_country(const char *cc, struct cas_error *e)
{
	if (cc && strlen(cc) == 2 && isalpha((unsigned char)cc[0]) && isalpha((unsigned char)cc[1]))
		return 0;
	return cas_error_set(e, EINVAL, "InvalidParameter.CountryCode",
			     "CountryCode must be a two-letter country code such as CN or US (got \"%.16s\")",
			     cc ? cc : "");
}

static int valid_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* One name: [*.]label(.label)+ , or a dotted IPv4 address. */
static int valid_domain_name(const char *s, size_t n)
{
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 253)
		return 0;
	size_t labels = 0;
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t len = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (!valid_label(p, len))
			return 0;
		labels++;
		p += len + (dot ? 1 : 0);
		if (dot && p == end)
			return 0; /* trailing dot */
	}
	return labels >= 2;
}

int cas_validate_domain(const char *d, struct cas_error *e)
{
	if (!d || !*d)
		return cas_error_set(e, EINVAL, "InvalidParameter.Domain", "Domain must not be empty");
	size_t count = 0;
	for (const char *p = d;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (!valid_domain_name(p, len))
			return cas_error_set(e, EINVAL, "InvalidParameter.Domain",
					     "Domain must be names such as example.com or *.example.com separated by "
					     "commas; \"%.*s\" is not one",
					     (int)(len > 80 ? 80 : len), p);
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (count > 100)
		return cas_error_set(e, EINVAL, "InvalidParameter.Domain", "Domain lists %zu names; at most 100", count);
	return 0;
}

int cas_validate_update(const struct cas_update *u, const char *current_key_algorithm, const char *current_csr,
			struct cas_error *e)
{
	int rc;
	if ((rc = cas_validate_id("InstanceId", u->instance_id, e)))
		return rc;
	if (u->auto_reissue && (rc = cas_validate_enum(CAS_ENUM_AUTO_REISSUE, "AutoReissue", u->auto_reissue, e)))
		return rc;
	if (u->key_algorithm && (rc = cas_validate_enum(CAS_ENUM_KEY_ALGORITHM, "KeyAlgorithm", u->key_algorithm, e)))
		return rc;
	if (u->generate_csr_method &&
	    (rc = cas_validate_enum(CAS_ENUM_CSR_METHOD, "GenerateCsrMethod", u->generate_csr_method, e)))
		return rc;
	if (u->validation_method &&
	    (rc = cas_validate_enum(CAS_ENUM_VALIDATION_METHOD, "ValidationMethod", u->validation_method, e)))
		return rc;
	if (u->certificate_name && (rc = cas_validate_text("CertificateName", u->certificate_name, 128, 0, e)))
		return rc;
	if (u->city && (rc = cas_validate_text("City", u->city, 128, 1, e)))
		return rc;
	if (u->province && (rc = cas_validate_text("Province", u->province, 128, 1, e)))
		return rc;
	if (u->resource_group_id && (rc = cas_validate_text("ResourceGroupId", u->resource_group_id, 64, 1, e)))
		return rc;
	if (u->country_code && (rc = cas_validate_country(u->country_code, e)))
		return rc;
	if (u->domain && (rc = cas_validate_domain(u->domain, e)))
		return rc;
	if (u->has_company_id && u->company_id <= 0)
		return cas_error_set(e, EINVAL, "InvalidParameter.CompanyId", "CompanyId must be a positive id");
	if (u->has_contacts && (rc = cas_validate_contacts(u->contact_ids, u->ncontacts, e)))
		return rc;
	if (u->has_tags && (rc = cas_validate_tags(u->tags, u->ntags, e)))
		return rc;
	const char *alg = u->key_algorithm ? u->key_algorithm : current_key_algorithm;
	if (u->csr && *u->csr) {
		if (u->generate_csr_method && strcmp(u->generate_csr_method, "online") == 0)
			return cas_error_set(e, EINVAL, "InvalidParameter.GenerateCsrMethod",
					     "a Csr was given with GenerateCsrMethod=online, which ignores it; use upload");
		if ((rc = cas_validate_csr(u->csr, alg, e)))
			return rc;
	} else if (u->generate_csr_method && strcmp(u->generate_csr_method, "upload") == 0 &&
		   !(current_csr && *current_csr) && !(u->csr && *u->csr)) {
		return cas_error_set(e, EINVAL, "MissingParameter.Csr", "GenerateCsrMethod=upload requires a Csr");
	}
	/* a new KeyAlgorithm must still match an uploaded CSR that stays in place
	 * (current_csr is only passed when the instance uses an uploaded CSR) */
	if (u->key_algorithm && !(u->csr && *u->csr) && current_csr && *current_csr &&
	    !(u->generate_csr_method && strcmp(u->generate_csr_method, "online") == 0)) {
		const char *have = cas_csr_key_algorithm(current_csr);
		if (have && strcmp(have, u->key_algorithm) != 0)
			return cas_error_set(e, EINVAL, "InvalidParameter.KeyAlgorithm",
					     "KeyAlgorithm %s does not match the uploaded CSR's %s key; upload a "
					     "matching Csr in the same write",
					     u->key_algorithm, have);
	}
	return 0;
}

int cas_validate_list_filter(const struct cas_list_filter *f, struct cas_error *e)
{
	int rc = 0;
	if (!f)
		return 0;
	if (f->status && (rc = cas_validate_enum(CAS_ENUM_STATUS, "Status", f->status, e)))
		return rc;
	if (f->brand && (rc = cas_validate_enum(CAS_ENUM_BRAND, "Brand", f->brand, e)))
		return rc;
	if (f->cert_status && (rc = cas_validate_enum(CAS_ENUM_CERT_STATUS, "CertificateStatus", f->cert_status, e)))
		return rc;
	if (f->cert_type && (rc = cas_validate_enum(CAS_ENUM_CERT_TYPE, "CertificateType", f->cert_type, e)))
		return rc;
	if (f->instance_type && (rc = cas_validate_enum(CAS_ENUM_INSTANCE_TYPE, "InstanceType", f->instance_type, e)))
		return rc;
	if (f->keyword && (rc = cas_validate_text("Keyword", f->keyword, 128, 1, e)))
		return rc;
	return 0;
}

int cas_validate_access_new(const struct cas_access_new *n, struct cas_error *e)
{
	int rc;
	if (!n->cloud_name || !*n->cloud_name)
		return cas_error_set(e, EINVAL, "MissingParameter.CloudName", "CloudName is required");
	if ((rc = cas_validate_text("CloudName", n->cloud_name, 64, 0, e)))
		return rc;
	if (!n->secret_id || !*n->secret_id)
		return cas_error_set(e, EINVAL, "MissingParameter.SecretId", "SecretId is required");
	if ((rc = cas_validate_text("SecretId", n->secret_id, 128, 0, e)))
		return rc;
	if (!n->secret_key || !*n->secret_key)
		return cas_error_set(e, EINVAL, "MissingParameter.SecretKey", "SecretKey is required");
	/* never echo the secret in a message */
	if (strlen(n->secret_key) > 256 || has_control(n->secret_key))
		return cas_error_set(e, EINVAL, "InvalidParameter.SecretKey",
				     "SecretKey must be at most 256 characters without control characters");
	return 0;
}
