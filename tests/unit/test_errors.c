/* test_errors: proto/error.h. The errno mapping of docs/PROTOCOL.md §5 (cas_errno_for,
 * cas_is_throttle), cas_error_from_response with real POP error bodies,
 * lowercase keys, junk and empty bodies and the header RequestId fallback,
 * cas_error_set and cas_error_format (layout and truncation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "error.h"

struct row {
	int status;
	const char *code;
	int want;
};

static void check_rows(const struct row *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = cas_errno_for(r[i].status, r[i].code);
		if (got != r[i].want)
			fail_msg("cas_errno_for(%d, %s) = %d (%s), want %d (%s)", r[i].status,
				 r[i].code ? r[i].code : "NULL", got, strerror(got), r[i].want, strerror(r[i].want));
	}
}

#define ROWS(...)                                                                \
	do {                                                                     \
		static const struct row rows_[] = { __VA_ARGS__ };               \
		check_rows(rows_, sizeof(rows_) / sizeof(rows_[0]));             \
	} while (0)

static void errno_invalid(void **state)
{
	(void)state;
	ROWS({ 400, "InvalidParameter", EINVAL }, { 400, "InvalidParameter.Domain", EINVAL },
	     { 400, "InvalidParameter.CloudName", EINVAL }, { 400, "MissingParameter", EINVAL },
	     { 400, "MissingParameter.InstanceId", EINVAL }, { 400, "MissingInstanceId", EINVAL },
	     { 400, "", EINVAL }, { 400, NULL, EINVAL }, { 400, "SomeBusinessError", EINVAL },
	     { 409, "", EINVAL },
	     /* the Code decides even when the gateway picks an odd status */
	     { 404, "InvalidParameter.InstanceId", EINVAL }, { 500, "MissingParameter", EINVAL });
}

static void errno_access(void **state)
{
	(void)state;
	ROWS({ 403, "", EACCES }, { 403, NULL, EACCES }, { 403, "Forbidden", EACCES }, { 403, "Forbidden.RAM", EACCES },
	     { 400, "Forbidden.RAM", EACCES }, { 403, "Forbidden.NoPermission", EACCES },
	     { 400, "SignatureDoesNotMatch", EACCES }, { 400, "IncompleteSignature", EACCES },
	     { 404, "InvalidAccessKeyId.NotFound", EACCES }, { 400, "InvalidAccessKeyId.Inactive", EACCES },
	     { 400, "InvalidSecurityToken.Expired", EACCES }, { 400, "SignatureNonceUsed", EACCES },
	     { 400, "IllegalTimestamp", EACCES }, { 400, "InvalidTimeStamp.Expired", EACCES },
	     { 401, "", EACCES });
}

static void errno_not_found(void **state)
{
	(void)state;
	ROWS({ 404, "InvalidInstanceId.NotFound", ENOENT }, { 404, "", ENOENT }, { 404, NULL, ENOENT },
	     { 404, "InvalidAccessId.NotFound", ENOENT }, { 404, "NotFound", ENOENT });
}

static void errno_denied(void **state)
{
	(void)state;
	ROWS({ 400, "OperationDenied", EPERM }, { 400, "OperationDenied.RefundWindow", EPERM },
	     { 403, "OperationDenied.InstanceStatus", EPERM }, { 404, "OperationDenied.X", EPERM });
}

static void errno_throttle(void **state)
{
	(void)state;
	ROWS({ 429, "", EAGAIN }, { 429, NULL, EAGAIN }, { 429, "Throttling.User", EAGAIN },
	     { 400, "Throttling", EAGAIN }, { 400, "Throttling.User", EAGAIN }, { 400, "Throttling.Api", EAGAIN },
	     { 403, "Throttling.User", EAGAIN }, { 400, "Request.Throttling", EAGAIN },
	     { 503, "", EAGAIN }, { 503, "ServiceUnavailable", EAGAIN }, { 503, "ServiceUnavailableTemporary", EAGAIN },
	     { 500, "Throttling", EAGAIN });
	assert_true(cas_is_throttle(429, NULL));
	assert_true(cas_is_throttle(503, ""));
	assert_true(cas_is_throttle(400, "Throttling.User"));
	assert_true(cas_is_throttle(200, "Throttling"));
	assert_false(cas_is_throttle(400, "InvalidParameter"));
	assert_false(cas_is_throttle(500, "InternalError"));
	assert_false(cas_is_throttle(502, NULL));
	assert_false(cas_is_throttle(400, "throttling")); /* the SDK's test is case-sensitive */
}

static void errno_server(void **state)
{
	(void)state;
	ROWS({ 500, "InternalError", EIO }, { 500, "", EIO }, { 500, NULL, EIO }, { 502, "", EIO },
	     { 502, "BadGateway", EIO }, { 504, "", EIO }, { 500, "InternalFailure", EIO });
}

/* ---- cas_error_from_response ---------------------------------------------- */

