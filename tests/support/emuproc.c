/* emuproc: running the emulator from C tests (see emuproc.h). */
#include "emuproc.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

char *emu_proc_read_line(int fd, int timeout_ms)
{
	struct cas_buf b = CAS_BUF_INIT;
	char ch;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		if (read(fd, &ch, 1) <= 0 || ch == '\n')
			break;
		cas_buf_addc(&b, ch);
	}
	return cas_buf_steal(&b);
}

int emu_proc_start(struct emu_proc *p, const char *bin, const char *const *creds, const char *const *extra)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->audit, sizeof(p->audit), "/tmp/emu-audit-%d-XXXXXX", (int)getpid());
	int afd = mkstemp(p->audit);
	if (afd >= 0)
		close(afd);
	const char *argv[80];
	size_t n = 0;
	argv[n++] = bin;
	for (size_t i = 0; creds && creds[i] && n < 70; i++)
		argv[n++] = creds[i];
	argv[n++] = "--audit";
	argv[n++] = p->audit;
	for (size_t i = 0; extra && extra[i] && n < 78; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
		if (getppid() != parent)
			_exit(127);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p->pid = pid;
	char *line = emu_proc_read_line(fds[0], 10000);
	close(fds[0]);
	p->tls = strncmp(line, "listening on https://", 21) == 0;
	if (sscanf(line, p->tls ? "listening on https://127.0.0.1:%d" : "listening on http://127.0.0.1:%d", &p->port) != 1) {
		fprintf(stderr, "emulator did not start: \"%s\"\n", line);
		free(line);
		emu_proc_stop(p);
		return -1;
	}
	free(line);
	snprintf(p->base, sizeof(p->base), "%s://127.0.0.1:%d", p->tls ? "https" : "http", p->port);
	snprintf(p->host, sizeof(p->host), "127.0.0.1:%d", p->port);
	return 0;
}

int emu_proc_stop(struct emu_proc *p)
{
	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	int st = 0;
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	if (p->audit[0])
		unlink(p->audit);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *emu_proc_audit_text(const struct emu_proc *p)
{
	struct cas_buf b = CAS_BUF_INIT;
	FILE *f = fopen(p->audit, "r");
	char chunk[8192];
	size_t n;
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cas_buf_add(&b, chunk, n);
	if (f)
		fclose(f);
	return cas_buf_steal(&b);
}

const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}
