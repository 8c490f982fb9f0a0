/* data: deterministic generation of the emulator's sample data (see data.h).
 * Instance i uses its own RNG stream, so adding instances never changes the
 * earlier ones. The first instances are pinned so that small data sets still
 * cover every Status and both sides of the 7-day refund window:
 *   index 0: BUY, inactive, ordered 1 day ago   (refundable)
 *   index 1: BUY, pending,  ordered 30 days ago (refund window over)
 *   index 0..6 take every Status once, 0..6 every Brand once. */
#include "data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csrgen.h"
#include "rng.h"
#include "sign.h"

#define DAY_MS (86400000LL)
#define ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"
#define HEXL "0123456789abcdef"

static const char *const statuses[] = { "inactive", "pending", "willExpire", "expired", "refund", "normal", "closed" };
static const char *const brands[] = { "DigiCert", "GeoTrust", "GlobalSign", "vTrus", "WoSign", "CFCA", "Alibaba" };
static const char *const bases[] = { "example.com", "example.net", "example.org", "test-shop.cn", "acme.io",
				     "contoso.com", "fabrikam.net", "demo.com.cn", "widgets.dev", "api-gw.io" };
static const char *const hosts[] = { "www", "api", "mail", "shop", "cdn", "static", "admin", "m", "pay", "img" };
static const char *const tag_keys[] = { "env", "owner", "team", "project", "cost-center", "app", "tier" };
static const char *const tag_vals[] = { "prod", "staging", "dev", "web", "platform", "alice", "bob", "张三", "ops", "1024" };
static const char *const products[] = { "SLB", "CDN", "WAF", "OSS", "DCDN", "ALB", "LIVE", "FC" };
static const char *const rgs[] = { "rg-acfm2pz25js4ygq", "rg-aek2xl5qajpkquq", "rg-aekzf3vrlbxnmyy" };
static const struct {
	const char *city, *province, *cc;
} places[] = { { "Beijing", "Beijing", "CN" },	     { "Hangzhou", "Zhejiang", "CN" },
	       { "Shanghai", "Shanghai", "CN" },     { "Shenzhen", "Guangdong", "CN" },
	       { "San Francisco", "California", "US" }, { "Singapore", "Singapore", "SG" },
	       { "Frankfurt", "Hesse", "DE" } };

void emu_domain_counts(const char *domain, int *full, int *wildcard)
{
	*full = *wildcard = 0;
	for (const char *p = domain ? domain : ""; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len)
			(len > 1 && p[0] == '*' && p[1] == '.') ? (*wildcard)++ : (*full)++;
		if (!comma)
			break;
		p = comma + 1;
	}
}

static const char *weighted_status(struct emu_rng *r)
{
	static const int w[] = { 15, 10, 10, 10, 5, 40, 10 };
	int x = (int)emu_rng_below(r, 100);
	for (int i = 0; i < 7; i++) {
		if (x < w[i])
			return statuses[i];
		x -= w[i];
	}
	return "normal";
}

static const char *key_algorithm(struct emu_rng *r)
{
	int x = (int)emu_rng_below(r, 100);
	return x < 60 ? "RSA_2048" : x < 65 ? "RSA_3072" : x < 75 ? "RSA_4096" : x < 95 ? "ECC_256" : "SM2";
}

static char *make_domain(struct emu_rng *r)
{
	const char *base = EMU_PICK(r, bases);
	int form = (int)emu_rng_below(r, 10);
	if (form < 5)
		return cas_xasprintf("%s.%s", EMU_PICK(r, hosts), base);
	if (form < 7)
		return cas_xasprintf("*.%s", base);
	if (form < 8)
		return cas_xstrdup(base);
	/* multi-domain: base, www.base and a wildcard or another host */
	return cas_xasprintf("%s,www.%s,%s%s", base, base, emu_rng_below(r, 2) ? "*." : "api.", base);
}

static cJSON *make_tags(struct emu_rng *r)
{
	cJSON *tags = cJSON_CreateArray();
	int n = (int)emu_rng_below(r, 6);
	int used = 0;
	for (int i = 0; i < n; i++) {
		int k = (int)emu_rng_below(r, 7);
		if (used & (1 << k))
			continue;
		used |= 1 << k;
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "TagKey", tag_keys[k]);
		cJSON_AddStringToObject(t, "TagValue", EMU_PICK(r, tag_vals));
		cJSON_AddItemToArray(tags, t);
	}
	return tags;
}

