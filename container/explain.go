package container

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/cgroups"
	"mydocker/network"
	"mydocker/trace"
)

// Explanation is a running container's kernel state, section by section,
// each naming the chapter of the series that builds it: what `mydocker
// explain` prints. Everything is read from the kernel (/proc, the cgroup
// files, mountinfo, netlink, iptables), not from the record, except where
// the record is the only source (which layers the overlay stacks).
type Explanation struct {
	ID         string            `json:"Id"`
	Name       string            `json:"Name"`
	Pid        int               `json:"Pid"`
	Namespaces NamespaceSection  `json:"Namespaces"`
	Cgroups    CgroupSection     `json:"Cgroups"`
	Rootfs     RootfsSection     `json:"Rootfs"`
	Mounts     MountSection      `json:"Mounts"`
	Env        EnvSection        `json:"Env"`
	Network    *NetworkSection   `json:"Network,omitempty"`
	Chapters   map[string]string `json:"Chapters"` // "ch.N": its title, for every section above
}

// Section names the chapter that explains it.
type Section struct {
	Chapter int    `json:"Chapter"`
	Title   string `json:"Title"`
}

func section(t trace.Topic) Section {
	c := trace.ChapterOf(t)
	return Section{Chapter: c.Number, Title: c.Title}
}

// NamespaceInfo is one namespace of the container's first process.
type NamespaceInfo struct {
	Type  string `json:"Type"`
	Inode uint64 `json:"Inode"`
	// SharedWith is "host" when this command (on the host) is in the
	// same namespace, and the names of other running containers in it; empty:
	// the container's own.
	SharedWith []string `json:"SharedWith,omitempty"`
}

type NamespaceSection struct {
	Section
	Namespaces []NamespaceInfo `json:"Namespaces"`
}

// Cgroup is the container's cgroup in one hierarchy (v2: the one).
type Cgroup struct {
	Controller string            `json:"Controller,omitempty"` // v1: the hierarchy's; v2: empty
	Path       string            `json:"Path"`
	Values     map[string]string `json:"Values"` // limit file: its content
}

type CgroupSection struct {
	Section
	Version string   `json:"Version"` // "v1" or "v2"
	Driver  string   `json:"Driver"`  // cgroupfs or systemd
	Cgroups []Cgroup `json:"Cgroups"`
}

// RootfsSection is the container's / : an overlay of the image's layers
// under its own writable upper dir, which pivot_root made its root.
type RootfsSection struct {
	Section
	Layout  Section  `json:"Layout"`  // overlay2/<id> (chapter 14)
	Pivot   Section  `json:"Pivot"`   // pivot_root (chapter 4)
	Merged  string   `json:"Merged"`  // the container's / on the host
	Upper   string   `json:"Upper"`   // its writes
	Work    string   `json:"Work"`    // overlayfs's scratch space
	Lower   []string `json:"Lower"`   // the image's layers, top first
	Options string   `json:"Options"` // the overlay mount's options as the kernel shows them
}

// Mount is one mount in the container's mount namespace.
type Mount struct {
	Target  string `json:"Target"`
	Type    string `json:"Type"`
	Source  string `json:"Source"`
	Options string `json:"Options"`          // the mount's
	FSOpts  string `json:"FSOptions"`        // its file system's
	Volume  string `json:"Volume,omitempty"` // the host path of a volume
}

type MountSection struct {
	Section
	Mounts []Mount `json:"Mounts"`
}

// EnvSection names the variables of the command's environment; values
// may be secrets and are not shown.
type EnvSection struct {
	Section
	Names []string `json:"Names"`
}

type NetworkSection struct {
	Section
	Network  string `json:"Network"`
	Bridge   string `json:"Bridge"`
	Gateway  string `json:"Gateway"`
	Subnet   string `json:"Subnet"`
	IPAM     Section
	Address  string `json:"Address"` // IP/prefix
	Endpoint Section
	VethHost string           `json:"VethHost"`
	Devices  []network.Device `json:"Devices"` // inside the container's network namespace
	Ports    []string         `json:"Ports"`
	Rules    []string         `json:"Rules"` // the iptables rules of this container and its network
}

