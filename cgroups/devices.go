package cgroups

import (
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// The devices controller: which device nodes a container may open and
// make. CAP_MKNOD is among Docker's default capabilities, so without it a
// container could make a node for any host device (a disk, the console's
// memory /dev/vcs) and read it. As Docker and runc, every container gets
// an allow list: any node may be made, only the standard ones (null,
// zero, full, random, urandom, tty, console, ptmx, the ptys) opened, plus
// what --device adds; --privileged allows everything. v1 writes the list
// to devices.deny and devices.allow; v2 has no such files, and attaches
// an eBPF program that checks each access against it (devices_bpf.go).
var devicesController = controller{
	name:  "devices",
	setV1: setDevicesV1,
	setV2: setDevicesV2,
}

// DeviceRule allows access to devices: Type "a" (any), "b" or "c"; Major
// and Minor -1 for any; Access a subset of "rwm" (read, write, mknod).
type DeviceRule struct {
	Type   string `json:"Type"`
	Major  int64  `json:"Major"`
	Minor  int64  `json:"Minor"`
	Access string `json:"Access"`
}

// String is the rule as v1's devices.allow reads it: "c 1:3 rwm".
func (d DeviceRule) String() string {
	num := func(n int64) string {
		if n < 0 {
			return "*"
		}
		return fmt.Sprint(n)
	}
	if d.Type == "a" {
		return "a *:* " + d.Access
	}
	return fmt.Sprintf("%s %s:%s %s", d.Type, num(d.Major), num(d.Minor), d.Access)
}

// DefaultDeviceRules are what every container may use, as runc's.
var DefaultDeviceRules = []DeviceRule{
	{"c", -1, -1, "m"}, {"b", -1, -1, "m"}, // make any node; opening it is another matter
	{"c", 1, 3, "rwm"}, {"c", 1, 5, "rwm"}, {"c", 1, 7, "rwm"}, // null, zero, full
	{"c", 1, 8, "rwm"}, {"c", 1, 9, "rwm"}, // random, urandom
	{"c", 5, 0, "rwm"}, {"c", 5, 1, "rwm"}, {"c", 5, 2, "rwm"}, // tty, console, ptmx
	{"c", 136, -1, "rwm"}, // the ptys
}

// AllowAllDevices is --privileged's rule.
var AllowAllDevices = []DeviceRule{{"a", -1, -1, "rwm"}}

// CheckDeviceRule refuses a rule neither v1 nor the BPF program could
// express.
func CheckDeviceRule(d DeviceRule) error {
	switch d.Type {
	case "a", "b", "c":
	default:
		return errors.Errorf("device rule %+v: type must be a, b or c", d)
	}
	if d.Access == "" || strings.Trim(d.Access, "rwm") != "" {
		return errors.Errorf("device rule %+v: access must be made of r, w and m", d)
	}
	if d.Major < -1 || d.Minor < -1 || d.Major > 1<<32-1 || d.Minor > 1<<32-1 {
		return errors.Errorf("device rule %+v: bad device number", d)
	}
	return nil
}

// setDevicesV1 replaces the cgroup's allow list by r's: deny everything,
// then allow each rule. A record from before device rules has none and
// is left as it was. Writing the same list again (update) changes
// nothing, so running processes never see a moment of deny-all.
func setDevicesV1(dir string, r *Resources) error {
	if r.Devices == nil {
		return nil
	}
	var want []string
	for _, d := range r.Devices {
		if err := CheckDeviceRule(d); err != nil {
			return err
		}
		want = append(want, d.String())
	}
	if cur, err := readFile(dir, "devices.list"); err == nil && cur == strings.Join(want, "\n") {
		return nil
	}
	if err := writeFile(dir, "devices.deny", "a"); err != nil {
		return err
	}
	for _, rule := range want {
		if err := writeFile(dir, "devices.allow", rule); err != nil {
			return err
		}
	}
	return nil
}

// setDevicesV2 attaches the BPF program for r's rules to the cgroup,
// replacing any earlier one.
func setDevicesV2(dir string, r *Resources) error {
	if r.Devices == nil {
		return nil
	}
	for _, d := range r.Devices {
		if err := CheckDeviceRule(d); err != nil {
			return err
		}
	}
	insns := deviceFilter(r.Devices)
	prog, err := loadCgroupDeviceProg(insns)
	if err != nil {
		return errors.Wrap(err, "load the device filter")
	}
	defer unix.Close(prog)
	cg, err := os.Open(dir)
	if err != nil {
		return errors.Wrap(err, "open cgroup for the device filter")
	}
	defer cg.Close()
	return errors.Wrapf(attachCgroupDeviceProg(int(cg.Fd()), prog), "attach the device filter to %s", dir)
}