static void from_response(struct cas_error *e, int status, const char *body, const char *hdr_rid)
{
	cas_error_clear(e);
	snprintf(e->action, sizeof(e->action), "UpdateInstance");
	cas_error_from_response(e, status, body, body ? strlen(body) : 0, hdr_rid);
}

static void response_real_bodies(void **state)
{
	(void)state;
	struct cas_error e;
	from_response(&e, 400,
		      "{\"RequestId\":\"1DD9FD9A-0000-4000-8000-ABCDEF012345\",\"HostId\":\"cas.aliyuncs.com\","
		      "\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"Specified signature is not matched with our "
		      "calculation.\",\"Recommend\":\"https://error-center.aliyun.com/status/search?Keyword="
		      "SignatureDoesNotMatch&source=PopGw\"}",
		      "HDR-RID");
	assert_int_equal(e.err, EACCES);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.code, "SignatureDoesNotMatch");
	assert_string_equal(e.message, "Specified signature is not matched with our calculation.");
	assert_string_equal(e.request_id, "1DD9FD9A-0000-4000-8000-ABCDEF012345"); /* the body wins */
	assert_string_equal(e.action, "UpdateInstance");                          /* kept */
	assert_int_equal(e.ambiguous, 0);

	from_response(&e, 404,
		      "{\"Code\":\"InvalidInstanceId.NotFound\",\"Message\":\"The instance does not exist.\","
		      "\"RequestId\":\"R2\",\"HostId\":\"cas.aliyuncs.com\"}",
		      NULL);
	assert_int_equal(e.err, ENOENT);
	assert_string_equal(e.code, "InvalidInstanceId.NotFound");
	assert_string_equal(e.request_id, "R2");

	from_response(&e, 400,
		      "{\"RequestId\":\"R3\",\"Code\":\"Throttling.User\",\"Message\":\"Request was denied due to "
		      "user flow control.\"}",
		      NULL);
	assert_int_equal(e.err, EAGAIN);

	from_response(&e, 403,
		      "{\"RequestId\":\"R4\",\"Code\":\"Forbidden.RAM\",\"Message\":\"User not authorized to operate on "
		      "the specified resource.\",\"AccessDeniedDetail\":{\"PolicyType\":\"AccountLevelIdentityBasedPolicy\"}}",
		      NULL);
	assert_int_equal(e.err, EACCES);
	assert_string_equal(e.code, "Forbidden.RAM");

	from_response(&e, 400, "{\"RequestId\":\"R5\",\"Code\":\"InvalidParameter.Domain\",\"Message\":\"bad\"}", NULL);
	assert_int_equal(e.err, EINVAL);

	from_response(&e, 400, "{\"RequestId\":\"R6\",\"Code\":\"OperationDenied.RefundWindow\",\"Message\":\"x\"}",
		      NULL);
	assert_int_equal(e.err, EPERM);

	from_response(&e, 500, "{\"RequestId\":\"R7\",\"Code\":\"InternalError\",\"Message\":\"oops\"}", NULL);
	assert_int_equal(e.err, EIO);

	/* lowercase keys, as some gateways send */
	from_response(&e, 429, "{\"code\":\"Throttling.User\",\"message\":\"slow down\",\"requestId\":\"r-low\"}", NULL);
	assert_int_equal(e.err, EAGAIN);
	assert_string_equal(e.code, "Throttling.User");
	assert_string_equal(e.message, "slow down");
	assert_string_equal(e.request_id, "r-low");
}

static void response_junk_and_empty(void **state)
{
	(void)state;
	struct cas_error e;
	from_response(&e, 502, "<html><body>502 Bad Gateway</body></html>", "HDR-1");
	assert_int_equal(e.err, EIO);
	assert_int_equal(e.http_status, 502);
	assert_string_equal(e.code, "HTTP502");
	assert_non_null(strstr(e.message, "502"));
	assert_string_equal(e.request_id, "HDR-1");
	assert_string_equal(e.action, "UpdateInstance");

	from_response(&e, 503, "", "HDR-2");
	assert_int_equal(e.err, EAGAIN);
	assert_string_equal(e.code, "HTTP503");
	assert_true(e.message[0] != '\0');
	assert_string_equal(e.request_id, "HDR-2");

	from_response(&e, 500, NULL, NULL);
	assert_int_equal(e.err, EIO);
	assert_string_equal(e.code, "HTTP500");
	assert_string_equal(e.request_id, "");

	from_response(&e, 404, "", NULL);
	assert_int_equal(e.err, ENOENT);
	from_response(&e, 403, "not json", NULL);
	assert_int_equal(e.err, EACCES);
	from_response(&e, 429, "[1,2,3]", NULL);
	assert_int_equal(e.err, EAGAIN);
	assert_string_equal(e.code, "HTTP429");

	/* wrong types inside an object are ignored, not trusted */
	from_response(&e, 400, "{\"Code\":123,\"Message\":[\"x\"],\"RequestId\":{}}", "HDR-3");
	assert_int_equal(e.err, EINVAL);
	assert_string_equal(e.code, "HTTP400");
	assert_string_equal(e.request_id, "HDR-3");

	/* the length is respected: no read past len, nothing after it used */
	const char *body = "{\"Code\":\"InternalError\",\"RequestId\":\"R\"}{\"Code\":\"Forbidden\"}";
	cas_error_clear(&e);
	cas_error_from_response(&e, 500, body, strchr(body, '}') - body + 1, NULL);
	assert_string_equal(e.code, "InternalError");
	assert_int_equal(e.err, EIO);

	/* body present in the JSON sense but truncated mid-way */
	from_response(&e, 500, "{\"Code\":\"Internal", "H");
	assert_string_equal(e.code, "HTTP500");
	assert_string_equal(e.request_id, "H");
}

