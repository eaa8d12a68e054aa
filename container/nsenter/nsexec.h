// The exec stub (nsenter.c, nsexec.c), linked into mydocker-init with
// the reaper (container/inside/reaper). The names of the environment
// variables are spec's (ExecNamespacesEnv, ExecPlanEnv, ExecSyncEnv,
// ExecCgroupsEnv): spec's nsexec_test keeps them equal.
#ifndef MYDOCKER_NSEXEC_H
#define MYDOCKER_NSEXEC_H

#define NSENTER_ENV "_MYDOCKER_NSENTER"
#define EXEC_PLAN_ENV "_MYDOCKER_EXEC_PLAN_FD"
#define EXEC_SYNC_ENV "_MYDOCKER_EXEC_SYNC_FD"
#define EXEC_CGROUPS_ENV "_MYDOCKER_EXEC_CGROUP_FDS"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// mydocker_nsenter joins the namespaces NSENTER_ENV names, forks, waits
// for the child and exits as it did; the child follows the exec plan to
// the command (mydocker_nsexec). It returns only when NSENTER_ENV is not
// set.
void mydocker_nsenter(void);

// mydocker_nsexec follows the exec plan and execs the command, in the
// child nsenter.c forked into the container's namespaces. It does not
// return.
void mydocker_nsexec(void) __attribute__((noreturn));

#endif