static cJSON *make_validation(struct emu_rng *r, const char *domain, const char *method)
{
	cJSON *list = cJSON_CreateArray();
	for (const char *p = domain; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *name = cas_xstrndup(p, len);
		const char *root = name[0] == '*' ? name + 2 : name;
		const char *dot = strchr(root, '.');
		if (dot && strchr(dot + 1, '.'))
			root = dot + 1;
		char val[40];
		emu_rng_chars(r, val, 32, HEXL);
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "Cname", "");
		cJSON_AddStringToObject(v, "CnameKey", "");
		cJSON_AddStringToObject(v, "Domain", name);
		cJSON_AddStringToObject(v, "RootDomain", root);
		int http = strcmp(method, "HTTP") == 0;
		cJSON_AddStringToObject(v, "ValidationKey", http ? "/.well-known/pki-validation/fileauth.txt" : "_dnsauth");
		cJSON_AddStringToObject(v, "ValidationType", http ? "HTTP" : "TXT");
		cJSON_AddStringToObject(v, "ValidationValue", val);
		cJSON_AddItemToArray(list, v);
		free(name);
		if (!comma)
			break;
		p = comma + 1;
	}
	return list;
}

/* CertificateStatus for an instance status; NULL when no certificate exists. */
static const char *cert_status_for(const char *status)
{
	if (strcmp(status, "normal") == 0)
		return "issued";
	if (strcmp(status, "willExpire") == 0)
		return "willExpire";
	if (strcmp(status, "expired") == 0)
		return "expired";
	return NULL;
}

static void add_certificate(cJSON *o, struct emu_rng *r, const char *status, const char *domain, int64_t now,
			    int64_t *order_start)
{
	int64_t nb, na;
	if (strcmp(status, "willExpire") == 0) {
		na = now + emu_rng_range(r, 1, 29) * DAY_MS + emu_rng_below(r, DAY_MS);
		nb = na - 365 * DAY_MS;
	} else if (strcmp(status, "expired") == 0) {
		na = now - emu_rng_range(r, 1, 200) * DAY_MS - emu_rng_below(r, DAY_MS);
		nb = na - 365 * DAY_MS;
	} else {
		nb = now - emu_rng_range(r, 2, 300) * DAY_MS - emu_rng_below(r, DAY_MS);
		na = nb + 365 * DAY_MS;
		if (na < now + 31 * DAY_MS)
			na = now + 31 * DAY_MS + emu_rng_below(r, DAY_MS);
	}
	nb -= nb % 1000;
	na -= na % 1000;
	int64_t cert_id = emu_rng_range(r, 10000000, 2000000000);
	char ident[64];
	snprintf(ident, sizeof(ident), "%lld-%s", (long long)cert_id,
		 emu_rng_below(r, 5) ? "cn-hangzhou" : "ap-southeast-1");
	cJSON_AddStringToObject(o, "CertIdentifier", ident);
	cJSON_AddStringToObject(o, "CertificateDomain", domain);
	cJSON_AddNumberToObject(o, "CertificateId", (double)cert_id);
	cJSON_AddNumberToObject(o, "CertificateNotAfter", (double)na);
	cJSON_AddNumberToObject(o, "CertificateNotBefore", (double)nb);
	cJSON_AddStringToObject(o, "CertificateStatus", cert_status_for(status));
	*order_start = nb - emu_rng_range(r, 0, 3) * DAY_MS - emu_rng_below(r, DAY_MS);
	cJSON *using = cJSON_CreateArray();
	int n = (int)emu_rng_below(r, 3);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(using, cJSON_CreateString(products[(i * 3 + emu_rng_below(r, 3)) % 8]));
	cJSON_AddItemToObject(o, "UsingProductList", using);
}

