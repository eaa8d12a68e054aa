// The exec stub's second half: the child that nsenter.c forked, a member
// of every namespace of the container, becomes the command by following
// the plan the host worked out (spec.ExecPlan). It is C, in mydocker-init:
// every exec would pay for a Go runtime's start, and the plan leaves
// nothing that needs one. See nsenter.c.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "nsexec.h"

// Exit codes of the contract (package constant).
#define EXIT_MYDOCKER 125
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

#define PLAN_VERSION "1" // spec.ExecPlanVersion
// make build passes spec.BuildID, the ID it stamps into the Go side too;
// a build without it (plain go build and cc) leaves both empty, which is
// one build too.
#ifndef MYDOCKER_BUILD_ID
#define MYDOCKER_BUILD_ID ""
#endif
#define MAX_PLAN (64 << 20)
// The kernel's default timer slack, which a container's command starts
// with (init: container/inside's defaultTimerSlack).
#define DEFAULT_TIMER_SLACK_NS 50000

// die reports why the command could not be started, as the Go side's
// errors read, and exits with the contract's code. Before the pty exists
// stderr is the host's relay pipe; after, the pty.
__attribute__((noreturn, format(printf, 2, 3))) static void die(int code, const char *format, ...)
{
	va_list ap;

	fputs("mydocker: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

// errstr is strerror as Go spells it (lower case).
static const char *errstr(int err)
{
	static char buf[128];

	if (err == ENOEXEC)
		return "exec format error";
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

static int env_fd(const char *name)
{
	const char *s = getenv(name);
	char *end = NULL;
	long fd;

	if (s == NULL)
		return -1;
	fd = strtol(s, &end, 10);
	if (end == s || *end != '\0' || fd < 3 || fd > 1 << 20)
		die(EXIT_MYDOCKER, "nsexec: bad descriptor %s=%s", name, s);
	return (int)fd;
}

static unsigned long long number(const char *key, const char *s)
{
	char *end = NULL;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0')
		die(EXIT_MYDOCKER, "nsexec: bad %s in plan: %s", key, s);
	return n;
}

struct plan {
	const char *cwd, *path;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	struct rlimit_entry {
		int type;
		struct rlimit lim;
	} *rlimits;
	size_t nrlimits;
	uint64_t caps;
	struct sock_filter *filter;
	unsigned short nfilter;
	int tty;
	unsigned short rows, cols;
	char **argv, **envp;
	size_t nargs, nenv;
};

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n + 2) * size);
	if (p == NULL)
		die(EXIT_MYDOCKER, "nsexec: out of memory");
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void parse_filter(struct plan *p, const char *hex)
{
	size_t len = strlen(hex), i;
	unsigned char *raw;

	if (len == 0 || len % 16 != 0 || len / 16 > 0xffff)
		die(EXIT_MYDOCKER, "nsexec: bad seccomp filter in plan");
	raw = malloc(len / 2);
	if (raw == NULL)
		die(EXIT_MYDOCKER, "nsexec: out of memory");
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die(EXIT_MYDOCKER, "nsexec: bad seccomp filter in plan");
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	// struct sock_filter is {u16 code; u8 jt, jf; u32 k} in the host's
	// byte order, as the host wrote it.
	p->filter = (struct sock_filter *)raw;
	p->nfilter = (unsigned short)(len / 16);
}

// read_plan reads the plan's "key=value\0" entries from fd.
static void read_plan(int fd, struct plan *p)
{
	struct stat st;
	char *buf, *end, *entry, *next;
	size_t got = 0;
	int version = 0, build = 0;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_PLAN)
		die(EXIT_MYDOCKER, "nsexec: no plan (it is started by mydocker exec)");
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		die(EXIT_MYDOCKER, "nsexec: out of memory");
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(EXIT_MYDOCKER, "nsexec: read plan: %s", n < 0 ? errstr(errno) : "short read");
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (buf[got - 1] != '\0')
		die(EXIT_MYDOCKER, "nsexec: bad plan");
	memset(p, 0, sizeof(*p));
	end = buf + got;
	for (entry = buf; entry < end; entry = next) {
		char *value = strchr(entry, '=');

		next = entry + strlen(entry) + 1;
		const char *key = entry;

		if (value == NULL)
			die(EXIT_MYDOCKER, "nsexec: bad plan entry %s", entry);
		*value++ = '\0';
		if (!version) {
			// A stub of another build may read the plan differently.
			if (strcmp(key, "plan") || strcmp(value, PLAN_VERSION))
				die(EXIT_MYDOCKER, "exec: mydocker-init is from another build of mydocker: reinstall both");
			version = 1;
		} else if (!strcmp(key, "build")) {
			if (strcmp(value, MYDOCKER_BUILD_ID))
				die(EXIT_MYDOCKER, "mydocker-init is from another build than mydocker (build \"%s\", mydocker's \"%s\"): install both from one build (make build, make install)", MYDOCKER_BUILD_ID, value);
			build = 1;
		} else if (!strcmp(key, "cwd")) {
			p->cwd = value;
		} else if (!strcmp(key, "path")) {
			p->path = value;
		} else if (!strcmp(key, "uid")) {
			p->uid = (uid_t)number(key, value);
		} else if (!strcmp(key, "gid")) {
			p->gid = (gid_t)number(key, value);
		} else if (!strcmp(key, "group")) {
			p->groups = grow(p->groups, p->ngroups, sizeof(gid_t));
			p->groups[p->ngroups++] = (gid_t)number(key, value);
		} else if (!strcmp(key, "rlimit")) {
			struct rlimit_entry *r;
			char *soft = strchr(value, ':'), *hard = soft ? strchr(soft + 1, ':') : NULL;

			if (hard == NULL)
				die(EXIT_MYDOCKER, "nsexec: bad rlimit in plan: %s", value);
			*soft++ = '\0';
			*hard++ = '\0';
			p->rlimits = grow(p->rlimits, p->nrlimits, sizeof(*p->rlimits));
			r = &p->rlimits[p->nrlimits++];
			r->type = (int)number(key, value);
			r->lim.rlim_cur = (rlim_t)number(key, soft);
			r->lim.rlim_max = (rlim_t)number(key, hard);
		} else if (!strcmp(key, "caps")) {
			p->caps = (uint64_t)number(key, value);
		} else if (!strcmp(key, "seccomp")) {
			parse_filter(p, value);
		} else if (!strcmp(key, "tty")) {
			p->tty = 1;
		} else if (!strcmp(key, "rows")) {
			p->rows = (unsigned short)number(key, value);
		} else if (!strcmp(key, "cols")) {
			p->cols = (unsigned short)number(key, value);
		} else if (!strcmp(key, "arg")) {
			p->argv = grow(p->argv, p->nargs, sizeof(char *));
			p->argv[p->nargs++] = value;
		} else if (!strcmp(key, "env")) {
			p->envp = grow(p->envp, p->nenv, sizeof(char *));
			p->envp[p->nenv++] = value;
		} else {
			die(EXIT_MYDOCKER, "nsexec: unknown plan entry %s", key);
		}
	}
	if (!version || !build || p->nargs == 0 || p->cwd == NULL || p->path == NULL)
		die(EXIT_MYDOCKER, "nsexec: incomplete plan");
	p->argv[p->nargs] = NULL;
	p->envp = grow(p->envp, p->nenv, sizeof(char *));
	p->envp[p->nenv] = NULL;
}

