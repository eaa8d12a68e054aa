package cgroups

import (
	"bufio"
	"io"
	"strings"

	"github.com/pkg/errors"
)

// Mode is the cgroup layout a host uses for resource control.
type Mode int

// The two layouts. A hybrid host (v1 controllers plus an empty cgroup2
// tree, as this project's CI) is V1: that is where the controllers are.
const (
	V1 Mode = 1
	V2 Mode = 2
)

func (m Mode) String() string {
	if m == V2 {
		return "cgroup v2"
	}
	return "cgroup v1"
}

// Subsystems are the v1 controllers mydocker uses.
var Subsystems = []string{"memory", "cpu", "cpuacct", "cpuset", "pids"}

// Detect reads a mount table in /proc/self/mountinfo format. If a cgroup2
// file system is mounted at /sys/fs/cgroup the host is V2 and mounts[""]
// is its root; otherwise it is V1 and mounts maps each subsystem to the
// mount point of its hierarchy.
func Detect(mountinfo io.Reader) (Mode, map[string]string, error) {
	v1 := map[string]string{}
	var v2Root string
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// 36 35 98:0 / /mnt rw,noatime master:1 - cgroup cgroup rw,cpu,cpuacct
		line := sc.Text()
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		fields, postFields := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(postFields) < 3 {
			continue
		}
		mountpoint := unescape(fields[4])
		switch postFields[0] {
		case "cgroup2":
			if mountpoint == "/sys/fs/cgroup" {
				v2Root = mountpoint
			}
		case "cgroup":
			for _, opt := range strings.Split(postFields[2], ",") {
				for _, sub := range Subsystems {
					if opt == sub {
						if _, seen := v1[sub]; !seen {
							v1[sub] = mountpoint
						}
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, nil, errors.Wrap(err, "read mount table")
	}
	if v2Root != "" {
		return V2, map[string]string{"": v2Root}, nil
	}
	if len(v1) == 0 {
		return 0, nil, errors.New("no cgroup file system mounted (neither v2 at /sys/fs/cgroup nor v1 controllers)")
	}
	return V1, v1, nil
}

// unescape decodes the octal escapes mountinfo uses for spaces and such.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}
