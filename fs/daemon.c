/* daemon: the fork to the background, and the word the parent waits for
 * (daemon.h). Written from libfuse's fuse_daemonize, with the word moved from
 * "forked" to "serving". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

/* the write end of the pipe the parent reads, -1 once the word was sent (or
 * in the foreground); the main thread's only */
static int word_fd = -1;

int daemon_start(int foreground)
{
	if (foreground) {
		(void)!chdir("/"); /* as fuse_daemonize: a failed chdir is not fatal */
		return 0;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		fprintf(stderr, "casfs: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "casfs: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		unsigned char status;
		ssize_t n;
		while ((n = read(p[0], &status, 1)) < 0 && errno == EINTR)
			;
		if (n == 1)
			_exit(status);
		/* no word: the daemon died; its status is the best answer */
		int ws;
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(ws) && WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1);
	}
	close(p[0]);
	word_fd = p[1];
	if (setsid() == -1)
		fprintf(stderr, "casfs: setsid: %s\n", strerror(errno));
	(void)!chdir("/");
	return 0;
}

void daemon_ready(int status)
{
	if (word_fd < 0)
		return;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	unsigned char word = (unsigned char)status;
	while (write(word_fd, &word, 1) < 0 && errno == EINTR)
		;
	close(word_fd);
	word_fd = -1;
}
