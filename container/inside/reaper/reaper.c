/*
 * mydocker-init: the container's pid 1 with `run --init`, as Docker's
 * docker-init (tini). It starts the command, forwards every signal it
 * gets to it, reaps every zombie the pid namespace leaves it (a pid 1
 * must: orphans become its children), and exits with the command's exit
 * code (128+N when the command was killed by signal N).
 *
 * It is a small static program, not a mode of the mydocker binary: it
 * runs inside the container for the container's whole life, with the
 * container's user, capabilities and seccomp filter, and holds nothing of
 * the host (no descriptor but 0-2; the host hands it over as a sealed
 * memfd copy, so /proc/1/exe reaches no host file).
 *
 * Usage: mydocker-init PATH ARG0 [ARG...]: PATH is the command, already
 * found in the container's PATH by mydocker (with Docker's exit codes
 * 126 and 127 when it is not there); ARG0... its argv. *
 * mydocker-init --pause: the process of a pod's infra container. It only
 * holds the pod's namespaces: it reaps whatever ends up its child and
 * exits 0 on SIGTERM, SIGINT or SIGHUP (stop), as Kubernetes' pause.
 *
 * mydocker-init nsexec: the exec stub `mydocker exec` starts, from a
 * read-only view of this file, with the container's namespaces and the
 * exec plan as inherited descriptors (container/nsenter). It is here,
 * not in a Go program, because it must join a mount namespace while it
 * has one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsexec.h"

/* pause waits for a stopping signal, reaping children meanwhile. */
static int pause_main(void)
{
	sigset_t all;

	prctl(PR_SET_NAME, "pause", 0, 0, 0);
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) < 0) {
		perror("pause: sigprocmask");
		return 125;
	}
	for (;;) {
		int sig = sigwaitinfo(&all, NULL);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			perror("pause: sigwaitinfo");
			return 125;
		}
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			return 0;
		if (sig == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;

	if (argc == 2 && strcmp(argv[1], "--pause") == 0)
		return pause_main();
	if (argc == 2 && strcmp(argv[1], "nsexec") == 0) {
		mydocker_nsenter(); /* does not return when mydocker exec started it */
		fprintf(stderr, "mydocker-init: nsexec is started by mydocker exec, not by hand\n");
		return 125;
	}

	if (argc < 3) {
		fprintf(stderr, "mydocker-init: usage: mydocker-init PATH ARG0 [ARG...]\n");
		return 125;
	}
	/* Exec'd through /proc/self/fd/N, it would be named N in ps. */
	prctl(PR_SET_NAME, "mydocker-init", 0, 0, 0);
	/*
	 * Every signal stays pending until sigwaitinfo takes it. A blocked
	 * signal is never dropped, even for a pid 1 without handlers, which
	 * the kernel otherwise protects from signals sent inside its
	 * namespace.
	 */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) < 0) {
		perror("mydocker-init: sigprocmask");
		return 125;
	}
	child = fork();
	if (child < 0) {
		perror("mydocker-init: fork");
		return 125;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(argv[1], argv + 2);
		fprintf(stderr, "mydocker-init: exec %s: %s\n", argv[1], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			perror("mydocker-init: sigwaitinfo");
			return 125;
		}
		if (sig != SIGCHLD) {
			/* The command may have gone; its zombie is reaped below. */
			kill(child, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			if (pid != child)
				continue; /* an orphan: reaped, nothing more */
			/* The kernel kills whatever is left once pid 1 exits. */
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}
