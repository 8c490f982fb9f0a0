/* wipe: allocation that overwrites freed and moved blocks (see wipe.h). */
#include "wipe.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>


void cas_wipe_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void *c_malloc(size_t n)
{
	return malloc(n);
}

/* realloc that never leaves the old block behind unwiped */
static void *c_realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t old = malloc_usable_size(p);
	if (n && n <= old)
		return p;
	void *q = malloc(n ? n : 1);
	if (!q)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	cas_wipe_free(p);
	return q;
}

static char *c_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void *cas_wipe_realloc(void *p, size_t n)
{
	void *q = c_realloc(p, n);
	if (!q) {
		fprintf(stderr, "casfs: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return q;
}

int cas_wipe_curl_init(long flags)
{
	return (int)curl_global_init_mem(flags, c_malloc, cas_wipe_free, c_realloc, c_strdup, calloc);
}

void cas_wipe_cjson_hooks(void)
{
	cJSON_Hooks h = { c_malloc, cas_wipe_free };
	cJSON_InitHooks(&h);
}