// Explain reads running container rec's kernel state.
func (s *Store) Explain(rec *Record) (*Explanation, error) {
	if rec.State.Status != StatusRunning || !rec.State.Alive() {
		return nil, errors.Errorf("container %s is not running: explain shows a live container's namespaces, cgroups and mounts", rec.Name)
	}
	pid := rec.State.Pid
	e := &Explanation{ID: rec.ID, Name: rec.Name, Pid: pid, Chapters: map[string]string{}}
	var err error
	if e.Namespaces, err = s.explainNamespaces(rec); err != nil {
		return nil, err
	}
	if e.Cgroups, err = explainCgroups(rec); err != nil {
		return nil, err
	}
	if e.Rootfs, err = s.explainRootfs(rec); err != nil {
		return nil, err
	}
	if e.Mounts, err = explainMounts(rec); err != nil {
		return nil, err
	}
	if e.Env, err = explainEnv(pid); err != nil {
		return nil, err
	}
	if network.Bridged(rec.Config.Network) && rec.NetworkSettings.IPAddress != "" {
		if e.Network, err = s.explainNetwork(rec); err != nil {
			return nil, err
		}
	}
	// The process may have exited while we read: what was read may be
	// of a namespace already gone.
	if !rec.State.Alive() {
		return nil, errors.Errorf("container %s exited while it was being explained", rec.Name)
	}
	for _, t := range trace.Topics() {
		c := trace.ChapterOf(t)
		e.Chapters["ch."+strconv.Itoa(c.Number)] = c.Title
	}
	return e, nil
}

// nsTypes are the namespaces /proc/PID/ns shows, in the order the
// chapters meet them.
var nsTypes = []string{"uts", "pid", "mnt", "ipc", "net", "cgroup", "user", "time"}

func nsInode(pid int, typ string) (uint64, error) {
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + typ)
	if err != nil {
		return 0, err
	}
	// "net:[4026532008]"
	_, rest, ok := strings.Cut(link, ":[")
	if !ok {
		return 0, errors.Errorf("unexpected namespace link %q", link)
	}
	return strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64)
}

func (s *Store) explainNamespaces(rec *Record) (NamespaceSection, error) {
	out := NamespaceSection{Section: section(trace.Namespaces)}
	// The other running containers, to tell which namespaces are shared.
	others := map[string]int{}
	recs, _ := s.List()
	for _, o := range recs {
		if o.ID != rec.ID && o.State.Status == StatusRunning && o.State.Alive() {
			others[o.Name] = o.State.Pid
		}
	}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, typ := range nsTypes {
		ino, err := nsInode(rec.State.Pid, typ)
		if os.IsNotExist(err) {
			continue // a kernel without this namespace type
		}
		if err != nil {
			return out, errors.Wrapf(err, "%s namespace of pid %d", typ, rec.State.Pid)
		}
		ns := NamespaceInfo{Type: typ, Inode: ino}
		// The host's is this command's own: mydocker runs on the host (its
		// pid 1's links may not even be readable, in a sandbox).
		if host, err := nsInode(os.Getpid(), typ); err == nil && host == ino {
			ns.SharedWith = append(ns.SharedWith, "host")
		}
		for _, n := range names {
			if other, err := nsInode(others[n], typ); err == nil && other == ino {
				ns.SharedWith = append(ns.SharedWith, n)
			}
		}
		out.Namespaces = append(out.Namespaces, ns)
	}
	return out, nil
}

// limitFiles are the cgroup files that hold limits, v1 and v2 alike: each
// is shown where its hierarchy has it.
var limitFiles = []string{
	// v1
	"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
	"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares",
	"blkio.weight",
	// v2
	"memory.max", "memory.swap.max", "memory.high", "memory.low",
	"cpu.max", "cpu.weight", "io.weight",
	// both
	"cpuset.cpus", "cpuset.mems", "pids.max",
}

