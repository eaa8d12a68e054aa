// The exec stub's first half, `mydocker-init nsexec` (reaper.c's main
// calls it): it joins the namespaces of a running container from
// inherited descriptors, forks, and in the child follows the host's
// spec.ExecPlan to the user's command (nsexec.c). It is C, not Go:
// joining a mount namespace needs a single-threaded process, and a Go
// program has threads before main runs, which runc meets with a C
// constructor that runs before its Go runtime. A program of its own in
// C needs no such constructor, and leaves the Go programs free of cgo,
// whose C library start costs each of them about 2 ms on every run and
// exec.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsexec.h"

#define ENV_VAR NSENTER_ENV
#define EXIT_MYDOCKER 125

static int ns_flag(const char *name)
{
	if (!strcmp(name, "cgroup")) return CLONE_NEWCGROUP;
	if (!strcmp(name, "ipc")) return CLONE_NEWIPC;
	if (!strcmp(name, "uts")) return CLONE_NEWUTS;
	if (!strcmp(name, "net")) return CLONE_NEWNET;
	if (!strcmp(name, "pid")) return CLONE_NEWPID;
	if (!strcmp(name, "mnt")) return CLONE_NEWNS;
	return -1;
}

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

// wait_and_exit makes this process a transparent stand-in for child: it
// passes on the signals a caller would send, and exits as the child did.
static void wait_and_exit(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa;
	int status;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	for (;;) {
		pid_t r = waitpid(child, &status, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "mydocker: exec: wait: %s\n", strerror(errno));
			exit(EXIT_MYDOCKER);
		}
		break;
	}
	if (WIFSIGNALED(status))
		exit(128 + WTERMSIG(status));
	exit(WEXITSTATUS(status));
}

// parse_fd reads a descriptor number, or returns -1.
static int parse_fd(const char *s)
{
	char *end = NULL;
	long fd = strtol(s, &end, 10);

	if (end == s || *end != '\0' || fd < 0 || fd > 1 << 20)
		return -1;
	return (int)fd;
}

void mydocker_nsenter(void)
{
	const char *env = getenv(ENV_VAR);
	char list[256], *save = NULL, *item;

	if (env == NULL || *env == '\0')
		return;
	// First: from here on this process and its child run our code among
	// the container's processes, with all our capabilities. Non-dumpable,
	// no process of the container may ptrace them or open their
	// /proc/<pid>/mem, fd or exe (which needs CAP_SYS_PTRACE over them).
	// The fork inherits it; execve of the command resets it.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fprintf(stderr, "mydocker: exec: set non-dumpable: %s\n", strerror(errno));
		exit(EXIT_MYDOCKER);
	}
	if (strlen(env) >= sizeof(list)) {
		fprintf(stderr, "mydocker: exec: bad %s\n", ENV_VAR);
		exit(EXIT_MYDOCKER);
	}
	strcpy(list, env);
	// Each item is name:fd. The descriptors were opened by the parent
	// before it checked again that the container's pid was still the
	// container: joining through them cannot land in a process that
	// reused the pid.
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		int flag, fd;

		if (colon == NULL) {
			fprintf(stderr, "mydocker: exec: bad namespace %s\n", item);
			exit(EXIT_MYDOCKER);
		}
		*colon = '\0';
		flag = ns_flag(item);
		fd = parse_fd(colon + 1);
		if (flag < 0 || fd < 0) {
			fprintf(stderr, "mydocker: exec: bad namespace %s\n", item);
			exit(EXIT_MYDOCKER);
		}
		if (setns(fd, flag) < 0) {
			fprintf(stderr, "mydocker: exec: join %s namespace: %s\n", item, strerror(errno));
			exit(EXIT_MYDOCKER);
		}
		close(fd);
	}
	unsetenv(ENV_VAR);
	// Joining a PID namespace only moves future children into it. So
	// fork: the child is a full member of every namespace and becomes the
	// command (nsexec.c) without ever starting Go; this process only
	// waits, outside the container's PID namespace, where nothing in the
	// container can see it.
	child = fork();
	if (child < 0) {
		fprintf(stderr, "mydocker: exec: fork: %s\n", strerror(errno));
		exit(EXIT_MYDOCKER);
	}
	if (child > 0)
		wait_and_exit();
	mydocker_nsexec();
}
