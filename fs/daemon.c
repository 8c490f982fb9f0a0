/* daemon: the fork to the background, and the word the parent waits for
 * (daemon.h). Written from libfuse's fuse_daemonize, with the word moved from
 * "forked" to "serving". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

/* the write end of the pipe the parent reads, -1 once the word was sent (or
 * in the foreground); the main thread's only */
static int word_fd = -1;

/* the waiting parent's: the daemon, and the stop it was asked for */
static pid_t daemon_pid;
static volatile sig_atomic_t forwarded;

/* SIGINT/SIGTERM to the waiting parent (Ctrl-C, timeout(1)) are the
 * daemon's: it is in its own session, so the terminal no longer reaches it */
static void forward(int sig)
{
	if (forwarded) /* a second stop: the shell back now, the daemon stops on its own */
		_exit(128 + sig);
	kill(daemon_pid, sig);
	forwarded = sig;
}

/* The parent: waits for the word, forwarding a stop; exits with the
 * daemon's status, or 128+signal once an interrupted daemon has gone. */
__attribute__((noreturn)) static void wait_for_word(pid_t pid, int fd)
{
	daemon_pid = pid;
	struct sigaction sa = { .sa_handler = forward }, old; /* no SA_RESTART: the read returns */
	sigemptyset(&sa.sa_mask);
	/* an ignored signal stays ignored (a background job of a script, nohup):
	 * the caller chose that Ctrl-C does not stop this command */
	static const int stops[] = { SIGINT, SIGTERM };
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (sigaction(stops[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stops[i], &sa, NULL);
	/* run() blocked them across the fork; the daemon keeps them blocked
	 * (pending) until its own handlers are in place */
	sigset_t unblock;
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGINT);
	sigaddset(&unblock, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	unsigned char status = 1;
	ssize_t n;
	while ((n = read(fd, &status, 1)) < 0 && errno == EINTR)
		;
	int ws = 0;
	if (forwarded || n != 1) {
		/* interrupted: the daemon unmounts and exits; a dead one: its status */
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		if (forwarded)
			_exit(128 + forwarded);
		_exit(WIFEXITED(ws) && WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1);
	}
	_exit(status);
}

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
		wait_for_word(pid, p[0]);
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
