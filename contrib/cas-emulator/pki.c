/* pki: root and intermediate CA, and leaves for issued instances (see pki.h).
 * Keys of leaves, per KeyAlgorithm: RSA_2048 and ECC_256 use the embedded
 * test keys of csrgen.c, RSA_3072 and RSA_4096 the two embedded below (so
 * those leaves are reproducible, and no request waits seconds for an RSA
 * key generation); SM2 keys are generated once per process on first use
 * (fast; OpenSSL offers no seeded generation). Every leaf of an algorithm
 * shares its key. These keys are public test material and protect nothing. An instance whose CSR was uploaded gets a leaf for the
 * CSR's public key and an empty Key: the service never saw the private key.
 * SM2 instances get a signing and an encryption certificate (SignCert /
 * EncryptCert) and an empty Cert, as the service returns dual certificates. */
#include "pki.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "csrgen.h"
#include "emu.h"
#include "sign.h"

#define DAY_MS 86400000LL

static const char rsa3072_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQCtBky0urniQpJ+\n"
	"L+p/L94rbz1XIUbO2nnUIm2Z+mIhtVAn6LLzmiEcgawDfBTBYmCkpOvwD93VoETB\n"
	"8yQuUzUePqwGK/gspfaW1pDkm1RNSB7YigNdUbIPZqrUz5oGHmvPNkQfYJGLDwtr\n"
	"98llQmRKzlBvJm2e7J13NKj8QCve7dhXcDrjyWMM4EUo8E1DF5JSvXU19hBUVN3X\n"
	"r2ITEXxs7LIcAKnun5JvEwYGMImS/tscJmjHI81gDF8RQJc63yivEUO7gPd5wDFz\n"
	"AF9IPaDeyL4xQzm+g/eNrI0LXGt5ubUQkgn129GTKSxMM2vmO2pWvoDV5J2GjOPI\n"
	"2hB0Ueb6Z7clKLMahiKZaSPqaqIjIfzREVWzjhFcq7Z2BUhndgNUNNsvQaVneeFz\n"
	"GNdutq3RqsBYcAo2uN44387pg3sMK6k4QzRd8eg8cb8Zj6Jr7uCOFymHgSQQLEND\n"
	"yoCCQxTH9GZukFtY3lLGbWDZOROyq04GF6DKF7rPVg6wD+oGuP8CAwEAAQKCAYBI\n"
	"v9rVrKNGpo4Yv4Xd518HLTUB4wx2IfdSgg1KTjQfjzA+L4G6mkYsybrtFilV7ErN\n"
	"P0iyvcEcts/iKpy+W578cgZ7a9Zj0348isgOTt8hxV6u1ky22og/IIBYjVdqFjVn\n"
	"QR5ggQaBDRjU0zEbQdCQgXHhYit6RGuq+PnKYiLwD1pE3XvtVbovaka6AVvDB3Cv\n"
	"GFjlkOnpw2spamUWtmX2GImE66SHoBF+YWXJiXP22fB/xAiPHpcWOO1qABn2F2i+\n"
	"FFm6s6Wi1Vg+3UIh+ITT+ECfn2Meha3qgtCtJGSPHQAirAU/S7CGBJHWhcy1XG+T\n"
	"X8r/ceHxvLotgGsPI/+ocke3RU9OJZ3LNKGOf2QA1yVeOfl+xQP1tztKADcVxktx\n"
	"/BE4+3Z8qM6reMwlMdb5ZTPFSc1e12q/gFj+gdQ5ZzWbAlfyap1DgeJsqLp7gRB5\n"
	"sA6T3C84NDp2u7RYWyPLrQpz6GdmAH8z5sHl8oSxSSZueY83RinfDyflTx3OvaEC\n"
	"gcEA7EKIfJe6KrWvvcIUNodIDhzGm70/FZfTgBVnIHlyq6ji55Q84skpRGIsHaX1\n"
	"4uwMIQm1tEVEeoS8yvCvqzbz7n/0zQvjxHC5I15Xs+L8erMor/e861yeUXNWQucy\n"
	"9fxw6177J0RZvopxdaSC0D4iX0HxNQcNqth81rC2ibfAaYqMuSwAEAeiL0lPPMG1\n"
	"EeZF1kl7mjR7dVQLfp3KgbXWod0n+nDNEoqKempaNMsVEwNMINe9e7LqgNAwB1hL\n"
	"DhGfAoHBALt7MvhKrZeNZcZOFQsxlv7YEBfZIU3Kat8glUINdsu86IQGqQB3BJ6I\n"
	"uDfPIwx23dGsd0PlSCuD5VNZcAachz8dPy2Tk7FTJsbU6UpjcoDQGLiYKpZFe1x2\n"
	"ZLZuir5Cu88v4MYjRSVv5Fb2Z01OUryKQLjc9zUvhiQ6/dVCiCKtwWEgB9Hdgv2B\n"
	"yscDMlgg75srmP8gC6/4qH2DFSAaFArCmASCq+vLOyeD3JLgV+77ut1zTbSVgycs\n"
	"ZkjQHlfcoQKBwGvQdN5+kus4nCk5LuYvV/dwtEWP2ADvlwnFOpl8MpMZb+qEIEDR\n"
	"0a4uKrmg6ZOTanmNJ8lLLtPGTS1DJrc4TZrR85G60kbrteDpBZbGh7cqmO+sWx8A\n"
	"1hKPUpcXUI8mkxUl8/DYZSfpn5sy5qtHH4Je4kbzoA4N2vJSFArGutyu6Eb8SE8I\n"
	"XL+9cZZlQ08WyVnfkLMvLgO9xb0THr2QkJCvDrZf0YWbiVQRwnaDEmvpvkzihsqz\n"
	"PAZqevBvH1kdOwKBwQC2h4XiUuKbkKCr5015rngx+a4BafaQxCg0wIZQ3sbwKSW/\n"
	"lLRprXaj2rxwKY0YD4p7Hwym383Z//n/oi39YdwTSKg/+VRr6mbwYk4XjKboXrIS\n"
	"1qNv1on6RZJcQ1d1UYeEejq+7YvenQeU2yVMEJtg0MGeuhM8ht5027JSNQpRqRWD\n"
	"OCok2yMzKXCBPc2AG+DsFBBLI6n9U3zHZh3lOT6WE0rp6Ub0tNMM78aKgT1bgV43\n"
	"SJE45e/g7ctPzMAeDsECgcBLKfZbxPs9AQu6cOttx1rhX7cYz7cieYaGFnz7Bad7\n"
	"CmK6n1rQUmE4qBIZ7facexHaze8ucYw8q3InHrZuiTNmWqfSQyj83auXC2Lqbjhu\n"
	"fruVlQ8C6Imxdy94RZXAAy/x8AC48TfA7hj1k/DFxIkTvZKF0CGbyAOklocuIKFD\n"
	"bzvJr6gWh9yEoKugjZPSNyZDCv15/CGY15FLaEx3Yr8QcZXSUxU2gOESZ8JVsFyh\n"
	"SFeM63Jhe1dSCAJWvrR6E1I=\n"
	"-----END PRIVATE KEY-----\n"
