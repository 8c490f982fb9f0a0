/* act_store: the certificate store (2020-04-07): ListUserCertificateOrder,
 * ListCertificates, UploadUserCertificate, DeleteUserCertificate, and the
 * store side of GetUserCertificateDetail. The store holds the uploaded
 * certificates (state.store, with their PEMs) and shows every issued
 * instance's certificate next to them (built from the instance through
 * pki.c, as the real console lists bought certificates among uploads).
 * Evidence and the emulator's own choices: README.md "Certificate store" and
 * docs/PROTOCOL.md §14. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "actions.h"
#include "pki.h"

#define DAY_MS 86400000LL
#define WILL_EXPIRE_MS (30 * DAY_MS) /* [OURS] the window of WILLEXPIRED */
#define NAME_MAX_CHARS 64            /* [SDK] Node SDK 3.0.0; older models said 128 */

static int64_t i64_of(const cJSON *o, const char *k)
{
	int64_t v = 0;
	emu_json_i64(o, k, &v);
	return v;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const char *v = emu_json_str(o, k);
	return v ? v : "";
}

/* ISSUED, WILLEXPIRED or EXPIRED at now. */
static const char *order_status(const cJSON *c)
{
	int64_t na = i64_of(c, "NotAfter"), now = emu_now_ms();
	return na <= now ? "EXPIRED" : na - now <= WILL_EXPIRE_MS ? "WILLEXPIRED" : "ISSUED";
}

/* One certificate of the store in the stored shape (uploads as kept; an
 * instance's built on demand, without PEMs). */
static cJSON *instance_view(const cJSON *inst)
{
	int64_t id;
	if (emu_json_i64(inst, "CertificateId", &id) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inst, "_StoreDeleted")))
		return NULL;
	cJSON *c = cJSON_CreateObject();
	if (emu_pki_describe_instance(inst, c)) {
		cJSON_Delete(c);
		return NULL;
	}
	cJSON_AddNumberToObject(c, "CertificateId", (double)id);
	cJSON_AddStringToObject(c, "Name", str_of(inst, "CertificateName"));
	cJSON_AddStringToObject(c, "InstanceId", str_of(inst, "InstanceId"));
	cJSON_AddStringToObject(c, "ResourceGroupId", str_of(inst, "ResourceGroupId"));
	cJSON_AddBoolToObject(c, "Upload", 0);
	const cJSON *using = cJSON_GetObjectItemCaseSensitive(inst, "UsingProductList");
	cJSON *u = cJSON_AddArrayToObject(c, "UsingProductList");
	for (const cJSON *e = cJSON_IsArray(using) ? using->child : NULL; e; e = e->next)
		if (cJSON_IsString(e))
			cJSON_AddItemToArray(u, cJSON_CreateString(e->valuestring));
		else if (cJSON_IsObject(e) && emu_json_str(e, "ProductName"))
			cJSON_AddItemToArray(u, cJSON_CreateString(emu_json_str(e, "ProductName")));
	return c;
}

/* The whole store, newest first ([OURS] order): uploads (newest last in
 * state.store) then the instances' certificates in list order. Caller frees;
 * the read lock is held. Entries that match (upload_only, status, keyword). */
struct view_filter {
	int upload_only, issued_only;
	const char *status;      /* NULL = any */
	int default_valid;       /* the trap: ISSUED and WILLEXPIRED only */
	const char *keyword;
};

static int keyword_hit(const cJSON *c, const char *kw)
{
	static const char *const keys[] = { "Name", "CommonName", "Sans", "InstanceId" };
	if (!kw)
		return 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcasestr(str_of(c, keys[i]), kw))
			return 1;
	return 0;
}

static int keep(const cJSON *c, const struct view_filter *f)
{
	const char *st = order_status(c);
	if (f->status && strcasecmp(st, f->status) != 0)
		return 0;
	if (!f->status && f->default_valid && strcmp(st, "EXPIRED") == 0)
		return 0;
	return keyword_hit(c, f->keyword);
}