// setup_console opens a pseudo-terminal from the container's own devpts
// (so the command sees /dev/pts/N of the container), makes it the
// controlling terminal and fds 0-2, and sends the master to the host,
// which relays it to the user's terminal.
static void setup_console(int sync, const struct plan *p)
{
	static const char msg[] = "{\"type\":\"pty\"}"; // spec.Msg{Type: MsgPty}
	char path[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = sizeof(msg) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int master, slave, unlock = 0, n, fd;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die(EXIT_MYDOCKER, "open /dev/ptmx: %s", errstr(errno));
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die(EXIT_MYDOCKER, "unlock pty: %s", errstr(errno));
	if (ioctl(master, TIOCGPTN, &n) < 0)
		die(EXIT_MYDOCKER, "get pty number: %s", errstr(errno));
	snprintf(path, sizeof(path), "/dev/pts/%d", n);
	slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die(EXIT_MYDOCKER, "open %s: %s", path, errstr(errno));
	if (p->rows || p->cols) {
		struct winsize ws = {.ws_row = p->rows, .ws_col = p->cols};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			die(EXIT_MYDOCKER, "set terminal size: %s", errstr(errno));
	}
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		die(EXIT_MYDOCKER, "set controlling terminal: %s", errstr(errno));
	for (fd = 0; fd <= 2; fd++)
		if (dup3(slave, fd, 0) < 0)
			die(EXIT_MYDOCKER, "dup pty onto fd %d: %s", fd, errstr(errno));
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sync, &mh, 0) < 0)
		die(EXIT_MYDOCKER, "send pty to parent: %s", errstr(errno));
	close(master);
	close(slave);
	close(sync);
}