;

static const char rsa4096_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIJQQIBADANBgkqhkiG9w0BAQEFAASCCSswggknAgEAAoICAQDKzbfm/4x1nX3X\n"
	"ucHNHQwQDmY+ZFlRZGzM0ABCVS5Wl1IssvPZID246eIltSe5dtgGx116EpOZvtUf\n"
	"U7nBAA7VmMZ5Q91N5xGZs1h8lcsZS8nGxA6SumxJIOo4YZrLccKLFVy0uX01ifgb\n"
	"sJRfC7TQrxRt+7n4JrTfbWL3re9iS5SCKBzFZEXal3ofHgVDa2ndg0rauF4LXzGc\n"
	"Nen4on93pcq3vQRhonL8vBfMxbHML/qcbtqHq4Z1dcZMrHhjSXmoJEbJ5Hv9pXc0\n"
	"OD8oihtjmy0FTLB5ane+o27xn7QdVIcJid+4nIagW2AlLR6tyZ1uVOnBgNnaQkin\n"
	"AHWy/Ex6E4AzycM7zz4GoKUnnBxmxQY14mwRy+B7fsZdb5eD2DXUstXWLom8JFb6\n"
	"uG6xO25LxJjuCT0LiPNaATkGqFlF7c5smW4hhMzKTswFsv7SOLxOKAy+SZUF3adY\n"
	"nw0EnsPDrMViU43iFXf+yPmn9hOKdmqz4fRrIsNHPPFqj6Lo80BbX/y1cDUXMHMQ\n"
	"SUBi3KWyaZKGBBSOx8kjzEosiXTKdbBx6ciz/Y01sQt/QWFqd5XkiZ3Hsl/+zc8z\n"
	"X0I14Dhi41HaNUGG9EG5/Q7boWyNl6W1fMEg/GM7dzGi6gJYF3wJGQiMyYlORukh\n"
	"ECvu14dWvd+R7+Nty99QdLfJpBmw7QIDAQABAoICAAdWR/f4eNlseDgMxWEpUt1l\n"
	"1/cb5EtYicMjJ08/C60gTl3Fn6LUUsdU1tSsaCKClTAxmEUpVOO0DrvSaJ795It/\n"
	"unZ6qQ//cxiPb30aYj2pC0TApRJT4kUHBtJBXbtMg1BK1o7HQytjsXE3AzcpEkKW\n"
	"gvOzrre2lsaai4EQbt+sglPvJZNSnGBbKJTlniUhRrQ34sZk8yoQKJhRLwTKxDfM\n"
	"7LeXBAiQOv6/w1CqOlN7zOJJ9GgCIZwwRZtShgx5hQg7P8BgHsg/az+dZVOPI4yH\n"
	"+an+a0gJPQnNmd7t+zMwcq46qbhhGVHF3IWby0dYSvTJ56cThU4rJbu8/YUbMZ0M\n"
	"dl936RRr2tvkxW3eKGE8ZJ4tljlmXE3g3QnqLndAN8Ph9Ir4hxciuwzpIxSgArq+\n"
	"ALW1DtRG40vrsCNkWeKwv67rpx5P3s08g9KbziJZgkJ8Eu0BlzjnWTI/CX9R2Mzo\n"
	"rRGoeOCMnX7eLruRPEQ5NxlNjpnvndcUbyVU+nVwouSN6du054i6pN8w4Y8RrEJw\n"
	"0THgbiszBF7AuId04YWP6zyXQOTbURA2ZwbWtmkR2zimKw77dvWh/Qf/pGqSkxnR\n"
	"XIaldCYTe20BnFOf9sQmpFV9YqDPmQziuDBH08qctcS3t1GIS/IX2LDivGc7rxop\n"
	"vBhT8u0V2Y9WfoXt5+9VAoIBAQD6PC1AsHVmPVz6X6EBPWlSdc6frXhRhcuaN2U8\n"
	"hDfBEbMuv0na8Y4QVx0rAC6u3clg18tILY+FLTH2vJH+kjSzWjhLRSOwKLzbM0Lm\n"
	"Q1Qk99ANp4c3hR1leH8rCZ+ARekxsrO3O8SNZY/+cyb/NlaFMMzgBb9hfhdsqo7g\n"
	"l2F9Jahq+AYPbBv4DAw/8f9fV+VSTtxyePbsmjchr0Fi9RW7bRpTtfmF6TwIyFu6\n"
	"y18S5fUj8gmrPQGN77rMBn75OkFWSLrw7n7il9C8bg9duMOYBKBryz/geyDohmu2\n"
	"kboHbI5mQ15DAlnj0ln5JA1/e/dvsmjOmuPo93I1DcPhWR7vAoIBAQDPec1++QrD\n"
	"WCWIVCQSXlqLFt+8D5RXFF84WmlUZb2aN3JqqzuObqW6y4m/GXRJedyuvuZQtl83\n"
	"idI0lq8hfOLyuHpXqEsjqd8ZAJ2yoZAJ+/2UymAm4D1F9y4T1qgGL2J5IcMRFoNL\n"
	"mmyqm+i6awcVCbDzeXgDX3Tityxu0x95hgCAXV7bah02STvGtwSqZoOpfzAIllez\n"
	"fxBlJi6yN1E9Cb0GvizJRoXcmj7e4TdPD8JUwD2X7rh6NraV/udGQjf1g8bXL/3a\n"
	"ARlnWpdTv3ADrgZN85c7cwK4chlKibowaShDjk4z4KL/x1b4Ok5isodFug5002LT\n"
	"LiMg6Ea2kO3jAoIBAGji/FzXGf5mzigsGUJ5yUHFG3yWq44QNM1JVufMy8njb2Wy\n"
	"zHQ3N8LloNY7V1X4pMYw7YYtgrDhxsWTOOapxek/ccUrD9Bw4uhGTk5R/l0Yel6e\n"
	"z/CXnUDBBxy1BeQwaZRpQScWqEZUQcz322qyDgX59IYaIqPsxEjKHOVKzpQ0Sqm7\n"
	"mF6yg+6urhvHhbEjGH4ti/13cpit81ntKc0eyaMsEhLwfcyBfKZ5xOlBAXLcbKpK\n"
	"c38RLSufRn7qYiJ5JpXSGnmOniTAWcABqfMw1NtNZSiJoxamxZ5xaYi3AHDIMc/v\n"
	"gP05aRAzRX9Ge1nqTkbFU2T2S32E6pwOTwKP5oUCggEAXXNgcxObnHdEmI5FnRxw\n"
	"rfuElQFzcHGVnh1jGgeliiP1XkR4U+RUs7lf9vpxHXNNSkxkEvDCHJLwYo2Ino3Q\n"
	"70DWoksEZTDrcyiK313UMhsVkgJBouEX2D7Iu1jRX8/SC/uAEF9SjiglUAdfoS/6\n"
	"BajS0ifhPauuSzv0QIrJv4PzD95+jlfShpQf35ap/FKmdR77tLJ7GDdgXB8Bo3Y1\n"
	"Gkgbo0DfjV09iCrVrLBGqE7R2jioxZlZ8HpabV9eLpA/Ak/zrRNJxPr/xUTRqoAs\n"
	"5QtqfYv9j2JzVD7YU3GLsqh64UrkwIsrAAh6jN4+VkhRk7+FKWvZNIOwgO7+gtbu\n"
	"vwKCAQBvebW1IKyty+JzwJEoEuJfVi+wZS+WQAt07McoJ9QbygGtJFBXoQ0GR5cs\n"
	"5r6cgF/e72Pu8U7j6ZQ0UPU1tgGJi0UpgX6QsAjqtPWbalj5ZaX9ldBuGr2JtzbJ\n"
	"/zuYnghr12u7IdgiLnSt7MNNTSWNxsDduc3Q9MytX9gR7eOxFS964K+oacdIu31W\n"
	"ktPhMKyJqCEcWNsNFWoQkXOQQKmnjCJk8WEK4GQfyl2aRUG1MVtl9UFYALvxHrtN\n"
	"Te3yjW4LKrtCvgwMgBBeglY4hw0fbOemTt8ehF0GbCGH37JmUv95grhdUmsAX4N+\n"
	"cKgkNKqz/BHE2aFc6BEn7wsICBE3\n"
	"-----END PRIVATE KEY-----\n"