static cJSON *store_views(struct emu_state *s, const struct view_filter *f)
{
	cJSON *all = cJSON_CreateArray();
	int n = cJSON_GetArraySize(s->store);
	for (int i = n - 1; i >= 0; i--) {
		const cJSON *c = cJSON_GetArrayItem(s->store, i);
		if (!f->issued_only && keep(c, f))
			cJSON_AddItemToArray(all, cJSON_Duplicate(c, 1));
	}
	for (size_t i = 0; i < s->ninst && !f->upload_only; i++) {
		cJSON *c = instance_view(s->inst[i].obj);
		if (c && keep(c, f))
			cJSON_AddItemToArray(all, c);
		else
			cJSON_Delete(c);
	}
	return all;
}

static void iso_date(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static void cert_ident(const cJSON *c, char out[64])
{
	snprintf(out, 64, "%lld-cn-hangzhou", (long long)i64_of(c, "CertificateId"));
}

/* ListUserCertificateOrder's item for a certificate (OrderType CERT/UPLOAD). */
static cJSON *order_item(const cJSON *c)
{
	cJSON *o = cJSON_CreateObject();
	char d[2][16];
	iso_date(i64_of(c, "NotBefore"), d[0]);
	iso_date(i64_of(c, "NotAfter"), d[1]);
	cJSON_AddNumberToObject(o, "CertificateId", (double)i64_of(c, "CertificateId"));
	cJSON_AddStringToObject(o, "City", "");
	cJSON_AddStringToObject(o, "CommonName", str_of(c, "CommonName"));
	cJSON_AddStringToObject(o, "Country", "");
	cJSON_AddStringToObject(o, "EndDate", d[1]);
	cJSON_AddBoolToObject(o, "Expired", i64_of(c, "NotAfter") <= emu_now_ms());
	cJSON_AddStringToObject(o, "Fingerprint", str_of(c, "Fingerprint"));
	cJSON_AddStringToObject(o, "InstanceId", str_of(c, "InstanceId"));
	cJSON_AddStringToObject(o, "Issuer", str_of(c, "Issuer"));
	cJSON_AddStringToObject(o, "Name", str_of(c, "Name"));
	cJSON_AddStringToObject(o, "OrgName", "");
	cJSON_AddStringToObject(o, "Province", "");
	cJSON_AddStringToObject(o, "ResourceGroupId", str_of(c, "ResourceGroupId"));
	cJSON_AddStringToObject(o, "Sans", str_of(c, "Sans"));
	cJSON_AddStringToObject(o, "SerialNo", str_of(c, "SerialNo"));
	cJSON_AddStringToObject(o, "Sha2", str_of(c, "Sha2"));
	cJSON_AddStringToObject(o, "StartDate", d[0]);
	cJSON_AddStringToObject(o, "Status", order_status(c));
	cJSON_AddBoolToObject(o, "Upload", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "Upload")));
	return o;
}

/* ListUserCertificateOrder's item for an instance (OrderType CPACK): the
 * certificate-quota order the instance consumed. */
static cJSON *cpack_item(const cJSON *inst)
{
	cJSON *o = cJSON_CreateObject();
	const char *st = str_of(inst, "Status");
	cJSON_AddStringToObject(o, "Algorithm", strncmp(str_of(inst, "KeyAlgorithm"), "ECC", 3) == 0 ? "ECC" : "RSA");
	cJSON_AddNumberToObject(o, "CertEndTime", (double)i64_of(inst, "CertificateNotAfter"));
	cJSON_AddNumberToObject(o, "CertStartTime", (double)i64_of(inst, "CertificateNotBefore"));
	cJSON_AddStringToObject(o, "CertType", str_of(inst, "CertificateType"));
	cJSON_AddStringToObject(o, "Domain", str_of(inst, "Domain"));
	cJSON_AddStringToObject(o, "InstanceId", str_of(inst, "InstanceId"));
	cJSON_AddStringToObject(o, "ProductName", str_of(inst, "Brand"));
	cJSON_AddStringToObject(o, "RootBrand", str_of(inst, "Brand"));
	cJSON_AddStringToObject(o, "SourceType", "cpack");
	cJSON_AddStringToObject(o, "Status", strcasecmp(st, "issued") == 0 ? "ISSUED" : strcasecmp(st, "pending") == 0 ? "CHECKING" : "PAYED");
	return o;
}

