package container

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"mydocker/cgroups"
	"mydocker/container/spec"
	"mydocker/network"
	"mydocker/utils"
)

// This file is how containers are shown: inspect's document and ps's
// rows, with Docker's field names and shapes, so that scripts written for
// `docker inspect -f` and `docker ps --format` read the same values here.
// The record keeps what mydocker needs; these views are derived from it
// and never stored.

// InspectView is `inspect`'s document for a container.
type InspectView struct {
	ID              string             `json:"Id"`
	Created         time.Time          `json:"Created"`
	Path            string             `json:"Path"`
	Args            []string           `json:"Args"`
	State           InspectState       `json:"State"`
	Image           string             `json:"Image"` // the image ID, as Docker's
	LogPath         string             `json:"LogPath"`
	Name            string             `json:"Name"` // "/name", as Docker's
	RestartCount    int                `json:"RestartCount"`
	Driver          string             `json:"Driver"`
	Platform        string             `json:"Platform"`
	HostConfig      InspectHostConfig  `json:"HostConfig"`
	GraphDriver     GraphDriver        `json:"GraphDriver"`
	Mounts          []MountPoint       `json:"Mounts"`
	Config          InspectConfig      `json:"Config"`
	NetworkSettings InspectNetSettings `json:"NetworkSettings"`
	ImageID         string             `json:"ImageID,omitempty"` // mydocker's: the same as Image
	ImageDigest     string             `json:"ImageDigest,omitempty"`
	Layers          []string           `json:"Layers,omitempty"` // mydocker's: the unpacked layers, lowest first
	Pod             string             `json:"Pod"`              // the pod's ID, as podman's; "" for none
}

// InspectState is State as docker inspect shows it.
type InspectState struct {
	Status     string    `json:"Status"` // created, running, paused or exited
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"` // 0 unless running
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// MonitorPid is mydocker's: the process that watches the container
	// and records its exit (there is no daemon).
	MonitorPid int `json:"MonitorPid,omitempty"`
	// Health is the healthcheck's state; absent without one.
	Health *Health `json:"Health,omitempty"`
}

// InspectConfig is Config as docker inspect shows it.
type InspectConfig struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Image        string              `json:"Image"` // the reference the user gave
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	OnBuild      []string            `json:"OnBuild"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"`
	Healthcheck  *v1.HealthConfig    `json:"Healthcheck,omitempty"`
	// Resources is mydocker's: the limits as the record keeps them (the
	// same values appear in HostConfig under Docker's names).
	Resources cgroups.Resources `json:"Resources"`
}

// InspectHostConfig is HostConfig as docker inspect shows it: how the
// container is run on this host.
type InspectHostConfig struct {
	Binds             []string              `json:"Binds"`
	LogConfig         LogConfig             `json:"LogConfig"`
	NetworkMode       string                `json:"NetworkMode"`
	PortBindings      map[string][]PortBind `json:"PortBindings"`
	RestartPolicy     RestartPolicy         `json:"RestartPolicy"`
	AutoRemove        bool                  `json:"AutoRemove"`
	CapAdd            []string              `json:"CapAdd"`
	CapDrop           []string              `json:"CapDrop"`
	Privileged        bool                  `json:"Privileged"`
	SecurityOpt       []string              `json:"SecurityOpt"`
	CpuShares         int64                 `json:"CpuShares"`
	Memory            int64                 `json:"Memory"`
	NanoCpus          int64                 `json:"NanoCpus"`
	BlkioWeight       uint16                `json:"BlkioWeight"`
	CpuPeriod         int64                 `json:"CpuPeriod"`
	CpuQuota          int64                 `json:"CpuQuota"`
	CpusetCpus        string                `json:"CpusetCpus"`
	MemoryReservation int64                 `json:"MemoryReservation"`
	MemorySwap        int64                 `json:"MemorySwap"`
	PidsLimit         *int64                `json:"PidsLimit"` // null when unlimited, as Docker's
	ReadonlyRootfs    bool                  `json:"ReadonlyRootfs"`
	ShmSize           int64                 `json:"ShmSize"`
	GroupAdd          []string              `json:"GroupAdd"`
	Ulimits           []Ulimit              `json:"Ulimits"`
	Devices           []DeviceMapping       `json:"Devices"`
	Init              *bool                 `json:"Init"`
	Tmpfs             map[string]string     `json:"Tmpfs,omitempty"`
	IpcMode           string                `json:"IpcMode"` // private, shareable, host or container:<id>
	PidMode           string                `json:"PidMode"` // "" (its own), host or container:<id>
	UTSMode           string                `json:"UTSMode"`
}

