package cgroups

// A controller is one cgroup subsystem as mydocker uses it: the limits it
// writes and the usage it reads, in v1's files (in the subsystem's own
// hierarchy) and in v2's (in the container's one directory). Each has a
// file of its own (memory.go, cpu.go, cpuset.go, pids.go) holding both
// versions and the parser of its flag, as runc's libcontainer keeps one
// file per subsystem; the Managers (v1.go, v2.go) create, join and remove
// the cgroups and call each controller. A nil function has nothing to do.
type controller struct {
	name string
	// nameV2 is the controller's name in cgroup.controllers when v2
	// calls it otherwise (v1's blkio is v2's io); "": name.
	nameV2 string
	// createV1 makes the controller's v1 cgroup dir below its hierarchy's
	// root; nil: a plain mkdir -p.
	createV1 func(root, dir string) error
	// setV1 and setV2 write r's limits into the cgroup dir.
	setV1, setV2 func(dir string, r *Resources) error
	// statsV1 and statsV2 add what the cgroup dir reports to st.
	statsV1, statsV2 func(dir string, st *Stats) error
}

// controllers are the subsystems mydocker uses, by name.
var controllers = []controller{cpuController, cpuacctController, cpusetController, memoryController, pidsController,
	blkioController, freezerController, devicesController}

// v2Name is the controller's name in v2's cgroup.controllers.
func (c controller) v2Name() string {
	if c.nameV2 != "" {
		return c.nameV2
	}
	return c.name
}

// inV2 tells whether v2 has the controller: v1's cpuacct is part of v2's
// cpu, and v2 freezes with cgroup.freeze, a core file of every cgroup.
func (c controller) inV2() bool { return c.setV2 != nil || c.statsV2 != nil }

// Subsystems are the v1 controllers mydocker uses.
var Subsystems = func() []string {
	var names []string
	for _, c := range controllers {
		names = append(names, c.name)
	}
	return names
}()