;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *g_root_key, *g_int_key, *g_rsa3072, *g_rsa4096, *g_sm2_sign, *g_sm2_enc;
static X509 *g_root, *g_int;
static char *g_root_pem, *g_int_pem;

static EVP_PKEY *seeded_ed25519(uint64_t seed, const char *label)
{
	char in[96], hex[65];
	unsigned char raw[32];
	snprintf(in, sizeof(in), "cas-emulator %s %llu", label, (unsigned long long)seed);
	cas_sha256_hex(in, strlen(in), hex);
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	if (b && PEM_write_bio_X509(b, x)) {
		long n = BIO_get_mem_data(b, &data);
		out = cas_xstrndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ex)
		X509_add_ext(x, ex, -1);
	X509_EXTENSION_free(ex);
}

static void set_name(X509_NAME *n, const char *cn)
{
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"CN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"cas-emulator", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
}

/* A certificate for pub, named cn, signed by (issuer, ikey); issuer NULL = self-signed. */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, long serial, time_t nb, time_t na, X509 *issuer,
		       EVP_PKEY *ikey, const char *const *exts)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	set_name(X509_get_subject_name(x), cn);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, pub);
	for (const char *const *e = exts; *e; e += 2)
		add_ext(x, issuer, OBJ_txt2nid(e[0]), e[1]);
	if (!X509_sign(x, ikey, NULL)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

void emu_pki_init(uint64_t seed)
{
	static const char *const root_ext[] = { "basicConstraints", "critical,CA:TRUE", "keyUsage",
						"critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash", NULL };
	static const char *const int_ext[] = { "basicConstraints", "critical,CA:TRUE,pathlen:0", "keyUsage",
					       "critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash",
					       "authorityKeyIdentifier", "keyid:always", NULL };
	pthread_mutex_lock(&g_mu);
	if (!g_root) {
		/* fixed validity, so the CA does not depend on when the emulator started */
		time_t nb = 946684800 /* 2000-01-01 */, na = 4102444799 /* 2099-12-31 */;
		g_root_key = seeded_ed25519(seed, "root");
		g_int_key = seeded_ed25519(seed, "intermediate");
		g_root = make_cert(g_root_key, "cas-emulator Root CA", 1, nb, na, NULL, g_root_key, root_ext);
		g_int = make_cert(g_int_key, "cas-emulator DV TLS CA - G1", 2, nb, na, g_root, g_root_key, int_ext);
		g_root_pem = g_root ? pem_of(g_root) : NULL;
		g_int_pem = g_int ? pem_of(g_int) : NULL;
		ERR_clear_error();
	}
	pthread_mutex_unlock(&g_mu);
}

void emu_pki_cleanup(void)
{
	pthread_mutex_lock(&g_mu);
	EVP_PKEY *keys[] = { g_root_key, g_int_key, g_rsa3072, g_rsa4096, g_sm2_sign, g_sm2_enc };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	g_root_key = g_int_key = g_rsa3072 = g_rsa4096 = g_sm2_sign = g_sm2_enc = NULL;
	X509_free(g_root);
	X509_free(g_int);
	g_root = g_int = NULL;
	free(g_root_pem);
	free(g_int_pem);
	g_root_pem = g_int_pem = NULL;
	pthread_mutex_unlock(&g_mu);
}

const char *emu_pki_root_pem(void)
{
	return g_root_pem ? g_root_pem : "";
}

/* The shared key of an algorithm (generated once), or NULL. Lock held. */
static EVP_PKEY *shared_key(const char *alg, int enc)
{
	EVP_PKEY **slot = NULL;
	if (strcmp(alg, "RSA_3072") == 0)
		slot = &g_rsa3072;
	else if (strcmp(alg, "RSA_4096") == 0)
		slot = &g_rsa4096;
	else if (strcmp(alg, "SM2") == 0)
		slot = enc ? &g_sm2_enc : &g_sm2_sign;
	else
		return emu_csr_key(alg);
	if (!*slot && strcmp(alg, "SM2") == 0) {
		*slot = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	} else if (!*slot) {
		BIO *b = BIO_new_mem_buf(slot == &g_rsa3072 ? rsa3072_pem : rsa4096_pem, -1);
		*slot = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	ERR_clear_error();
	return *slot;
}

/* The public key of an uploaded CSR (a new reference), or NULL. */
static EVP_PKEY *csr_key(const cJSON *inst)
{
	const char *m = emu_json_str(inst, "GenerateCsrMethod"), *csr = emu_json_str(inst, "Csr");
	if (!m || strcmp(m, "upload") != 0 || !csr || !*csr)
		return NULL;
	BIO *b = BIO_new_mem_buf(csr, -1);
	X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = req ? X509_REQ_get_pubkey(req) : NULL;
	X509_REQ_free(req);
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		long n = BIO_get_mem_data(b, &data);
		out = cas_xstrndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

/* "DNS:a,DNS:b" from a comma-separated domain list (names with characters
 * outside [A-Za-z0-9.*-] are left out); *cn receives the first name. */
static char *san_of(const char *domain, char **cn)
{
	struct cas_buf b = CAS_BUF_INIT;
	*cn = NULL;
	for (const char *p = domain; p && *p;) {
		size_t len = strcspn(p, ",");
		int ok = len > 0 && len < 254;
		for (size_t i = 0; ok && i < len; i++)
			ok = isalnum((unsigned char)p[i]) || p[i] == '.' || p[i] == '-' || p[i] == '*';
		if (ok) {
			cas_buf_addf(&b, "%sDNS:%.*s", b.len ? "," : "", (int)len, p);
			if (!*cn)
				*cn = cas_xstrndup(p, len);
		}
		p += len + (p[len] == ',');
	}
	return cas_buf_steal(&b);
}

static void hex_digest(X509 *x, const EVP_MD *md, int upper, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	X509_digest(x, md, d, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, upper ? "%02X" : "%02x", d[i]);
	out[2 * n] = '\0';
}

static cJSON *chain_entry(X509 *x, int64_t nb_ms, int64_t na_ms, const char *cn, const char *issuer_cn)
{
	(void)x;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "CommonName", cn);
	cJSON_AddStringToObject(o, "IssuerCommonName", issuer_cn);
	cJSON_AddNumberToObject(o, "NotAfter", (double)na_ms);
	cJSON_AddNumberToObject(o, "NotBefore", (double)nb_ms);
	int64_t remain = (na_ms - emu_now_ms()) / DAY_MS;
	cJSON_AddNumberToObject(o, "RemainDay", (double)(remain > 0 ? remain : 0));
	return o;
}

static void iso_date(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

int emu_pki_issue(const cJSON *inst, int with_secrets, cJSON *body)
{
	static const char *const leaf_ext[] = { "basicConstraints", "critical,CA:FALSE", "keyUsage",
						"critical,digitalSignature,keyEncipherment", "extendedKeyUsage",
						"serverAuth,clientAuth", "subjectKeyIdentifier", "hash",
						"authorityKeyIdentifier", "keyid:always", NULL };
	int64_t cert_id, nb, na;
	const char *alg = emu_json_str(inst, "KeyAlgorithm");
	const char *domain = emu_json_str(inst, "CertificateDomain");
	if (!domain || !*domain)
		domain = emu_json_str(inst, "Domain");
	if (emu_json_i64(inst, "CertificateId", &cert_id) || emu_json_i64(inst, "CertificateNotBefore", &nb) ||
	    emu_json_i64(inst, "CertificateNotAfter", &na) || !g_int)
		return -1;
	char *cn = NULL, *san = san_of(domain, &cn);
	if (!cn) {
		free(san);
		return -1;
	}
	int sm2 = alg && strcmp(alg, "SM2") == 0;
	EVP_PKEY *uploaded = csr_key(inst);
	pthread_mutex_lock(&g_mu);
	EVP_PKEY *key = uploaded ? uploaded : shared_key(alg ? alg : "RSA_2048", 0);
	EVP_PKEY *enc_key = sm2 && !uploaded ? shared_key("SM2", 1) : NULL;
	const char *ext[sizeof(leaf_ext) / sizeof(leaf_ext[0]) + 2];
	memcpy(ext, leaf_ext, sizeof(leaf_ext));
	ext[sizeof(leaf_ext) / sizeof(leaf_ext[0]) - 1] = "subjectAltName";
	ext[sizeof(leaf_ext) / sizeof(leaf_ext[0])] = san;
	ext[sizeof(leaf_ext) / sizeof(leaf_ext[0]) + 1] = NULL;
	X509 *leaf = key ? make_cert(key, cn, (long)cert_id, (time_t)(nb / 1000), (time_t)(na / 1000), g_int, g_int_key,
				     ext)
			 : NULL;
	X509 *enc = enc_key ? make_cert(enc_key, cn, (long)cert_id + 1, (time_t)(nb / 1000), (time_t)(na / 1000), g_int,
					g_int_key, ext)
			    : NULL;
	char *leaf_pem = leaf ? pem_of(leaf) : NULL;
	char *priv = leaf && !uploaded ? key_pem(key) : NULL;
	char *enc_pem = enc ? pem_of(enc) : NULL, *enc_priv = enc ? key_pem(enc_key) : NULL;
	pthread_mutex_unlock(&g_mu);
	ERR_clear_error();
	int rc = leaf_pem ? 0 : -1;
	if (!rc) {
		char fp[EVP_MAX_MD_SIZE * 2 + 1], sha2[EVP_MAX_MD_SIZE * 2 + 1], dates[2][16];
		hex_digest(leaf, EVP_sha1(), 1, fp);
		hex_digest(leaf, EVP_sha256(), 1, sha2);
		iso_date(nb, dates[0]);
		iso_date(na, dates[1]);
		char *serial = cas_xasprintf("%llx", (unsigned long long)cert_id);
		const char *kalg = sm2 ? "SM2" : alg && strncmp(alg, "ECC", 3) == 0 ? "ECC" : "RSA";
		cJSON_AddStringToObject(body, "Algorithm", kalg);
		cJSON_AddBoolToObject(body, "BuyInAliyun", 1);
		if (with_secrets) {
			char *full = cas_xasprintf("%s%s", leaf_pem, g_int_pem);
			cJSON_AddStringToObject(body, "Cert", sm2 ? "" : full);
			cJSON_AddStringToObject(body, "Key", sm2 || !priv ? "" : priv);
			if (sm2) {
				char *enc_full = enc_pem ? cas_xasprintf("%s%s", enc_pem, g_int_pem) : cas_xstrdup("");
				cJSON_AddStringToObject(body, "SignCert", full);
				cJSON_AddStringToObject(body, "SignPrivateKey", priv ? priv : "");
				cJSON_AddStringToObject(body, "EncryptCert", enc_full);
				cJSON_AddStringToObject(body, "EncryptPrivateKey", enc_priv ? enc_priv : "");
				free(enc_full);
			}
			free(full);
		}
		cJSON *chain = cJSON_CreateArray();
		cJSON_AddItemToArray(chain, chain_entry(leaf, nb, na, cn, "cas-emulator DV TLS CA - G1"));
		cJSON_AddItemToArray(chain, chain_entry(g_int, 946684800000LL, 4102444799000LL, "cas-emulator DV TLS CA - G1",
							"cas-emulator Root CA"));
		cJSON_AddItemToObject(body, "CertChain", chain);
		const char *ident = emu_json_str(inst, "CertIdentifier");
		cJSON_AddStringToObject(body, "CertIdentifier", ident ? ident : "");
		cJSON_AddStringToObject(body, "Common", cn);
		cJSON_AddStringToObject(body, "EndDate", dates[1]);
		cJSON_AddBoolToObject(body, "Expired", na <= emu_now_ms());
		cJSON_AddStringToObject(body, "Fingerprint", fp);
		cJSON_AddNumberToObject(body, "Id", (double)cert_id);
		cJSON_AddNumberToObject(body, "NotAfter", (double)na);
		cJSON_AddNumberToObject(body, "NotBefore", (double)nb);
		cJSON_AddStringToObject(body, "Sans", domain);
		cJSON_AddStringToObject(body, "SerialNo", serial);
		cJSON_AddStringToObject(body, "Sha2", sha2);
		cJSON_AddStringToObject(body, "StartDate", dates[0]);
		free(serial);
	}
	if (priv)
		OPENSSL_cleanse(priv, strlen(priv));
	if (enc_priv)
		OPENSSL_cleanse(enc_priv, strlen(enc_priv));
	free(priv);
	free(enc_priv);
	free(leaf_pem);
	free(enc_pem);
	X509_free(leaf);
	X509_free(enc);
	EVP_PKEY_free(uploaded);
	free(cn);
	free(san);
	return rc;
}

/* The descriptive fields of a leaf, as the store keeps them (see pki.h). */
static void describe(X509 *leaf, cJSON *out)
{
	char fp[EVP_MAX_MD_SIZE * 2 + 1], sha2[EVP_MAX_MD_SIZE * 2 + 1], cn[256] = "", issuer[256] = "";
	hex_digest(leaf, EVP_sha1(), 1, fp);
	hex_digest(leaf, EVP_sha256(), 1, sha2);
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
	X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, issuer, sizeof(issuer));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	for (char *p = hex; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	struct tm tm;
	int64_t nb = 0, na = 0;
	if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm))
		nb = (int64_t)timegm(&tm) * 1000;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm))
		na = (int64_t)timegm(&tm) * 1000;
	struct cas_buf sans = CAS_BUF_INIT;
	GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			cas_buf_addf(&sans, "%s%.*s", sans.len ? "," : "", ASN1_STRING_length(g->d.dNSName),
				     (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	EVP_PKEY *pub = X509_get0_pubkey(leaf);
	int id = pub ? EVP_PKEY_get_base_id(pub) : 0;
	cJSON_AddStringToObject(out, "CommonName", cn);
	cJSON_AddStringToObject(out, "Issuer", issuer);
	cJSON_AddStringToObject(out, "Fingerprint", fp);
	cJSON_AddStringToObject(out, "Sha2", sha2);
	cJSON_AddStringToObject(out, "SerialNo", hex ? hex : "");
	cJSON_AddNumberToObject(out, "NotBefore", (double)nb);
	cJSON_AddNumberToObject(out, "NotAfter", (double)na);
	char *s = cas_buf_steal(&sans);
	cJSON_AddStringToObject(out, "Sans", s ? s : "");
	free(s);
	cJSON_AddStringToObject(out, "Algorithm", id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_SM2 ? "SM2" : "ECC");
	cJSON_AddNumberToObject(out, "KeySize", pub ? EVP_PKEY_get_bits(pub) : 0);
	OPENSSL_free(hex);
	BN_free(bn);
}

const char *emu_pki_check_upload(const char *cert, const char *key, cJSON *out)
{
	if (!key || strstr(key, "ENCRYPTED"))
		return "PrivateKeyFormatException";
	BIO *kb = BIO_new_mem_buf(key, -1);
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
	BIO_free(kb);
	const char *code = NULL;
	X509 *leaf = NULL;
	if (!k) {
		code = "PrivateKeyFormatException";
	} else {
		BIO *cb = BIO_new_mem_buf(cert ? cert : "", -1);
		leaf = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
		/* every further block must be a certificate too */
		X509 *more;
		int bad = 0;
		while (leaf && cb && !BIO_eof(cb) && (more = PEM_read_bio_X509(cb, NULL, NULL, NULL)))
			X509_free(more);
		unsigned long err = ERR_peek_last_error();
		if (leaf && err && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
			bad = 1;
		BIO_free(cb);
		if (!leaf || bad)
			code = "CertificateFormatException";
		else if (X509_check_private_key(leaf, k) != 1)
			code = "NotMatch.CertificateAndPrivateKey";
		else
			describe(leaf, out);
	}
	ERR_clear_error();
	X509_free(leaf);
	EVP_PKEY_free(k);
	return code;
}

int emu_pki_leaf(const char *cn, int64_t nb_ms, int64_t na_ms, long serial, char **chain, char **key)
{
	static const char *const ext[] = { "basicConstraints", "critical,CA:FALSE", "extendedKeyUsage", "serverAuth",
					   "subjectAltName", NULL, NULL };
	char *san = cas_xasprintf("DNS:%s", cn);
	const char *e[7];
	memcpy(e, ext, sizeof(ext));
	e[5] = san;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	pthread_mutex_lock(&g_mu);
	X509 *x = k && g_int ? make_cert(k, cn, serial, (time_t)(nb_ms / 1000), (time_t)(na_ms / 1000), g_int, g_int_key, e)
			     : NULL;
	pthread_mutex_unlock(&g_mu);
	char *leaf = x ? pem_of(x) : NULL;
	*chain = leaf ? cas_xasprintf("%s%s", leaf, g_int_pem) : NULL;
	*key = *chain ? key_pem(k) : NULL;
	free(leaf);
	free(san);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return *chain && *key ? 0 : -1;
}

const char *emu_pki_intermediate_pem(void)
{
	return g_int_pem ? g_int_pem : "";
}

int emu_pki_describe_instance(const cJSON *inst, cJSON *out)
{
	cJSON *d = cJSON_CreateObject();
	int rc = emu_pki_issue(inst, 0, d);
	if (!rc) {
		static const char *const keep[] = { "Fingerprint", "Sha2", "SerialNo", "NotBefore", "NotAfter", "Algorithm" };
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, keep[i]);
			if (v)
				cJSON_AddItemToObject(out, keep[i], cJSON_Duplicate(v, 1));
		}
		cJSON_AddStringToObject(out, "CommonName", emu_json_str(d, "Common") ? emu_json_str(d, "Common") : "");
		cJSON_AddStringToObject(out, "Sans", emu_json_str(d, "Sans") ? emu_json_str(d, "Sans") : "");
		cJSON_AddStringToObject(out, "Issuer", "cas-emulator DV TLS CA - G1");
	}
	cJSON_Delete(d);
	return rc;
}
