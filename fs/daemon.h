/* daemon: running in the background (without -f). libfuse's fuse_daemonize
 * lets the shell's command return as soon as the process forked, before the
 * daemon has started a thread or written a line, so a script that reads the
 * log, or a start that fails in the daemon, raced the prompt. Here the parent
 * waits for the daemon's word: it exits 0 once the daemon serves, or with the
 * daemon's status if the start failed (or 1 if it died without a word).
 * A SIGINT or SIGTERM the parent gets meanwhile (Ctrl-C, timeout(1)) is
 * passed on, unless the caller ignores it: the daemon stops cleanly and the
 * parent exits 128+signal once it has gone; a second one returns at once.
 * A daemon stopped before it served sends 1 after its unmount. The caller blocks SIGINT, SIGTERM and SIGHUP before the fork
 * and unblocks them once its handlers are in place. */
#ifndef CASFS_DAEMON_H
#define CASFS_DAEMON_H

/* Forks unless foreground; the parent never returns. The daemon (and a
 * foreground process) return 0 after chdir("/"); -1 if fork failed. */
int daemon_start(int foreground);
/* In the daemon: stdin/stdout/stderr become /dev/null and the waiting parent
 * exits with status (0: serving). Only the first call counts; a foreground
 * process ignores it. */
void daemon_ready(int status);

#endif