// join_cgroups writes "0" (this process) to each cgroup file the host
// opened: last before the command, so nothing of ours counts against the
// container's limits for longer than it must.
static void join_cgroups(const char *list)
{
	char *copy, *item, *save = NULL;

	if (list == NULL || *list == '\0')
		return;
	copy = strdup(list);
	if (copy == NULL)
		die(EXIT_MYDOCKER, "nsexec: out of memory");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *end = NULL;
		long fd = strtol(item, &end, 10);

		if (end == item || *end != '\0' || fd < 3 || fd > 1 << 20)
			die(EXIT_MYDOCKER, "nsexec: bad cgroup descriptor %s", item);
		if (write((int)fd, "0", 1) != 1)
			die(EXIT_MYDOCKER, "join cgroup: %s", errstr(errno));
		close((int)fd);
	}
	free(copy);
}

// check_executable says why p cannot be exec'd, or 0: ENOENT or ENOTDIR
// when there is nothing, EISDIR, or EACCES.
static int check_executable(const char *p)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? errno : EACCES;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!(st.st_mode & 0111))
		return EACCES;
	return 0;
}

// exec_error exits with the code a shell uses: 127 for nothing there,
// 126 for something that cannot be run.
__attribute__((noreturn)) static void exec_error(const char *name, int err)
{
	int code = err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	const char *reason = err == ENOENT ? "no such file or directory" : err == EISDIR ? "is a directory" : err == EACCES ? "permission denied" : errstr(err);

	die(code, "exec \"%s\": %s", name, reason);
}

// look_path finds name in path the way a shell does, from the working
// directory already entered.
static char *look_path(const char *name, const char *path)
{
	char *copy, *dir, *p;
	int denied = 0, err;

	if (strchr(name, '/')) {
		if ((err = check_executable(name)))
			exec_error(name, err);
		return (char *)name;
	}
	copy = strdup(path);
	if (copy == NULL)
		die(EXIT_MYDOCKER, "nsexec: out of memory");
	// strsep, not strtok: an empty entry is the working directory.
	for (char *rest = copy; (dir = strsep(&rest, ":")) != NULL;) {
		if (asprintf(&p, "%s/%s", *dir ? dir : ".", name) < 0)
			die(EXIT_MYDOCKER, "nsexec: out of memory");
		err = check_executable(p);
		if (err == 0)
			return p;
		if (err != ENOENT && err != ENOTDIR && !denied)
			denied = err;
		free(p);
	}
	if (denied)
		exec_error(name, denied);
	die(EXIT_NOT_FOUND, "exec \"%s\": executable file not found in $PATH", name);
}

