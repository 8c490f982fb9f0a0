/* test_commit: what a completed write does (fs/commit.c through
 * commit_document), over the fake API. The diff comes before validation:
 * a verbatim round trip of config makes no call, a field equal to the
 * current state is never validated (the service may hold a value casfs
 * would refuse), only differing fields are sent, sets compare as sets, and
 * bad input fails with EINVAL before any mutation, recorded once. Writers
 * of unrelated instances never wait for each other's calls. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apifile.h"
#include "fsfix.h"
#include "render.h"

/* The service's state of every instance: CountryCode holds a value casfs's
 * own validation refuses. */
#define DETAIL                                                                                                       \
	"\"City\": \"Hangzhou\", \"CountryCode\": \"ZZ-OLD\", \"Domain\": \"old.example\", "                      \
	"\"KeyAlgorithm\": \"RSA_2048\", \"CompanyId\": 7, \"ContactIdList\": [1, 2], "                           \
	"\"GenerateCsrMethod\": \"online\", \"Tags\": [{\"TagKey\": \"env\", \"TagValue\": \"prod\"}, "             \
	"{\"TagKey\": \"team\", \"TagValue\": \"web\"}]"

static struct fsfix X;

static int setup(void **state)
{
	fsfix_setup(state);
	X.f.detail_fields = DETAIL;
	return 0;
}

/* (a struct node holds pointers into itself: never return one by value) */
static void at(const char *path, struct node *n)
{
	assert_int_equal(fsfix_resolve(&X, path, n), 0);
}

static int write_doc(const char *path, const char *doc)
{
	struct node n;
	at(path, &n);
	return commit_document(&X.fs, &n, doc, strlen(doc));
}

static int updates(void)
{
	return fake_calls(&X.f, CAS_UPDATE_INSTANCE);
}

static void config_round_trip_makes_no_call(void **state)
{
	(void)state;
	struct node n;
	at("/instances/cas-0000/config", &n);
	struct snap *s;
	struct cas_error e;
	assert_int_equal(render_node(&X.fs, &n, &s, &e), 0);
	assert_non_null(strstr(s->data, "\"CountryCode\": \"ZZ-OLD\""));
	assert_int_equal(commit_document(&X.fs, &n, s->data, s->len), 0);
	cas_obj_unref(s);
	assert_int_equal(updates(), 0);
	assert_int_equal(atomic_load(&X.fs.st.noop_commits), 1);
	assert_int_equal(atomic_load(&X.fs.st.commits), 1);
	assert_int_equal(fsfix_errors(&X), 0);
	/* the same state in another order and shape, contacts and tags as sets */
	assert_int_equal(write_doc("/instances/cas-0000/config",
				   "{\"ContactIdList\":[2,1],\"Tags\":[{\"TagKey\":\"team\",\"TagValue\":\"web\"},"
				   "{\"TagKey\":\"env\",\"TagValue\":\"prod\"}],\"Province\":null,\"CountryCode\":\"ZZ-OLD\"}"),
			 0);
	assert_int_equal(updates(), 0);
}

static void unchanged_invalid_field_is_not_an_error(void **state)
{
	(void)state;
	/* CountryCode is invalid but unchanged: only City is validated and sent */
	assert_int_equal(write_doc("/instances/cas-0000/config", "{\"CountryCode\":\"ZZ-OLD\",\"City\":\"Shanghai\"}"), 0);
	assert_int_equal(updates(), 1);
	assert_int_equal(X.f.last_update_fields, 1);
	assert_int_equal(fsfix_errors(&X), 0);
}