static int page_of(const struct cas_params *p, int64_t dflt_size, int64_t max_size, int64_t *page, int64_t *size,
		   struct emu_reply *r)
{
	const char *cp = emu_param(p, "CurrentPage"), *ss = emu_param(p, "ShowSize");
	*page = 1;
	*size = dflt_size;
	if (cp && (emu_parse_i64(cp, page) || *page < 1))
		return emu_fail(r, 400, "InvalidParameter.CurrentPage", "CurrentPage must be a positive integer (got \"%.32s\").", cp);
	if (ss && (emu_parse_i64(ss, size) || *size < 1 || *size > max_size))
		return emu_fail(r, 400, "InvalidParameter.ShowSize", "ShowSize must be an integer from 1 to %lld (got \"%.32s\").",
				(long long)max_size, ss);
	return 0;
}

/* The page [from, from+size) of all as a new array. */
static cJSON *slice(const cJSON *all, int64_t page, int64_t size, cJSON *(*map)(const cJSON *))
{
	cJSON *out = cJSON_CreateArray();
	int64_t from = (page - 1) * size, i = 0;
	for (const cJSON *e = all->child; e; e = e->next, i++)
		if (i >= from && i < from + size)
			cJSON_AddItemToArray(out, map ? map(e) : cJSON_Duplicate(e, 1));
	return out;
}

int emu_act_list_user_certificate_order(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *type = emu_param(p, "OrderType"), *status = emu_param(p, "Status");
	int64_t page, size;
	if (!type)
		type = "CPACK"; /* [SDK] the default */
	if (strcmp(type, "CPACK") && strcmp(type, "BUY") && strcmp(type, "CERT") && strcmp(type, "UPLOAD"))
		return emu_fail(r, 400, "InvalidParameter.OrderType", "OrderType must be CPACK, BUY, CERT or UPLOAD (got \"%.32s\").", type);
	static const char *const statuses[] = { "PAYED", "CHECKING", "CHECKED_FAIL", "ISSUED", "WILLEXPIRED", "EXPIRED", "NOTACTIVATED", "REVOKED" };
	int known = !status;
	for (size_t i = 0; status && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known |= strcmp(status, statuses[i]) == 0;
	if (!known)
		return emu_fail(r, 400, "InvalidParameter.Status", "Status \"%.32s\" is not valid.", status);
	if (page_of(p, 50, 1000, &page, &size, r))
		return -1;
	struct view_filter f = { .status = status, .keyword = emu_param(p, "Keyword") };
	int certs = strcmp(type, "CERT") == 0 || strcmp(type, "UPLOAD") == 0;
	f.upload_only = strcmp(type, "UPLOAD") == 0;
	f.default_valid = certs; /* [SDK] CERT/UPLOAD without Status: ISSUED and WILLEXPIRED only */
	cJSON *all, *list;
	pthread_rwlock_rdlock(&s->lock);
	if (certs) {
		all = store_views(s, &f);
	} else {
		all = cJSON_CreateArray(); /* BUY: the emulator has no purchase orders [OURS] */
		for (size_t i = 0; i < s->ninst && strcmp(type, "CPACK") == 0; i++) {
			cJSON *o = cpack_item(s->inst[i].obj);
			if ((!status || strcmp(str_of(o, "Status"), status) == 0) && keyword_hit(o, f.keyword))
				cJSON_AddItemToArray(all, o);
			else
				cJSON_Delete(o);
		}
	}
	pthread_rwlock_unlock(&s->lock);
	list = certs ? slice(all, page, size, order_item) : slice(all, page, size, NULL);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "CertificateOrderList", list);
	cJSON_AddNumberToObject(body, "CurrentPage", (double)page);
	cJSON_AddNumberToObject(body, "ShowSize", (double)size);
	cJSON_AddNumberToObject(body, "TotalCount", cJSON_GetArraySize(all));
	cJSON_Delete(all);
	return emu_ok(r, body);
}