static void response_long_fields_truncated(void **state)
{
	(void)state;
	char msg[2000];
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	char code[300];
	memset(code, 'C', sizeof(code) - 1);
	code[sizeof(code) - 1] = '\0';
	char *body = NULL;
	assert_true(asprintf(&body, "{\"Code\":\"%s\",\"Message\":\"%s\",\"RequestId\":\"%s\"}", code, msg, code) > 0);
	struct cas_error e;
	from_response(&e, 500, body, NULL);
	free(body);
	assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	assert_int_equal(strlen(e.request_id), sizeof(e.request_id) - 1);
	assert_int_equal(e.err, EIO);
}

static void response_clears_previous(void **state)
{
	(void)state;
	struct cas_error e;
	cas_error_clear(&e);
	snprintf(e.action, sizeof(e.action), "DeleteInstance");
	e.ambiguous = 1;
	snprintf(e.request_id, sizeof(e.request_id), "old-rid");
	snprintf(e.message, sizeof(e.message), "old message");
	cas_error_from_response(&e, 500, "", 0, NULL);
	assert_int_equal(e.ambiguous, 0);
	assert_string_equal(e.request_id, "");
	assert_string_not_equal(e.message, "old message");
	assert_string_equal(e.action, "DeleteInstance");
}

/* ---- cas_error_set / cas_error_format -------------------------------------- */

static void set_and_format(void **state)
{
	(void)state;
	struct cas_error e;
	cas_error_clear(&e);
	snprintf(e.action, sizeof(e.action), "UpdateInstance");
	e.http_status = 999;
	assert_int_equal(cas_error_set(&e, EINVAL, "InvalidParameter.Domain", "Domain %s is bad", "x"), -EINVAL);
	assert_int_equal(e.err, EINVAL);
	assert_int_equal(e.http_status, 0);
	assert_string_equal(e.code, "InvalidParameter.Domain");
	assert_string_equal(e.message, "Domain x is bad");
	assert_string_equal(e.action, "UpdateInstance");
	assert_int_equal(cas_error_set(NULL, EIO, "x", "y"), -EIO);

	char out[512];
	cas_error_format(&e, out, sizeof(out));
	assert_string_equal(out, "UpdateInstance: InvalidParameter.Domain: Domain x is bad");

	from_response(&e, 404, "{\"Code\":\"InvalidInstanceId.NotFound\",\"Message\":\"gone\",\"RequestId\":\"RID-1\"}",
		      NULL);
	cas_error_format(&e, out, sizeof(out));
	assert_string_equal(out, "UpdateInstance: InvalidInstanceId.NotFound (HTTP 404): gone [RequestId RID-1]");

	cas_error_clear(&e);
	e.err = ETIMEDOUT;
	cas_error_format(&e, out, sizeof(out));
	assert_string_equal(out, strerror(ETIMEDOUT));

	cas_error_clear(&e);
	snprintf(e.code, sizeof(e.code), "C");
	e.http_status = 500;
	cas_error_format(&e, out, sizeof(out));
	assert_string_equal(out, "C (HTTP 500)");

	/* truncation always leaves a terminated prefix */
	from_response(&e, 404, "{\"Code\":\"InvalidInstanceId.NotFound\",\"Message\":\"gone\",\"RequestId\":\"RID-1\"}",
		      NULL);
	const char *full = "UpdateInstance: InvalidInstanceId.NotFound (HTTP 404): gone [RequestId RID-1]";
	for (size_t n = 1; n <= strlen(full) + 1; n++) {
		char small[128];
		memset(small, 'X', sizeof(small));
		cas_error_format(&e, small, n);
		assert_int_equal(strlen(small), n - 1);
		assert_memory_equal(small, full, n - 1);
		assert_int_equal(small[n], 'X'); /* nothing written past n */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errno_invalid),
		cmocka_unit_test(errno_access),
		cmocka_unit_test(errno_not_found),
		cmocka_unit_test(errno_denied),
		cmocka_unit_test(errno_throttle),
		cmocka_unit_test(errno_server),
		cmocka_unit_test(response_real_bodies),
		cmocka_unit_test(response_junk_and_empty),
		cmocka_unit_test(response_long_fields_truncated),
		cmocka_unit_test(response_clears_previous),
		cmocka_unit_test(set_and_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