static void changed_invalid_field_fails_before_any_call(void **state)
{
	(void)state;
	assert_int_equal(write_doc("/instances/cas-0000/config", "{\"CountryCode\":\"ZZ-NEW\"}"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/config", "{\"Colour\":\"red\"}"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/config", "{\"CompanyId\":\"seven\"}"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/config", "{\"City\":"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/tags", "env=prod\nbad line\n"), -EINVAL);
	assert_int_equal(updates(), 0);
	assert_int_equal(fsfix_errors(&X), 5);
	assert_int_equal(atomic_load(&X.fs.st.commit_errors), 5);
	assert_int_equal(atomic_load(&X.fs.st.validation_errors), 5);
}

static void value_files(void **state)
{
	(void)state;
	/* the row's update field gets the line; the same value sends nothing */
	assert_int_equal(write_doc("/instances/cas-0000/domain", "old.example\n"), 0);
	assert_int_equal(updates(), 0);
	assert_int_equal(write_doc("/instances/cas-0000/domain", "new.example\r\n\n"), 0);
	assert_int_equal(updates(), 1);
	assert_int_equal(X.f.last_update_fields, 1);
	assert_int_equal(write_doc("/instances/cas-0000/domain", "a.example\nb.example\n"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/domain", "not a domain!\n"), -EINVAL);
	assert_int_equal(write_doc("/instances/cas-0000/key_algorithm", "RSA_2048\n"), 0);
	assert_int_equal(updates(), 1);
	/* tags: the full set, compared as a set */
	assert_int_equal(write_doc("/instances/cas-0000/tags", "team=web\n\nenv=prod\n"), 0);
	assert_int_equal(updates(), 1);
	assert_int_equal(write_doc("/instances/cas-0000/tags", "env=prod\n"), 0);
	assert_int_equal(updates(), 2);
	/* csr: empty is refused, with the way back to online generation */
	assert_int_equal(write_doc("/instances/cas-0000/csr", "\n"), -EINVAL);
	/* read-only rows refuse a commit */
	assert_int_equal(write_doc("/instances/cas-0000/brand", "DigiCert\n"), -EPERM);
	assert_int_equal(updates(), 2);
}


struct writer {
	const char *path, *doc;
	int rc;
};


/* Which empty documents are refused without a call (flush's EINVAL for an
 * emptied, unwritten file): csr and refund always; tags and a value file
 * only where the file showed something (an empty set over an empty set is
 * no change); never a call. */
static void empty_refused(void **state)
{
	(void)state;
	struct node n;
	char why[300];
	at("/instances/cas-0001/tags", &n);
	assert_int_equal(commit_empty_refused(&n, "a=1\n", 4, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "tag"));
	assert_int_equal(commit_empty_refused(&n, "", 0, why, sizeof(why)), 0);
	assert_int_equal(commit_empty_refused(&n, "\n", 1, why, sizeof(why)), 0);
	at("/instances/cas-0001/csr", &n);
	assert_int_equal(commit_empty_refused(&n, "", 0, why, sizeof(why)), 1);
	at("/instances/cas-0001/refund", &n);
	assert_int_equal(commit_empty_refused(&n, "", 0, why, sizeof(why)), 1);
	at("/instances/cas-0001/auto_reissue", &n);
	assert_int_equal(commit_empty_refused(&n, "disable\n", 8, why, sizeof(why)), 1);
	assert_int_equal(commit_empty_refused(&n, "", 0, why, sizeof(why)), 0);
	assert_int_equal(fake_calls(&X.f, CAS_GET_INSTANCE_DETAIL) + updates(), 0);
}

static void *write_thread(void *arg)
{
	struct writer *w = arg;
	w->rc = write_doc(w->path, w->doc);
	return NULL;
}

static void unrelated_instances_do_not_wait(void **state)
{
	(void)state;
	/* the first writer holds cas-0000's lock while its detail call hangs */
	fake_hold(&X.f, 1);
	struct writer a = { "/instances/cas-0000/domain", "a.example\n", 1 };
	pthread_t ta;
	assert_int_equal(pthread_create(&ta, NULL, write_thread, &a), 0);
	fake_wait_held(&X.f, 1);
	/* a writer of another instance goes through meanwhile */
	assert_int_equal(write_doc("/instances/cas-0001/domain", "b.example\n"), 0);
	assert_int_equal(updates(), 1);
	fake_release(&X.f);
	pthread_join(ta, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(updates(), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(config_round_trip_makes_no_call, setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(unchanged_invalid_field_is_not_an_error, setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(changed_invalid_field_fails_before_any_call, setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(value_files, setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(empty_refused, setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(unrelated_instances_do_not_wait, setup, fsfix_teardown, &X),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