// LogConfig is the log driver and its options.
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// PortBind is one host side of a published port.
type PortBind struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// GraphDriver shows the overlay directories, as Docker's overlay2 does.
type GraphDriver struct {
	Data map[string]string `json:"Data"`
	Name string            `json:"Name"`
}

// MountPoint is one entry of the top-level Mounts.
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`   // a volume's
	Driver      string `json:"Driver,omitempty"` // a volume's: local
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// InspectNetSettings is NetworkSettings as docker inspect shows it. The
// top-level address fields describe the container's network whichever it
// is (Docker fills them for its default network only).
type InspectNetSettings struct {
	Ports       map[string][]PortBind    `json:"Ports"`
	Gateway     string                   `json:"Gateway"`
	IPAddress   string                   `json:"IPAddress"`
	IPPrefixLen int                      `json:"IPPrefixLen"`
	MacAddress  string                   `json:"MacAddress"`
	Networks    map[string]*EndpointView `json:"Networks"`
}

// EndpointView is one network the container is on.
type EndpointView struct {
	NetworkID   string   `json:"NetworkID"`
	EndpointID  string   `json:"EndpointID"`
	Gateway     string   `json:"Gateway"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	MacAddress  string   `json:"MacAddress"`
	Aliases     []string `json:"Aliases"`
}

// NetworkNames are the networks the container is on (or joins when it
// starts), for ps's Networks and inspect's NetworkSettings.Networks.
func (rec *Record) NetworkNames() []string {
	name := rec.NetworkSettings.Network
	if name == "" {
		name = rec.Config.Network
	}
	if name == "" {
		return nil
	}
	return []string{name}
}

// networkMode is HostConfig.NetworkMode: the network asked for, or none
// when the container has only its loopback.
func (rec *Record) networkMode() string {
	if rec.Config.Network == "" {
		return "none"
	}
	return rec.Config.Network
}

// live reports whether the container's process runs now (paused counts).
func (rec *Record) live() bool { return rec.State.Status == StatusRunning }

// Inspect is the container as docker inspect shows it. netID gives a
// network's ID by name ("" if unknown); workspace is the container's
// overlay directory.
func (rec *Record) Inspect(workspace, logPath string, netID func(string) string) *InspectView {
	c := &rec.Config
	args := c.Args()
	v := &InspectView{
		ID: rec.ID, Created: rec.Created.UTC(), Path: args[0], Args: append([]string{}, args[1:]...),
		Image: rec.ImageID, LogPath: logPath, Name: "/" + rec.Name, Driver: "overlay2", Platform: "linux",
		ImageID: rec.ImageID, ImageDigest: rec.ImageDigest, Layers: rec.Layers,
		RestartCount: rec.RestartCount,
	}
	st := rec.State
	v.State = InspectState{
		Status: st.DisplayStatus(), Running: rec.live(), Paused: st.Paused && rec.live(), OOMKilled: st.OOMKilled,
		ExitCode: st.ExitCode, Error: st.Error, StartedAt: st.StartedAt.UTC(), FinishedAt: st.FinishedAt.UTC(),
		Health: st.Health,
		// As Docker's: a container waiting to restart counts as running.
		Restarting: st.Restarting,
	}
	v.State.Running = v.State.Running || st.Restarting
	if rec.live() {
		v.State.Pid, v.State.MonitorPid = st.Pid, st.MonitorPid
	}
	if st.Restarting {
		v.State.MonitorPid = st.MonitorPid
	}
	hostname := c.Hostname
	if hostname == "" {
		hostname = utils.ShortID(rec.ID)
	}
	v.Config = InspectConfig{
		Hostname: hostname, User: c.User, AttachStdin: c.OpenStdin, AttachStdout: true, AttachStderr: true,
		ExposedPorts: c.ExposedPorts, Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.OpenStdin && !c.Tty,
		Env: nonNil(c.Env), Cmd: c.Cmd, Image: c.Image, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint,
		Labels: c.Labels, StopSignal: c.StopSignal, StopTimeout: c.StopTimeout, Healthcheck: c.Healthcheck,
		Resources: c.Resources,
	}
	if v.Config.Image == "" {
		v.Config.Image = rec.Image
	}
	if v.Config.Labels == nil {
		v.Config.Labels = map[string]string{}
	}
	v.HostConfig = rec.hostConfig()
	v.GraphDriver = GraphDriver{Name: "overlay2", Data: map[string]string{
		"LowerDir":  strings.Join(reversed(rec.Layers), ":"),
		"UpperDir":  workspace + "/upper",
		"WorkDir":   workspace + "/work",
		"MergedDir": workspace + "/merged",
	}}
	v.Mounts = []MountPoint{}
	for _, m := range c.Volumes {
		mp := MountPoint{Type: spec.MountBind, Source: m.Source, Destination: m.Destination, RW: !m.ReadOnly, Propagation: "rprivate"}
		switch m.Type {
		case spec.MountVolume:
			mp.Type, mp.Name, mp.Driver, mp.Propagation = spec.MountVolume, m.Name, "local", ""
		case spec.MountTmpfs:
			mp.Type, mp.Propagation = spec.MountTmpfs, ""
		}
		if m.ReadOnly {
			mp.Mode = "ro"
		}
		v.Mounts = append(v.Mounts, mp)
	}
	v.NetworkSettings = rec.netSettings(netID)
	v.Pod = rec.Config.Pod
	return v
}