static char *lower_dup(const char *s)
{
	char *d = cas_xstrdup(s);
	for (char *p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

cJSON *emu_gen_instance(uint64_t seed, long index, int64_t now_ms)
{
	struct emu_rng rr, *r = &rr;
	emu_rng_seed(r, seed, 0x1000000ULL + (uint64_t)index);
	cJSON *o = cJSON_CreateObject();

	char rnd[16];
	emu_rng_chars(r, rnd, 10, ALNUM);
	int dv_style = emu_rng_below(r, 7) == 0;
	char id[48];
	snprintf(id, sizeof(id), "%s-cn-%s", dv_style ? "cas_dv" : "cas", rnd);

	const char *status = index < 7 ? statuses[index] : weighted_status(r);
	const char *brand = index < 7 ? brands[index] : EMU_PICK(r, brands);
	int type_roll = (int)emu_rng_below(r, 100);
	const char *cert_type = index < 3 ? (const char *[]){ "DV", "OV", "EV" }[index]
			      : type_roll < 60 ? "DV" : type_roll < 85 ? "OV" : "EV";
	int test = index == 7 || (index > 7 && emu_rng_below(r, 5) == 0);
	const char *alg = key_algorithm(r);
	char *domain = make_domain(r);
	if (strcmp(status, "inactive") == 0 && index != 0 && emu_rng_below(r, 2)) {
		free(domain);
		domain = cas_xstrdup("");
	}
	int full, wild;
	emu_domain_counts(domain, &full, &wild);

	cJSON_AddStringToObject(o, "InstanceId", id);
	cJSON_AddStringToObject(o, "AutoReissue", emu_rng_below(r, 10) < 3 ? "enable" : "disable");
	cJSON_AddStringToObject(o, "AverageWaitingTime",
				strcmp(cert_type, "DV") == 0 ? "120" : strcmp(cert_type, "OV") == 0 ? "86400" : "259200");
	cJSON_AddStringToObject(o, "Brand", test ? "DigiCert" : brand);
	char name[64];
	if (emu_rng_below(r, 3))
		snprintf(name, sizeof(name), "cert-%08llu", (unsigned long long)emu_rng_below(r, 100000000));
	else
		snprintf(name, sizeof(name), "%s-%s-%ld", EMU_PICK(r, hosts), EMU_PICK(r, tag_vals) , index);
	cJSON_AddStringToObject(o, "CertificateName", name);
	cJSON_AddStringToObject(o, "CertificateType", test ? "DV" : cert_type);
	const int pi = (int)emu_rng_below(r, sizeof(places) / sizeof(places[0]));
	cJSON_AddStringToObject(o, "City", places[pi].city);
	cJSON_AddNumberToObject(o, "CompanyId", (double)emu_rng_range(r, 40000, 49999));
	cJSON *contacts = cJSON_CreateArray();
	for (int i = 0, n = 1 + (int)emu_rng_below(r, 3); i < n; i++)
		cJSON_AddItemToArray(contacts, cJSON_CreateNumber((double)emu_rng_range(r, 1000, 9999)));
	cJSON_AddItemToObject(o, "ContactIdList", contacts);
	cJSON_AddStringToObject(o, "CountryCode", places[pi].cc);

	int upload = index < EMU_CSR_UPLOAD_LIMIT && *domain && emu_csr_supported(alg) && emu_rng_below(r, 5) == 0;
	char *csr = NULL;
	if (upload) {
		char *cn = cas_xstrndup(domain, strcspn(domain, ","));
		csr = emu_csr_make(alg, cn);
		free(cn);
	}
	cJSON_AddStringToObject(o, "Csr", csr ? csr : "");
	cJSON *ding = cJSON_CreateArray();
	if (emu_rng_below(r, 10) == 0) {
		cJSON *g = cJSON_CreateObject();
		char gid[16];
		emu_rng_chars(r, gid, 8, ALNUM);
		cJSON_AddStringToObject(g, "DingGroupInstanceId", gid);
		cJSON_AddStringToObject(g, "DingGroupName", "证书服务专家群");
		cJSON_AddStringToObject(g, "DingGroupType", emu_rng_below(r, 2) ? "expedite" : "remote");
		cJSON_AddStringToObject(g, "DingGroupUrl", "https://qr.dingtalk.com/action/joingroup?code=v1,k1,test");
		cJSON_AddItemToArray(ding, g);
	}
	cJSON_AddItemToObject(o, "DingGroupList", ding);
	cJSON_AddStringToObject(o, "Domain", domain);
	const char *vmethod = emu_rng_below(r, 4) ? "DNS" : "HTTP";
	cJSON_AddItemToObject(o, "DomainValidationList", strcmp(status, "pending") == 0 && *domain
								 ? make_validation(r, domain, vmethod)
								 : cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "FullDomainCount", full);
	cJSON_AddStringToObject(o, "GenerateCsrMethod", csr ? "upload" : "online");
	cJSON_AddStringToObject(o, "InstanceType", test ? "TEST" : "BUY");
	cJSON_AddStringToObject(o, "KeyAlgorithm", alg);
	cJSON_AddStringToObject(o, "PendingResult", strcmp(status, "pending") == 0 ? "pending" : "");
	cJSON_AddStringToObject(o, "Province", places[pi].province);
	cJSON_AddStringToObject(o, "ResourceGroupId", EMU_PICK(r, rgs));
	char *spec = test ? cas_xstrdup("ss.dv.t")
			  : cas_xasprintf("%s.%s.%s", brand, cert_type, wild ? "wildcard" : full > 1 ? "multi" : "one");
	char *lspec = lower_dup(spec);
	cJSON_AddStringToObject(o, "Spec", lspec);
	cJSON_AddStringToObject(o, "Status", status);
	cJSON_AddItemToObject(o, "Tags", make_tags(r));
	cJSON_AddStringToObject(o, "UpgradeStatus", emu_rng_below(r, 20) ? "none" : "payed");
	cJSON_AddStringToObject(o, "ValidationMethod", vmethod);
	cJSON_AddNumberToObject(o, "WildcardDomainCount", wild);

	int64_t order_start;
	if (cert_status_for(status)) {
		add_certificate(o, r, status, domain, now_ms, &order_start);
	} else {
		cJSON_AddItemToObject(o, "UsingProductList", cJSON_CreateArray());
		order_start = now_ms - emu_rng_range(r, 0, 20) * DAY_MS - emu_rng_below(r, DAY_MS);
		if (index == 0)
			order_start = now_ms - DAY_MS;
		else if (index == 1)
			order_start = now_ms - 30 * DAY_MS;
	}
	order_start -= order_start % 1000;
	int64_t years = 1 + (int64_t)emu_rng_below(r, 3);
	cJSON_AddNumberToObject(o, "OrderStartTime", (double)order_start);
	cJSON_AddNumberToObject(o, "OrderEndTime", (double)(order_start + years * 365 * DAY_MS));
	cJSON_AddNumberToObject(o, "InstanceStartTime", (double)order_start);
	cJSON_AddNumberToObject(o, "InstanceEndTime", (double)(order_start + years * 365 * DAY_MS));
	free(lspec);
	free(spec);
	free(csr);
	free(domain);
	return o;
}

cJSON *emu_gen_cloud_access(uint64_t seed, long index, int64_t access_id, char secret_hash[65])
{
	struct emu_rng r;
	emu_rng_seed(&r, seed, 0x2000000ULL + (uint64_t)index);
	char head[16], secret[40];
	emu_rng_chars(&r, head, 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	emu_rng_chars(&r, secret, 32, ALNUM);
	cas_sha256_hex(secret, strlen(secret), secret_hash);
	char sid[48];
	snprintf(sid, sizeof(sid), "AKID%s******", head);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "AccessId", (double)access_id);
	cJSON_AddStringToObject(o, "CloudName", "Tencent");
	cJSON_AddStringToObject(o, "SecretId", sid);
	cJSON_AddStringToObject(o, "ServiceStatus", "normal");
	return o;
}

cJSON *emu_gen_private_ca(uint64_t seed, long index, int64_t now_ms)
{
	static const char *const st[] = { "USED", "BUY", "REVOKE", "REFUND" };
	struct emu_rng r;
	emu_rng_seed(&r, seed, 0x3000000ULL + (uint64_t)index);
	char rnd[16];
	emu_rng_chars(&r, rnd, 8, ALNUM);
	char id[40];
	snprintf(id, sizeof(id), "cas-member-%s", rnd);
	const char *status = index < 4 ? st[index] : st[emu_rng_below(&r, 4)];
	int root = index == 0 || emu_rng_below(&r, 3) == 0;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "InstanceId", id);
	cJSON_AddStringToObject(o, "Status", status);
	cJSON_AddStringToObject(o, "Type", root ? "ROOT" : "SUB_ROOT");
	int total = root ? 10 : 1000 * (1 + (int)emu_rng_below(&r, 10));
	int used = strcmp(status, "USED") == 0 || strcmp(status, "REVOKE") == 0;
	cJSON_AddNumberToObject(o, "CertTotalCount", total);
	cJSON_AddNumberToObject(o, "CertIssuedCount", used ? (double)emu_rng_below(&r, (uint64_t)total / 2) : 0);
	int64_t start = now_ms - emu_rng_range(&r, 10, 400) * DAY_MS;
	start -= start % 1000;
	if (used) {
		char ident[40];
		emu_rng_chars(&r, ident, 32, HEXL);
		cJSON_AddStringToObject(o, "Identifier", ident);
		cJSON_AddNumberToObject(o, "BeforeTime", (double)start);
		cJSON_AddNumberToObject(o, "AfterTime", (double)(start + (root ? 20 : 10) * 365 * DAY_MS));
	}
	cJSON_AddNumberToObject(o, "UseExpireTime", (double)(start + 365 * DAY_MS));
	return o;
}