static const char *lc_status(const cJSON *c)
{
	const char *st = order_status(c);
	return strcmp(st, "EXPIRED") == 0 ? "expired" : strcmp(st, "WILLEXPIRED") == 0 ? "willExpire" : "issued";
}

/* ListCertificates' item. */
static cJSON *lc_item(const cJSON *c)
{
	cJSON *o = cJSON_CreateObject();
	char ident[64], id[32];
	cert_ident(c, ident);
	snprintf(id, sizeof(id), "%lld", (long long)i64_of(c, "CertificateId"));
	int upload = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "Upload"));
	cJSON_AddStringToObject(o, "Algorithm", str_of(c, "Algorithm"));
	cJSON_AddStringToObject(o, "CertIdentifier", ident);
	cJSON_AddStringToObject(o, "CertificateId", id); /* [SDK] a string here */
	cJSON_AddStringToObject(o, "CertificateName", str_of(c, "Name"));
	cJSON_AddStringToObject(o, "CertificateSource", upload ? "UPLOAD" : "BUY");
	cJSON_AddStringToObject(o, "CertificateStatus", lc_status(c));
	cJSON_AddStringToObject(o, "CommonName", str_of(c, "CommonName"));
	cJSON_AddStringToObject(o, "Domain", str_of(c, "Sans"));
	cJSON_AddBoolToObject(o, "ExistPrivateKey", upload ? 1 : emu_json_str(c, "InstanceId") != NULL);
	cJSON_AddStringToObject(o, "FingerPrint", str_of(c, "Fingerprint"));
	cJSON_AddStringToObject(o, "InstanceId", str_of(c, "InstanceId"));
	cJSON_AddStringToObject(o, "Issuer", str_of(c, "Issuer"));
	cJSON_AddNumberToObject(o, "KeySize", (double)i64_of(c, "KeySize"));
	cJSON_AddNumberToObject(o, "NotAfter", (double)i64_of(c, "NotAfter"));
	cJSON_AddNumberToObject(o, "NotBefore", (double)i64_of(c, "NotBefore"));
	cJSON_AddStringToObject(o, "Serial", str_of(c, "SerialNo"));
	cJSON *sans = cJSON_AddArrayToObject(o, "SubjectAlternativeNames");
	for (const char *q = str_of(c, "Sans"); *q;) {
		size_t n = strcspn(q, ",");
		char *one = cas_xstrndup(q, n);
		cJSON_AddItemToArray(sans, cJSON_CreateString(one));
		free(one);
		q += n + (q[n] == ',');
	}
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(c, "UsingProductList");
	cJSON_AddItemToObject(o, "UsingProductList", u ? cJSON_Duplicate(u, 1) : cJSON_CreateArray());
	return o;
}

