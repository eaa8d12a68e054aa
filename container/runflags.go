package container

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
	"mydocker/utils"
)

// Ulimit is one --ulimit, as Docker's HostConfig.Ulimits shows it; -1 is
// unlimited.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// rlimitTypes are the names --ulimit takes, Docker's.
var rlimitTypes = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU,
	"data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS,
	"memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE,
	"nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS,
	"rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME,
	"sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

func parseLimitValue(s string) (int64, error) {
	if s == "unlimited" || s == "-1" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.Errorf("%q is not a number (or unlimited)", s)
	}
	return n, nil
}

func rlimValue(n int64) uint64 {
	if n < 0 {
		return unix.RLIM_INFINITY
	}
	return uint64(n)
}

// ParseUlimit parses --ulimit name=soft[:hard] (hard defaults to soft).
// getHard gives this host's hard limit for a resource: the container's
// limits are set by a process without CAP_SYS_RESOURCE in effect, as
// Docker's would be rootless, so none may exceed it.
func ParseUlimit(arg string, getHard func(resource int) (uint64, error)) (Ulimit, error) {
	name, val, ok := strings.Cut(arg, "=")
	bad := func(format string, a ...any) (Ulimit, error) {
		return Ulimit{}, errors.Errorf("invalid --ulimit %q: "+format, append([]any{arg}, a...)...)
	}
	if !ok {
		return bad("want name=soft[:hard]")
	}
	typ, known := rlimitTypes[name]
	if !known {
		return bad("unknown limit %q", name)
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	u := Ulimit{Name: name}
	var err error
	if u.Soft, err = parseLimitValue(softS); err != nil {
		return bad("%v", err)
	}
	u.Hard = u.Soft
	if hasHard {
		if u.Hard, err = parseLimitValue(hardS); err != nil {
			return bad("%v", err)
		}
	}
	if rlimValue(u.Soft) > rlimValue(u.Hard) {
		return bad("soft limit %s is above the hard limit %s", softS, hardS)
	}
	host, err := getHard(typ)
	if err != nil {
		return bad("%v", err)
	}
	if rlimValue(u.Hard) > host {
		limit := "unlimited"
		if host != unix.RLIM_INFINITY {
			limit = strconv.FormatUint(host, 10)
		}
		return bad("above this host's hard limit (%s)", limit)
	}
	return u, nil
}

// HostHardLimit is this process's hard limit for resource.
func HostHardLimit(resource int) (uint64, error) {
	var r unix.Rlimit
	if err := unix.Getrlimit(resource, &r); err != nil {
		return 0, errors.Wrap(err, "getrlimit")
	}
	return r.Max, nil
}

// groupRE is what --group-add takes: a gid or a group name.
func validGroup(g string) bool {
	if g == "" || len(g) > 256 {
		return false
	}
	for _, r := range g {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// ParseGroupAdd checks --group-add values: gids or group names, looked up
// in the container's /etc/group when it starts.
func ParseGroupAdd(groups []string) ([]string, error) {
	for _, g := range groups {
		if !validGroup(g) {
			return nil, errors.Errorf("invalid --group-add %q: want a group name or gid", g)
		}
		if n, err := strconv.ParseUint(g, 10, 64); err == nil && n > math.MaxUint32-1 {
			return nil, errors.Errorf("invalid --group-add %q: gid out of range", g)
		}
	}
	return groups, nil
}

// ParseShmSize parses --shm-size: a size such as 64m, more than zero.
func ParseShmSize(s string) (int64, error) {
	n, err := utils.ParseSize(s)
	if err != nil {
		return 0, errors.Wrapf(err, "invalid --shm-size %q", s)
	}
	return n, nil
}

// maxEnvFile bounds an --env-file: the environment has to fit in execve.
const maxEnvFile = 1 << 20

// ParseEnvFile reads an --env-file in Docker's format: one VAR=VALUE per
// line, taken literally (no quotes, no expansion); lines starting with #
// and blank lines are skipped; a bare VAR copies it from this
// environment, and is dropped if unset there, as -e VAR is.
func ParseEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "--env-file")
	}
	if len(data) > maxEnvFile {
		return nil, errors.Errorf("--env-file %s: larger than %d bytes", path, maxEnvFile)
	}
	return parseEnvLines(path, data)
}

func parseEnvLines(path string, data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM
	var vars []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxEnvFile+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if !utf8.ValidString(line) {
			return nil, errors.Errorf("--env-file %s: line %d is not UTF-8", path, n)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, hasValue := strings.Cut(line, "=")
		if key == "" {
			return nil, errors.Errorf("--env-file %s: line %d has no variable name", path, n)
		}
		if strings.ContainsAny(key, " \t") {
			return nil, errors.Errorf("--env-file %s: line %d: variable %q contains whitespace", path, n, key)
		}
		if !hasValue {
			line = strings.TrimRight(line, " \t\r")
		}
		vars = append(vars, line)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(err, "--env-file %s", path)
	}
	env, err := ParseEnv(vars)
	return env, errors.Wrapf(err, "--env-file %s", path)
}

// processExtras is what each process of the container gets besides its
// user: --group-add and --ulimit.
func (c *Config) processExtras() spec.ProcessExtras {
	p := spec.ProcessExtras{GroupAdd: c.GroupAdd}
	for _, u := range c.Ulimits {
		p.Rlimits = append(p.Rlimits, spec.Rlimit{Type: rlimitTypes[u.Name], Soft: rlimValue(u.Soft), Hard: rlimValue(u.Hard)})
	}
	return p
}

// processEnv is the environment a container's process starts with, as
// Docker makes it: HOSTNAME, TERM=xterm with a terminal, then the
// container's own, which wins.
func processEnv(hostname string, tty bool, env []string) []string {
	base := []string{"HOSTNAME=" + hostname}
	if tty {
		base = append(base, "TERM=xterm")
	}
	return MergeEnv(base, env)
}

// sortMounts orders mounts so that a mount inside another's destination
// comes after it, as Docker does: by number of path components.
func sortMounts(mounts []spec.Mount) []spec.Mount {
	out := append([]spec.Mount{}, mounts...)
	sort.SliceStable(out, func(i, j int) bool {
		return strings.Count(out[i].Destination, "/") < strings.Count(out[j].Destination, "/")
	})
	return out
}

// DefaultStopTimeout is how long stop waits before SIGKILL when neither
// stop -t nor --stop-timeout says, as Docker.
const DefaultStopTimeout = 10 * time.Second

// StopWait is how long stop waits for the container before SIGKILL:
// --stop-timeout (-1: as good as forever), else DefaultStopTimeout.
func (c *Config) StopWait() time.Duration {
	if c.StopTimeout == nil {
		return DefaultStopTimeout
	}
	if *c.StopTimeout < 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(*c.StopTimeout) * time.Second
}

// ReaperName is the program --init runs as pid 1, a pod's pause process
// and exec's stub (container/nsenter), installed beside mydocker (make
// build, make install).
const ReaperName = "mydocker-init"

// ReaperPath is where mydocker-init is: beside this mydocker binary. It
// is --init's reaper, a pod's pause process and exec's stub.
func ReaperPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", errors.Wrap(err, "find mydocker's own binary")
	}
	p := filepath.Join(filepath.Dir(exe), ReaperName)
	fi, err := os.Stat(p)
	if err != nil {
		return "", errors.Errorf("%s not found beside %s (make build and make install put it there)", ReaperName, exe)
	}
	if !fi.Mode().IsRegular() {
		return "", errors.Errorf("%s is not a regular file", p)
	}
	return p, nil
}