func explainCgroups(rec *Record) (CgroupSection, error) {
	out := CgroupSection{Section: section(trace.Cgroups), Version: "v1", Driver: rec.CgroupManager}
	if out.Driver == "" {
		out.Driver = cgroups.DriverCgroupfs
	}
	cg, err := cgroups.New(rec.ID, rec.CgroupManager)
	if err != nil {
		return out, err
	}
	paths := cg.Paths()
	if _, ok := paths[""]; ok {
		out.Version = "v2"
	}
	controllers := make([]string, 0, len(paths))
	for c := range paths {
		controllers = append(controllers, c)
	}
	sort.Strings(controllers)
	for _, c := range controllers {
		dir := paths[c]
		g := Cgroup{Controller: c, Path: dir, Values: map[string]string{}}
		for _, f := range limitFiles {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue // not this hierarchy's, or not this kernel's
			}
			g.Values[f] = strings.TrimSpace(string(data))
		}
		out.Cgroups = append(out.Cgroups, g)
	}
	return out, nil
}

func (s *Store) explainRootfs(rec *Record) (RootfsSection, error) {
	ws := Workspace{Dir: s.WorkspaceDir(rec.ID)}
	out := RootfsSection{Section: section(trace.Overlay), Layout: section(trace.Layout), Pivot: section(trace.Rootfs),
		Merged: ws.Merged(), Upper: ws.Upper(), Work: ws.work()}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		out.Lower = append(out.Lower, rec.Layers[i])
	}
	infos, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(ws.Merged()))
	if err != nil {
		return out, errors.Wrap(err, "read /proc/self/mountinfo")
	}
	if len(infos) == 0 {
		return out, errors.Errorf("the rootfs of %s is not mounted at %s", rec.Name, ws.Merged())
	}
	m := infos[len(infos)-1]
	out.Options = m.VFSOptions
	return out, nil
}

func explainMounts(rec *Record) (MountSection, error) {
	out := MountSection{Section: section(trace.Volumes)}
	f, err := os.Open("/proc/" + strconv.Itoa(rec.State.Pid) + "/mountinfo")
	if err != nil {
		return out, errors.Wrap(err, "read the container's mountinfo")
	}
	defer f.Close()
	infos, err := mountinfo.GetMountsFromReader(f, nil)
	if err != nil {
		return out, errors.Wrap(err, "read the container's mountinfo")
	}
	volumes := map[string]string{}
	for _, v := range rec.Config.Volumes {
		volumes[filepath.Clean(v.Destination)] = v.Source
	}
	for _, m := range infos {
		out.Mounts = append(out.Mounts, Mount{Target: m.Mountpoint, Type: m.FSType, Source: m.Source,
			Options: m.Options, FSOpts: m.VFSOptions, Volume: volumes[m.Mountpoint]})
	}
	return out, nil
}

func explainEnv(pid int) (EnvSection, error) {
	out := EnvSection{Section: section(trace.Env)}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return out, errors.Wrap(err, "read the command's environment")
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if name, _, _ := strings.Cut(string(kv), "="); name != "" {
			out.Names = append(out.Names, name)
		}
	}
	return out, nil
}

func (s *Store) explainNetwork(rec *Record) (*NetworkSection, error) {
	ep := rec.NetworkSettings
	out := &NetworkSection{Section: section(trace.Bridge), IPAM: section(trace.IPAM), Endpoint: section(trace.Endpoint),
		Network: ep.Network, Gateway: ep.Gateway, Address: ep.IPAddress + "/" + strconv.Itoa(ep.PrefixLen), VethHost: ep.VethHost}
	n, err := network.NewStore(s.Layout.Root).Get(ep.Network)
	if err != nil {
		log.Debugf("explain %s: %v", rec.Name, err)
	} else {
		out.Bridge, out.Subnet = n.Bridge, n.Subnet
	}
	if out.Devices, err = network.Devices(rec.State.Pid); err != nil {
		return nil, err
	}
	for _, p := range ep.Ports {
		out.Ports = append(out.Ports, p.String())
	}
	if out.Rules, err = network.Rules(rec.ID, out.Bridge); err != nil {
		return nil, err
	}
	return out, nil
}