int emu_act_list_certificates(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *src = emu_param(p, "CertificateSource"), *st = emu_param(p, "CertificateStatus");
	const char *inst = emu_param(p, "InstanceId");
	int64_t page, size;
	if (src && strcmp(src, "BUY") && strcmp(src, "TEST") && strcmp(src, "UPLOAD"))
		return emu_fail(r, 400, "InvalidParameter.CertificateSource", "CertificateSource must be BUY, TEST or UPLOAD (got \"%.32s\").", src);
	if (st && strcmp(st, "issued") && strcmp(st, "revoked") && strcmp(st, "willExpire") && strcmp(st, "expired"))
		return emu_fail(r, 400, "InvalidParameter.CertificateStatus", "CertificateStatus \"%.32s\" is not valid.", st);
	if (page_of(p, 10, 100, &page, &size, r)) /* [SDK] default 10, at most 100 */
		return -1;
	struct view_filter f = { .keyword = emu_param(p, "Keyword") }; /* [OURS] no status: every status */
	f.upload_only = src && strcmp(src, "UPLOAD") == 0;
	f.issued_only = src && strcmp(src, "UPLOAD") != 0;
	pthread_rwlock_rdlock(&s->lock);
	cJSON *all = store_views(s, &f);
	pthread_rwlock_unlock(&s->lock);
	if (src && strcmp(src, "TEST") == 0)
		cJSON_Delete(all), all = cJSON_CreateArray(); /* the emulator issues no test certificates */
	for (cJSON *e = all->child, *next; e; e = next) {
		next = e->next;
		if ((st && strcmp(lc_status(e), st)) || (inst && strcmp(str_of(e, "InstanceId"), inst)))
			cJSON_Delete(cJSON_DetachItemViaPointer(all, e));
	}
	cJSON *body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "CertificateList", slice(all, page, size, lc_item));
	cJSON_AddNumberToObject(body, "CurrentPage", (double)page);
	cJSON_AddNumberToObject(body, "ShowSize", (double)size);
	cJSON_AddNumberToObject(body, "TotalCount", cJSON_GetArraySize(all));
	cJSON_Delete(all);
	return emu_ok(r, body);
}

/* The stored upload with this CertificateId, or NULL. Lock held. */
static cJSON *find_upload(struct emu_state *s, int64_t id)
{
	for (cJSON *e = s->store->child; e; e = e->next)
		if (i64_of(e, "CertificateId") == id)
			return e;
	return NULL;
}

static int name_taken(struct emu_state *s, const char *name)
{
	for (const cJSON *e = s->store->child; e; e = e->next)
		if (strcmp(str_of(e, "Name"), name) == 0)
			return 1;
	for (size_t i = 0; i < s->ninst; i++)
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->inst[i].obj, "_StoreDeleted")) &&
		    strcmp(str_of(s->inst[i].obj, "CertificateName"), name) == 0 &&
		    cJSON_GetObjectItemCaseSensitive(s->inst[i].obj, "CertificateId"))
			return 1;
	return 0;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int emu_store_add(struct emu_state *s, const char *name, const char *cert, const char *key, cJSON *fields,
		  struct emu_reply *r)
{
	int64_t id = 0;
	pthread_rwlock_wrlock(&s->lock);
	if (name_taken(s, name)) {
		pthread_rwlock_unlock(&s->lock);
		cJSON_Delete(fields);
		return emu_fail(r, 400, "NameRepeat", "The certificate name already exists.");
	}
	id = s->next_cert_id++;
	cJSON_AddNumberToObject(fields, "CertificateId", (double)id);
	cJSON_AddStringToObject(fields, "Name", name);
	cJSON_AddStringToObject(fields, "Cert", cert);
	cJSON_AddStringToObject(fields, "Key", key);
	cJSON_AddBoolToObject(fields, "Upload", 1);
	if (!cJSON_GetObjectItemCaseSensitive(fields, "ResourceGroupId"))
		cJSON_AddStringToObject(fields, "ResourceGroupId", "");
	cJSON_AddArrayToObject(fields, "UsingProductList");
	cJSON_AddArrayToObject(fields, "_UsedBy");
	cJSON_AddItemToArray(s->store, fields);
	pthread_rwlock_unlock(&s->lock);
	char rid[64];
	snprintf(rid, sizeof(rid), "%lld-cn-hangzhou", (long long)id);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddNumberToObject(body, "CertId", (double)id);
	cJSON_AddStringToObject(body, "ResourceId", rid); /* [OURS] its format */
	r->applied = 1;
	return emu_ok(r, body);
}