func (rec *Record) hostConfig() InspectHostConfig {
	c, r := &rec.Config, &rec.Config.Resources
	h := InspectHostConfig{
		NetworkMode: rec.networkMode(), PortBindings: map[string][]PortBind{},
		RestartPolicy: c.RestartPolicy.Normalized(), AutoRemove: c.AutoRemove,
		CapAdd: c.CapAdd, CapDrop: c.CapDrop, Privileged: c.Privileged, SecurityOpt: c.SecurityOpt,
		CpuShares: int64(r.CPUShares), Memory: r.Memory, BlkioWeight: r.BlkioWeight,
		CpuPeriod: int64(r.CPUPeriod), CpuQuota: r.CPUQuota, CpusetCpus: r.CpusetCpus,
		MemoryReservation: r.MemoryReservation, MemorySwap: r.MemorySwap,
		IpcMode: c.IpcMode, PidMode: c.PidMode, UTSMode: c.UTSMode,
	}
	if h.IpcMode == "" {
		h.IpcMode = ModePrivate // as Docker shows its default
	}
	for _, m := range c.Volumes {
		src := m.Source
		switch m.Type {
		case spec.MountTmpfs:
			if h.Tmpfs == nil {
				h.Tmpfs = map[string]string{}
			}
			h.Tmpfs[m.Destination] = m.Data
			continue
		case spec.MountVolume:
			if m.Anonymous {
				continue // Docker lists those under Config.Volumes only
			}
			src = m.Name
		}
		b := src + ":" + m.Destination
		if m.ReadOnly {
			b += ":ro"
		}
		h.Binds = append(h.Binds, b)
	}
	h.ReadonlyRootfs, h.ShmSize, h.GroupAdd, h.Ulimits, h.Devices = c.ReadonlyRootfs, c.ShmSize, c.GroupAdd, c.Ulimits, c.Devices
	if c.Init {
		yes := true
		h.Init = &yes
	}
	log := c.Log.withDefaults()
	h.LogConfig = LogConfig{Type: "json-file", Config: map[string]string{
		"max-size": strconv.FormatInt(log.MaxSize, 10), "max-file": strconv.Itoa(log.MaxFile)}}
	for _, p := range c.Ports {
		k := portKey(p)
		h.PortBindings[k] = append(h.PortBindings[k], PortBind{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	// As Docker: a memory limit without a swap limit allows as much swap
	// again (the cgroup is set so), and --cpus is also a count in
	// billionths of a CPU.
	if h.MemorySwap == 0 && h.Memory > 0 {
		h.MemorySwap = 2 * h.Memory
	}
	if r.CPUQuota > 0 && r.CPUPeriod > 0 {
		h.NanoCpus = r.CPUQuota * 1e9 / int64(r.CPUPeriod)
	}
	if r.PidsLimit != 0 {
		n := r.PidsLimit
		h.PidsLimit = &n
	}
	return h
}

// netSettings shows the container's addresses while it runs; a stopped
// container keeps its networks but, as Docker shows it, no address or
// published port.
func (rec *Record) netSettings(netID func(string) string) InspectNetSettings {
	ns := InspectNetSettings{Ports: map[string][]PortBind{}, Networks: map[string]*EndpointView{}}
	ep := rec.NetworkSettings
	live := rec.live() && ep.IPAddress != ""
	for _, name := range rec.NetworkNames() {
		v := &EndpointView{Aliases: nil}
		if netID != nil {
			v.NetworkID = netID(name)
		}
		if live && name == ep.Network {
			v.EndpointID = rec.ID // one endpoint per container and network
			v.Gateway, v.IPAddress, v.IPPrefixLen, v.MacAddress = ep.Gateway, ep.IPAddress, ep.PrefixLen, ep.MacAddress
		}
		ns.Networks[name] = v
	}
	if !live {
		return ns
	}
	ns.Gateway, ns.IPAddress, ns.IPPrefixLen, ns.MacAddress = ep.Gateway, ep.IPAddress, ep.PrefixLen, ep.MacAddress
	for p := range rec.Config.ExposedPorts {
		ns.Ports[p] = nil // exposed, not published: null, as Docker's
	}
	for _, p := range ep.Ports {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		k := portKey(p)
		ns.Ports[k] = append(ns.Ports[k], PortBind{HostIP: ip, HostPort: strconv.Itoa(p.HostPort)})
	}
	return ns
}

func portKey(p network.PortMapping) string { return strconv.Itoa(p.ContainerPort) + "/" + p.Protocol }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[len(s)-1-i] = x
	}
	return out
}

// StatusText is ps's STATUS as Docker words it: "Up 3 seconds",
// "Up 2 minutes (Paused)", "Exited (0) 5 seconds ago", "Created",
// "Restarting (3) 2 seconds ago".
func (rec *Record) StatusText(now time.Time) string {
	st := &rec.State
	switch {
	case st.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, HumanDuration(now.Sub(st.FinishedAt)))
	case rec.live() && st.Paused:
		return "Up " + HumanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case rec.live():
		return "Up " + HumanDuration(now.Sub(st.StartedAt)) + st.StatusSuffix()
	case st.Status == StatusCreated || st.StartedAt.IsZero():
		return "Created"
	case st.FinishedAt.IsZero():
		return fmt.Sprintf("Exited (%d)", st.ExitCode)
	}
	return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, HumanDuration(now.Sub(st.FinishedAt)))
}