// confine applies the plan's confinement in the order that keeps each
// step possible, as package confine does for init: the bounding set
// first, then the seccomp filter (loading it needs CAP_SYS_ADMIN, so
// before it may go), then the user switch (CAP_SETUID, CAP_SETGID), then
// the final capability sets. Only execve follows.
static void confine(const struct plan *p)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint64_t permitted, keep;
	int cap;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		die(EXIT_MYDOCKER, "read capabilities: %s", errstr(errno));
	permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	// What mydocker itself lacks cannot be handed on.
	keep = p->caps & permitted;
	// Up to the kernel's last capability (EINVAL past it), so one newer
	// than this binary is dropped too.
	for (cap = 0;; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			die(EXIT_MYDOCKER, "read capability %d of the bounding set: %s", cap, errstr(errno));
		}
		if (cap < 64 && (keep >> cap & 1))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die(EXIT_MYDOCKER, "drop capability %d from the bounding set: %s", cap, errstr(errno));
	}
	if (p->nfilter) {
		struct sock_fprog prog = {.len = p->nfilter, .filter = p->filter};
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			die(EXIT_MYDOCKER, "install seccomp filter: %s", errstr(errno));
	}
	// Raw per-thread calls: this process has one thread. Always set the
	// groups, or the command keeps mydocker's own on the host.
	if (syscall(SYS_setgroups, p->ngroups, p->groups) < 0)
		die(EXIT_MYDOCKER, "setgroups: %s", errstr(errno));
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		die(EXIT_MYDOCKER, "setgid %u: %s", (unsigned)p->gid, errstr(errno));
	// To a non-zero uid, the kernel clears the permitted and effective
	// sets: a non-root user starts with none, as in Docker.
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		die(EXIT_MYDOCKER, "setuid %u: %s", (unsigned)p->uid, errstr(errno));
	// Root keeps keep, effective and permitted; the inheritable set is
	// emptied (CVE-2022-24769), which empties the ambient set with it.
	memset(data, 0, sizeof(data));
	if (p->uid == 0) {
		data[0].effective = data[0].permitted = (uint32_t)keep;
		data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(EXIT_MYDOCKER, "set capabilities: %s", errstr(errno));
}

void mydocker_nsexec(void)
{
	struct plan p;
	int plan_fd = env_fd(EXEC_PLAN_ENV), sync = env_fd(EXEC_SYNC_ENV);
	char *path;
	size_t i;

	if (plan_fd < 0)
		die(EXIT_MYDOCKER, "nsexec: no plan (it is started by mydocker exec)");
	read_plan(plan_fd, &p);
	// A session of its own: the terminal's signals reach the command only
	// through the host's relay, once, and with -t the pty can become its
	// controlling terminal.
	if (setsid() < 0)
		die(EXIT_MYDOCKER, "setsid: %s", errstr(errno));
	if (p.tty) {
		if (sync < 0)
			die(EXIT_MYDOCKER, "nsexec: no sync socket for the terminal");
		setup_console(sync, &p);
	}
	if (chdir(p.cwd) < 0)
		die(EXIT_MYDOCKER, "change to workdir %s: %s", p.cwd, errstr(errno));
	join_cgroups(getenv(EXEC_CGROUPS_ENV));
	for (i = 0; i < p.nrlimits; i++)
		if (setrlimit(p.rlimits[i].type, &p.rlimits[i].lim) < 0)
			die(EXIT_MYDOCKER, "setrlimit %d: %s", p.rlimits[i].type, errstr(errno));
	path = look_path(p.argv[0], p.path);
	// The command gets only fds 0-2: not our pipes, and not whatever the
	// shell that ran mydocker left open.
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die(EXIT_MYDOCKER, "close descriptors: %s", errstr(errno));
	// The kernel's default timer slack, whichever thread of the CLI forked
	// this stub: one the Go runtime started from its sysmon has sysmon's
	// 1 ms (internal/sysmonslack), which the command would inherit.
	if (prctl(PR_SET_TIMERSLACK, DEFAULT_TIMER_SLACK_NS, 0, 0, 0) < 0)
		die(EXIT_MYDOCKER, "set timer slack: %s", errstr(errno));
	confine(&p);
	// execve makes the process dumpable again, now that it runs only the
	// user's program.
	execve(path, p.argv, p.envp);
	exec_error(p.argv[0], errno);
}
