/* test_nodes: fs/nodes.h over the fake API. node_resolve walks the path
 * grammar (canonical paths, inode = hash of the path, ENOENT, ENOTDIR,
 * ENAMETOOLONG, API errors passed through); node_child finds fixed rows
 * before variable ones and keeps the variable parts in id/name;
 * node_children lists fixed rows in table order (hidden ones left out,
 * absent ones skipped), then each variable row's names, and counts the
 * child directories nlink is made of; node_kind_of_path names a path's
 * kind without a call; a name a fixed row claims is never a scratch name
 * (nor one ending .pem/.key/.crt), and node_mode only clears bits.
 * by-brand/ is a view made of rows only (groups from the list's Brand,
 * links whose target is derived from the rows); struct node is a plain
 * value; the rows carry what invalidation needs (deps) and stay within
 * NODE_DEPTH_MAX. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsfix.h"
#include "kinds.h"
#include "scratch.h"

static struct fsfix X;

static int resolve(const char *path, struct node *n)
{
	return fsfix_resolve(&X, path, n);
}

/* The children of path joined by spaces, and the subdirectory count. */
static char *children(const char *path, size_t *subdirs)
{
	static char out[4096];
	struct node n;
	struct cas_error e;
	assert_int_equal(resolve(path, &n), 0);
	struct namelist l = { 0 };
	assert_int_equal(node_children(&X.fs, &n, &l, subdirs, &e), 0);
	out[0] = '\0';
	for (size_t i = 0; i < l.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", l.v[i]);
	namelist_free(&l);
	return out;
}

static void resolve_paths(void **state)
{
	(void)state;
	struct node n;
	assert_int_equal(resolve("/", &n), 0);
	assert_int_equal(n.type, T_ROOT);
	assert_int_equal(n.ino, 1);
	assert_true(node_is_dir(&n));

	assert_int_equal(resolve("//instances//cas-0002/domain/", &n), 0);
	assert_int_equal(n.type, T_DOMAIN);
	assert_string_equal(n.path, "/instances/cas-0002/domain");
	assert_string_equal(n.id, "cas-0002");
	assert_string_equal(n.name, "");
	assert_int_equal(n.ino, cas_path_ino("/instances/cas-0002/domain"));
	assert_false(node_is_dir(&n));

	/* the row carries the data its functions use */
	assert_string_equal(node_kind(&n)->update, "Domain");
	assert_int_equal(node_kind(&n)->value.off, offsetof(struct cas_instance, domain));
	assert_ptr_equal(node_kind(&n)->complete, complete_line);

	assert_int_equal(resolve("/by-status/normal/cas-0001", &n), 0);
	assert_int_equal(n.type, T_STATUS_LINK);
	assert_string_equal(n.id, "normal");
	assert_string_equal(n.name, "cas-0001");

	assert_int_equal(resolve("/cloud-access/888", &n), 0);
	assert_int_equal(n.type, T_ACCESS_ENTRY);
	assert_string_equal(n.id, "888");
	assert_int_equal(resolve("/private-ca/cas-member-1", &n), 0);
	assert_int_equal(n.type, T_CA_ENTRY);
	/* hidden from readdir, but resolvable */
	assert_int_equal(resolve("/.cas/stats", &n), 0);
	assert_int_equal(n.type, T_CTL_STATS);
}

static void resolve_errors(void **state)
{
	(void)state;
	struct node n;
	assert_int_equal(resolve("/nope", &n), -ENOENT);
	assert_int_equal(resolve("/instances/cas-9999", &n), -ENOENT);
	assert_int_equal(resolve("/instances/cas-0000/nope", &n), -ENOENT);
	assert_int_equal(resolve("/by-status/bogus", &n), -ENOENT);
	assert_int_equal(resolve("/by-status/closed/cas-0000", &n), -ENOENT); /* not of that status */
	assert_int_equal(resolve("/instances/cas-0000/detail/x", &n), -ENOTDIR);
	assert_int_equal(resolve("/summary/x", &n), -ENOTDIR);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	char path[400];
	snprintf(path, sizeof(path), "/instances/%s", longname);
	assert_int_equal(resolve(path, &n), -ENAMETOOLONG);
	/* an API failure is the caller's to see, with its error */
	fake_set(&X.f, &X.f.read_rc, -EIO);
	struct cas_error e;
	cas_error_clear(&e);
	assert_int_equal(node_resolve(&X.fs, "/instances/cas-0000", &n, &e), -EIO);
	assert_int_equal(e.http_status, 500);
	assert_int_equal(resolve("/summary", &n), 0); /* a fixed row needs no call */
	fake_set(&X.f, &X.f.read_rc, 0);
}

static void validity_present_only_when_set(void **state)
{
	(void)state;
	struct node n;
	/* the fake sets CertificateNotBefore/After on even instances only */
	assert_int_equal(resolve("/instances/cas-0000/not_before", &n), 0);
	assert_int_equal(n.type, T_NOT_BEFORE);
	assert_int_equal(resolve("/instances/cas-0000/not_after", &n), 0);
	assert_int_equal(resolve("/instances/cas-0001/not_before", &n), -ENOENT);
	assert_int_equal(resolve("/instances/cas-0001/not_after", &n), -ENOENT);
	size_t dirs = 99;
	assert_string_equal(children("/instances/cas-0000", &dirs),
			    "detail config status certificate_status domain name auto_reissue key_algorithm brand "
			    "type not_before not_after tags csr cert.pem chain.pem fullchain.pem refund");
	assert_int_equal(dirs, 0);
	/* key.pem only with -o keys (a row flag, NF_KEYS) */
	struct node n2;
	assert_int_equal(resolve("/instances/cas-0000/key.pem", &n2), -ENOENT);
	X.fs.o.keys = 1;
	assert_int_equal(resolve("/instances/cas-0000/key.pem", &n2), 0);
	assert_int_equal(n2.type, T_KEY_PEM);
	X.fs.o.keys = 0;
	assert_string_equal(children("/instances/cas-0001", NULL),
			    "detail config status certificate_status domain name auto_reissue key_algorithm brand "
			    "type tags csr refund");
}

static void children_and_nlink(void **state)
{
	(void)state;
	size_t dirs = 0;
	/* .cas is hidden but counted: nlink is 2 + 8 */
	assert_string_equal(children("/", &dirs), "instances by-status by-expiry by-brand summary instances.jsonl "
						  "cloud-access private-ca certificates certificates.jsonl");
	assert_int_equal(dirs, 8);
	/* the store (the fake's three certificates, the last expired) */
	assert_string_equal(children("/certificates", &dirs), "by-id expired by-expiry store-0 store-1 store-2");
	assert_string_equal(children("/certificates/expired", &dirs), "store-2");
	assert_string_equal(children("/by-expiry", &dirs), "expired 7d 30d 90d");
	assert_int_equal(dirs, 4);
	assert_string_equal(children("/instances", &dirs), "cas-0000 cas-0001 cas-0002 cas-0003 cas-0004");
	assert_int_equal(dirs, 5);
	assert_string_equal(children("/by-status", &dirs), "inactive pending willExpire expired refund normal closed");
	assert_int_equal(dirs, 7);
	assert_string_equal(children("/by-status/normal", &dirs), "cas-0000 cas-0001 cas-0002 cas-0003 cas-0004");
	assert_int_equal(dirs, 0); /* links */
	assert_string_equal(children("/by-status/expired", &dirs), "");
	assert_string_equal(children("/cloud-access", &dirs), "new 888");
	assert_int_equal(dirs, 0);
	assert_string_equal(children("/private-ca", NULL), "cas-member-1");
	assert_string_equal(children("/.cas", &dirs), "stats errors journal refresh metrics.prom events");
	/* a listing costs one list call per directory, never a detail */
	assert_int_equal(fake_calls(&X.f, CAS_GET_INSTANCE_DETAIL), 0);
}

/* by-brand/<Brand>/<id>: the fake gives instance i the brand "Brand-i" */
static void by_brand_view(void **state)
{
	(void)state;
	size_t dirs = 0;
	assert_string_equal(children("/by-brand", &dirs), "Brand-0 Brand-1 Brand-2 Brand-3 Brand-4");
	assert_int_equal(dirs, 5);
	assert_string_equal(children("/by-brand/Brand-2", &dirs), "cas-0002");
	assert_int_equal(dirs, 0);
	struct node n;
	assert_int_equal(resolve("/by-brand/Brand-2/cas-0002", &n), 0);
	assert_int_equal(n.type, T_BRAND_LINK);
	assert_string_equal(n.id, "Brand-2");
	assert_string_equal(n.name, "cas-0002");
	char *t = node_link_target(&n);
	assert_string_equal(t, "../../instances/cas-0002");
	free(t);
	assert_int_equal(resolve("/by-brand/Brand-2/cas-0001", &n), -ENOENT); /* not of that brand */
	assert_int_equal(resolve("/by-brand/Brand-9", &n), -ENOENT);
	assert_int_equal(node_kind_of_path("/by-brand/x/y"), T_BRAND_LINK);
	/* the other views' links are derived the same way */
	assert_int_equal(resolve("/by-status/normal/cas-0001", &n), 0);
	t = node_link_target(&n);
	assert_string_equal(t, "../../instances/cas-0001");
	free(t);
	assert_int_equal(fake_calls(&X.f, CAS_GET_INSTANCE_DETAIL), 0);
}

/* struct node is a plain value: a copy owns its strings */
static void node_is_a_value(void **state)
{
	(void)state;
	struct node a, b;
	assert_int_equal(resolve("/instances/cas-0003/sedXyz", &a), -ENOENT);
	assert_int_equal(resolve("/by-brand/Brand-3/cas-0003", &a), 0);
	b = a;
	memset(&a, 0, sizeof(a));
	assert_string_equal(b.id, "Brand-3");
	assert_string_equal(b.name, "cas-0003");
	assert_string_equal(b.path, "/by-brand/Brand-3/cas-0003");
	assert_true(sizeof(struct node) < 2048);
	/* the deepest path fits: two variable components of NAME_MAX bytes */
	char id[NODE_NAME_MAX + 1];
	memset(id, 'x', NODE_NAME_MAX);
	id[NODE_NAME_MAX] = '\0';
	struct node d = { .type = T_INSTANCE };
	snprintf(d.path, sizeof(d.path), "/instances/%s", id);
	assert_int_equal(strlen(d.path) + 1 + NODE_NAME_MAX < sizeof(d.path), 1);
}

/* The rows carry what generic code derives: depth, deps, link targets. */
static void rows_carry_their_data(void **state)
{
	(void)state;
	for (int t = 0; t < T_N; t++) {
		const struct node_kind *k = &node_kinds[t];
		int depth = 0;
		for (int r = t; node_kinds[r].parent >= 0; r = node_kinds[r].parent)
			depth++;
		assert_true(depth <= NODE_DEPTH_MAX);
		if (S_ISLNK(k->mode)) /* a link names the directory row it points to */
			assert_true(k->target > 0 && S_ISDIR(node_kinds[k->target].mode));
		/* every file of an instance is invalidated when its list entry changes */
		if (k->parent == T_INSTANCE && k->name)
			assert_true(k->deps & DEP(CAS_CK_INSTANCES));
		if (k->flags & NF_DETAIL)
			assert_true(k->deps & DEP(CAS_CK_DETAIL));
		/* a view's rows bind to the changed instance */
		if (k->flags & NF_VIEW)
			assert_true(k->deps & DEP(CAS_CK_INSTANCES));
	}
}

static void variable_rows(void **state)
{
	(void)state;
	struct node dir, n;
	struct cas_error e;
	assert_int_equal(resolve("/instances/cas-0003", &dir), 0);
	/* an instance directory has two variable kinds of child: none yet */
	assert_int_equal(node_child(&X.fs, &dir, "sedAbc123", &n, &e), -ENOENT);
	const struct node_kind *k = node_creator(T_INSTANCE, S_IFREG);
	assert_non_null(k);
	assert_ptr_equal(k->ops, &scratch_file_ops);
	assert_null(node_creator(T_ROOT, S_IFREG));
	assert_null(node_creator(T_INSTANCES, S_IFREG));
	assert_int_equal(k->ops->create(&X.fs, &dir, "sedAbc123", 0600, 0, 0), 0);
	assert_int_equal(node_child(&X.fs, &dir, "sedAbc123", &n, &e), 0);
	assert_int_equal(n.type, T_SCRATCH);
	assert_string_equal(n.id, "cas-0003");
	assert_string_equal(n.name, "sedAbc123");
	assert_string_equal(n.path, "/instances/cas-0003/sedAbc123");
	/* out may be the directory itself */
	struct node same = dir;
	assert_int_equal(node_child(&X.fs, &same, "config", &same, &e), 0);
	assert_int_equal(same.type, T_CONFIG);
	assert_string_equal(same.id, "cas-0003");
	/* scratch names follow the fixed files; other instances do not see them */
	assert_non_null(strstr(children("/instances/cas-0003", NULL), "refund sedAbc123"));
	assert_null(strstr(children("/instances/cas-0004", NULL), "sedAbc123"));
	/* a fixed name is always the API file, never a scratch file */
	assert_int_equal(scratch_create(X.fs.scratch, "cas-0003", "domain", 0600, 0, 0), 0);
	assert_int_equal(node_child(&X.fs, &dir, "domain", &n, &e), 0);
	assert_int_equal(n.type, T_DOMAIN);
	scratch_drop_instance(X.fs.scratch, "cas-0003");
}

static void kind_of_path(void **state)
{
	(void)state;
	/* by names alone, no call */
	assert_int_equal(node_kind_of_path("/"), T_ROOT);
	assert_int_equal(node_kind_of_path("/instances/anything"), T_INSTANCE);
	assert_int_equal(node_kind_of_path("/instances/anything/tags"), T_TAGS);
	assert_int_equal(node_kind_of_path("/instances/anything/vimXYZ"), T_SCRATCH);
	assert_int_equal(node_kind_of_path("/by-status/x/y"), T_STATUS_LINK);
	assert_int_equal(node_kind_of_path("/summary/x"), -1);
	assert_int_equal(fake_calls(&X.f, CAS_LIST_INSTANCES), 0);
}

/* A name a fixed row claims is never a scratch name, present or not, and a
 * refused create leaves nothing behind; the mode a row shows is its own
 * with -o umask= bits cleared, never looser. */
static void claimed_names_and_modes(void **state)
{
	(void)state;
	assert_true(node_name_claimed(T_INSTANCE, "key.pem"));
	assert_true(node_name_claimed(T_INSTANCE, "cert.pem"));
	assert_true(node_name_claimed(T_INSTANCE, "not_after"));
	assert_true(node_name_claimed(T_INSTANCE, "config"));
	assert_false(node_name_claimed(T_INSTANCE, "config~"));
	assert_false(node_name_claimed(T_INSTANCE, "sed1234"));
	assert_false(node_name_claimed(T_ROOT, "key.pem"));
	assert_true(node_name_claimed(T_ROOT, ".cas"));

	struct node dir, n;
	const struct node_kind *file = node_creator(T_INSTANCE, S_IFREG), *sdir = node_creator(T_INSTANCE, S_IFDIR);
	assert_non_null(file);
	assert_non_null(sdir);
	unsigned long errs = fsfix_errors(&X);
	assert_int_equal(resolve("/instances/cas-0000", &dir), 0); /* issued: key.pem absent without -o keys */
	assert_int_equal(file->ops->create(&X.fs, &dir, "key.pem", 0600, 0, 0), -EACCES);
	assert_int_equal(sdir->ops->create(&X.fs, &dir, "key.pem", 0700, 0, 0), -EACCES);
	assert_int_equal(resolve("/instances/cas-0001", &dir), 0); /* no certificate yet */
	assert_int_equal(file->ops->create(&X.fs, &dir, "cert.pem", 0600, 0, 0), -EACCES);
	assert_int_equal(file->ops->create(&X.fs, &dir, "not_after", 0600, 0, 0), -EACCES);
	assert_int_equal(file->ops->put(&X.fs, &dir, "chain.pem", "x", 1, 0600, 0, 0), -EACCES);
	/* certificate-like names, whatever the row table says */
	assert_int_equal(file->ops->create(&X.fs, &dir, "le.key", 0600, 0, 0), -EACCES);
	assert_int_equal(sdir->ops->create(&X.fs, &dir, "certs.crt", 0700, 0, 0), -EACCES);
	assert_int_equal(fsfix_errors(&X), errs + 7);
	assert_int_equal(scratch_count(X.fs.scratch), 0);
	assert_int_equal(node_created_children(&X.fs, &dir), 0);
	/* a private key put as a copy is refused and leaves nothing */
	const char key[] = "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n";
	assert_int_equal(file->ops->put(&X.fs, &dir, "k", key, sizeof(key) - 1, 0400, 0, 0), -EPERM);
	assert_int_equal(scratch_count(X.fs.scratch), 0);
	assert_int_equal(fsfix_errors(&X), errs + 8);
	/* an ordinary scratch name still works, and resolves */
	assert_int_equal(file->ops->create(&X.fs, &dir, "sed1234", 0600, 0, 0), 0);
	assert_int_equal(resolve("/instances/cas-0001/sed1234", &n), 0);
	assert_int_equal(n.type, T_SCRATCH);

	/* modes: the row's, umask bits cleared, never more */
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_KEY_PEM]), 0100400);
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_CONFIG]), 0100644);
	X.fs.o.umask = 0;
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_DETAIL]), 0100444);
	X.fs.o.umask = 027;
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_KEY_PEM]), 0100400);
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_CONFIG]), 0100640);
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_INSTANCE]), 0040750);
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_STATUS_LINK]), 0120750);
	X.fs.o.umask = 0777;
	assert_int_equal(node_mode(&X.fs, &node_kinds[T_KEY_PEM]), 0100000);
	X.fs.o.umask = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(resolve_paths, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(resolve_errors, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(validity_present_only_when_set, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(children_and_nlink, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(by_brand_view, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(node_is_a_value, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(rows_carry_their_data, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(variable_rows, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(kind_of_path, fsfix_setup, fsfix_teardown, &X),
		cmocka_unit_test_prestate_setup_teardown(claimed_names_and_modes, fsfix_setup, fsfix_teardown, &X),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