// HumanDuration words d as Docker's ps does: "Less than a second",
// "1 second", "About a minute", "3 hours", "2 weeks".
func HumanDuration(d time.Duration) string {
	s := int64(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	min := int64(d.Minutes())
	switch {
	case min == 1:
		return "About a minute"
	case min < 60:
		return fmt.Sprintf("%d minutes", min)
	}
	h := int64(d.Hours() + 0.5)
	switch {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", int64(d.Hours())/24/365)
}

// PortsText is ps's PORTS while the container runs: published ports as
// Docker shows them (0.0.0.0:8080->80/tcp, consecutive ports as ranges:
// 0.0.0.0:8080-8081->80-81/tcp), then exposed ones that are not
// published (53/udp).
func (rec *Record) PortsText() string {
	if !rec.live() {
		return ""
	}
	ports := append([]network.PortMapping{}, rec.NetworkSettings.Ports...)
	published := map[string]bool{}
	for _, p := range ports {
		published[portKey(p)] = true
	}
	sort.Slice(ports, func(i, j int) bool {
		a, b := ports[i], ports[j]
		if a.HostIP != b.HostIP {
			return a.HostIP < b.HostIP
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.ContainerPort < b.ContainerPort
	})
	var out []string
	for i := 0; i < len(ports); {
		p := ports[i]
		j := i + 1
		for j < len(ports) && ports[j].HostIP == p.HostIP && ports[j].Protocol == p.Protocol &&
			ports[j].ContainerPort == p.ContainerPort+(j-i) && ports[j].HostPort == p.HostPort+(j-i) {
			j++
		}
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		host, ctr := strconv.Itoa(p.HostPort), strconv.Itoa(p.ContainerPort)
		if last := ports[j-1]; j-i > 1 {
			host += "-" + strconv.Itoa(last.HostPort)
			ctr += "-" + strconv.Itoa(last.ContainerPort)
		}
		out = append(out, ip+":"+host+"->"+ctr+"/"+p.Protocol)
		i = j
	}
	var exposed []string
	for p := range rec.Config.ExposedPorts {
		if !published[p] {
			exposed = append(exposed, p)
		}
	}
	sort.Strings(exposed)
	return strings.Join(append(out, exposed...), ", ")
}

// Id is {{.Id}}, the spelling of Docker's JSON, which templates use as
// often as the Go field's {{.ID}}.
func (v *InspectView) Id() string { return v.ID } //nolint:revive // Docker's spelling