int emu_act_upload_user_certificate(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *name = emu_param(p, "Name"), *cert = emu_param(p, "Cert"), *key = emu_param(p, "Key");
	if (!name)
		return emu_fail(r, 400, "MissingParameter.Name", "The input parameter \"Name\" that is mandatory for processing this request is not supplied.");
	if (utf8_chars(name) > NAME_MAX_CHARS)
		return emu_fail(r, 400, "InvalidParameter.Name", "The certificate name is longer than %d characters.", NAME_MAX_CHARS);
	if (emu_param(p, "SignCert") || emu_param(p, "EncryptCert"))
		return emu_fail(r, 400, "InvalidParameter.SM2", "The emulator does not store SM2 certificate pairs.");
	if (!cert)
		return emu_fail(r, 400, "MissingParameter.Cert", "The input parameter \"Cert\" that is mandatory for processing this request is not supplied.");
	if (!key)
		return emu_fail(r, 400, "MissingParameter.Key", "The input parameter \"Key\" that is mandatory for processing this request is not supplied.");
	cJSON *fields = cJSON_CreateObject();
	const char *code = emu_pki_check_upload(cert, key, fields);
	if (code) {
		cJSON_Delete(fields);
		return emu_fail(r, 400, code, strcmp(code, "NotMatch.CertificateAndPrivateKey") == 0
					? "The certificate does not match the private key (the leaf must come first)."
				    : strcmp(code, "PrivateKeyFormatException") == 0 ? "The private key format is invalid or the key is encrypted."
										     : "The certificate format is invalid.");
	}
	const char *rg = emu_param(p, "ResourceGroupId");
	if (rg)
		cJSON_AddStringToObject(fields, "ResourceGroupId", rg);
	return emu_store_add(s, name, cert, key, fields, r);
}

int emu_act_delete_user_certificate(struct emu_state *s, const struct cas_params *p, struct emu_reply *r)
{
	const char *cid = emu_param(p, "CertId");
	int64_t want;
	if (!cid)
		return emu_fail(r, 400, "MissingParameter.CertId", "The input parameter \"CertId\" that is mandatory for processing this request is not supplied.");
	if (emu_parse_i64(cid, &want) || want <= 0)
		return emu_fail(r, 400, "InvalidParameter.CertId", "The parameter CertId is invalid (got \"%.32s\").", cid);
	pthread_rwlock_wrlock(&s->lock);
	cJSON *up = find_upload(s, want), *view = NULL, *inst = NULL;
	for (size_t i = 0; !up && i < s->ninst && !inst; i++)
		if (i64_of(s->inst[i].obj, "CertificateId") == want && (view = instance_view(s->inst[i].obj)))
			inst = s->inst[i].obj;
	const cJSON *c = up ? up : view;
	int rc = 0;
	if (!c) {
		rc = emu_fail(r, 404, "InvalidCertId.NotFound", "The specified certificate \"%.32s\" does not exist.", cid);
	} else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "UsingProductList")) > 0) {
		char *u = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "UsingProductList"));
		rc = emu_fail(r, 400, "OperationDenied.CertificateInUse", "The certificate is in use by %.400s.", u);
		free(u);
	} else if (inst && strcmp(order_status(c), "EXPIRED") != 0) {
		rc = emu_fail(r, 400, "OperationDenied.CertificateNotExpired",
			      "Only an uploaded or an expired certificate can be deleted.");
	} else if (up) {
		cJSON_Delete(cJSON_DetachItemViaPointer(s->store, up));
		r->applied = 1;
	} else {
		emu_json_set(inst, "_StoreDeleted", cJSON_CreateTrue());
		r->applied = 1;
	}
	pthread_rwlock_unlock(&s->lock);
	cJSON_Delete(view);
	return rc ? rc : emu_ok(r, cJSON_CreateObject());
}

