/* wipe: allocation that overwrites freed and moved blocks (see wipe.h). */
#include "wipe.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
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

void *cas_wipe_try_realloc(void *p, size_t n)
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

void *cas_wipe_realloc(void *p, size_t n)
{
	void *q = cas_wipe_try_realloc(p, n);
	if (!q) {
		fprintf(stderr, "casfs: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return q;
}

void cas_wipe_cjson_hooks(void)
{
	cJSON_Hooks h = { c_malloc, cas_wipe_free };
	cJSON_InitHooks(&h);
}
