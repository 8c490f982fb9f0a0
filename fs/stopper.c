/* stopper: an ordered stop on SIGINT and SIGTERM (see stopper.h). */
#define FUSE_USE_VERSION 314
#include "stopper.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "notify.h"

/* The self-pipe the handler writes the signal's number to (a zero byte:
 * the loop ended by itself). Process-wide, as signal handlers are; one
 * mount per process runs a loop. */
static int pipe_fd[2] = { -1, -1 };

struct stopper {
	pthread_t th, loop;
	struct fuse_session *se;
	struct notifier *notify;
	struct sigaction old_int, old_term;
};

/* a stop was asked (set by the handler, read by the main thread) */
static volatile sig_atomic_t requested;

static void on_signal(int sig)
{
	int saved = errno;
	requested = 1;
	char c = (char)sig;
	if (write(pipe_fd[1], &c, 1) < 0) { /* full: a stop is on its way anyway */
	}
	errno = saved;
}

static void *run(void *arg)
{
	struct stopper *s = arg;
	char c = 0;
	while (read(pipe_fd[0], &c, 1) < 0 && errno == EINTR) {
	}
	if (c == 0)
		return NULL; /* the loop ended first (an unmount): nothing to order */
	cas_info("signal %d: stopping the kernel notices, then the FUSE loop", c);
	notifier_stop(s->notify); /* the loop still answers whatever a notice waits for */
	fuse_session_exit(s->se);
	/* wake the loop's thread out of its wait (the handler's byte is read
	 * below), again every 200 ms until stopper_stop's zero byte says the
	 * loop returned: a kill landing between the loop's check and its wait
	 * would be lost */
	for (;;) {
		pthread_kill(s->loop, SIGTERM);
		int64_t until = cas_mono_ms() + 200;
		for (int64_t left = 200; left > 0; left = until - cas_mono_ms()) {
			struct pollfd p = { .fd = pipe_fd[0], .events = POLLIN };
			if (poll(&p, 1, (int)left) > 0 && read(pipe_fd[0], &c, 1) == 1 && c == 0)
				return NULL; /* the loop returned */
		}
	}
}

struct stopper *stopper_start(struct fuse_session *se, struct notifier *n)
{
	if (pipe_fd[0] < 0 && pipe(pipe_fd) != 0)
		return NULL;
	struct stopper *s = cas_xcalloc(1, sizeof(*s));
	s->se = se;
	s->notify = n;
	s->loop = pthread_self();
	/* the thread blocks the signals, so they reach the loop's thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&s->th, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(s);
		return NULL;
	}
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the loop's wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	return s;
}

int stopper_requested(void)
{
	return requested;
}

void stopper_stop(struct stopper *s)
{
	if (!s)
		return;
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	char zero = 0;
	if (write(pipe_fd[1], &zero, 1) < 0) { /* the thread has its byte already */
	}
	pthread_join(s->th, NULL);
	/* the pipe stays open for the process's life: a handler already running
	 * on another thread may still write to it, and a closed descriptor's
	 * number could by then be another file's. Drain what it holds. */
	int fl = fcntl(pipe_fd[0], F_GETFL);
	fcntl(pipe_fd[0], F_SETFL, fl | O_NONBLOCK);
	char c;
	while (read(pipe_fd[0], &c, 1) == 1) {
	}
	fcntl(pipe_fd[0], F_SETFL, fl);
	free(s);
}
