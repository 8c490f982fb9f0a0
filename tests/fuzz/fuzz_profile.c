/* fuzz_profile: the aliyun CLI profile file (client/creds.h) from untrusted
 * bytes, written to a 0600 file and resolved with and without -o profile.
 * Property: a resolved profile always carries an access key id or a token. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/fuzz-profile.%d", (int)getpid());
		unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
		unsetenv("ALIBABA_CLOUD_SECURITY_TOKEN");
		unsetenv("DASHSCOPE_API_KEY");
		unsetenv("ALIBABA_CLOUD_BEARER_TOKEN");
		unsetenv("ALIBABA_CLOUD_PROFILE");
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	static const char *const names[] = { NULL, "default", "x" };
	for (size_t i = 0; i < 3; i++) {
		struct cas_creds c;
		struct cas_error e;
		cas_error_clear(&e);
		if (cas_creds_resolve(&c, names[i], path, &e) == 0) {
			if ((!c.access_key_id || !*c.access_key_id) && (!c.bearer_token || !*c.bearer_token))
				abort();
			cas_creds_free(&c);
		}
	}
	return 0;
}