int emu_store_detail(struct emu_state *s, int64_t want, int with_secrets, cJSON *body)
{
	int found = 0;
	pthread_rwlock_rdlock(&s->lock);
	const cJSON *c = find_upload(s, want);
	if (c) {
		char d[2][16], ident[64];
		iso_date(i64_of(c, "NotBefore"), d[0]);
		iso_date(i64_of(c, "NotAfter"), d[1]);
		cert_ident(c, ident);
		cJSON_AddStringToObject(body, "Algorithm", str_of(c, "Algorithm"));
		cJSON_AddBoolToObject(body, "BuyInAliyun", 0);
		if (with_secrets) {
			cJSON_AddStringToObject(body, "Cert", str_of(c, "Cert"));
			cJSON_AddStringToObject(body, "Key", str_of(c, "Key"));
		}
		cJSON_AddStringToObject(body, "CertIdentifier", ident);
		cJSON_AddStringToObject(body, "City", "");
		cJSON_AddStringToObject(body, "Common", str_of(c, "CommonName"));
		cJSON_AddStringToObject(body, "Country", "");
		cJSON_AddStringToObject(body, "EndDate", d[1]);
		cJSON_AddBoolToObject(body, "Expired", i64_of(c, "NotAfter") <= emu_now_ms());
		cJSON_AddStringToObject(body, "Fingerprint", str_of(c, "Fingerprint"));
		cJSON_AddNumberToObject(body, "Id", (double)want);
		cJSON_AddStringToObject(body, "Issuer", str_of(c, "Issuer"));
		cJSON_AddStringToObject(body, "Name", str_of(c, "Name"));
		cJSON_AddNumberToObject(body, "NotAfter", (double)i64_of(c, "NotAfter"));
		cJSON_AddNumberToObject(body, "NotBefore", (double)i64_of(c, "NotBefore"));
		cJSON_AddStringToObject(body, "OrgName", "");
		cJSON_AddStringToObject(body, "Province", "");
		cJSON_AddStringToObject(body, "ResourceGroupId", str_of(c, "ResourceGroupId"));
		cJSON_AddStringToObject(body, "Sans", str_of(c, "Sans"));
		cJSON_AddStringToObject(body, "SerialNo", str_of(c, "SerialNo"));
		cJSON_AddStringToObject(body, "Sha2", str_of(c, "Sha2"));
		cJSON_AddStringToObject(body, "StartDate", d[0]);
		cJSON_AddItemToObject(body, "Tags", cJSON_CreateArray());
		found = 1;
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

int emu_store_mark_in_use(struct emu_state *s, int64_t id, const char *product, const char *resource)
{
	int rc = -1;
	pthread_rwlock_wrlock(&s->lock);
	cJSON *c = find_upload(s, id);
	cJSON *target = c;
	for (size_t i = 0; !target && i < s->ninst; i++)
		if (i64_of(s->inst[i].obj, "CertificateId") == id)
			target = s->inst[i].obj;
	if (target) {
		cJSON *u = cJSON_GetObjectItemCaseSensitive(target, "UsingProductList");
		if (!cJSON_IsArray(u)) {
			u = cJSON_CreateArray();
			emu_json_set(target, "UsingProductList", u);
		}
		if (!product) {
			emu_json_set(target, "UsingProductList", cJSON_CreateArray());
			emu_json_set(target, "_UsedBy", cJSON_CreateArray());
		} else {
			int dup = 0;
			for (const cJSON *e = u->child; e; e = e->next)
				dup |= cJSON_IsString(e) && strcmp(e->valuestring, product) == 0;
			if (!dup)
				cJSON_AddItemToArray(u, cJSON_CreateString(product));
			cJSON *by = cJSON_GetObjectItemCaseSensitive(target, "_UsedBy");
			if (!cJSON_IsArray(by)) {
				by = cJSON_CreateArray();
				emu_json_set(target, "_UsedBy", by);
			}
			cJSON *one = cJSON_CreateObject();
			cJSON_AddStringToObject(one, "Product", product);
			cJSON_AddStringToObject(one, "Resource", resource ? resource : "");
			cJSON_AddItemToArray(by, one);
		}
		rc = 0;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}
