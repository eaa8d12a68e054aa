package trace

// Topic is what a step is about; each topic is taught by one chapter of
// the series ("从零开始写 Docker", parts 1-18).
type Topic string

// The topics, in the order the series teaches them.
const (
	Namespaces Topic = "namespaces" // clone flags, /proc, hostname, unshare
	Cgroups    Topic = "cgroups"    // mkdir, limit files, tasks, rmdir
	Pipe       Topic = "pipe"       // the command through a pipe to init, execve
	Rootfs     Topic = "rootfs"     // private mounts, /dev, /sys, pivot_root
	Overlay    Topic = "overlay"    // the copy-on-write rootfs
	Volumes    Topic = "volumes"    // -v bind mounts
	Commit     Topic = "commit"     // the container's files as an image
	Detach     Topic = "detach"     // run -d: the monitor in its own session
	Ps         Topic = "ps"         // the record ps reads
	Logs       Topic = "logs"       // the container's output to its log
	Exec       Topic = "exec"       // setns into a running container
	Stop       Topic = "stop"       // the stop signal
	Rm         Topic = "rm"         // deleting the container
	Layout     Topic = "layout"     // overlay2/<id>/{upper,work,merged}
	Env        Topic = "env"        // -e
	Bridge     Topic = "bridge"     // the network's bridge, NAT
	IPAM       Topic = "ipam"       // an address from the subnet
	Endpoint   Topic = "endpoint"   // veth, address, route, published ports
)

// Chapter is one part of the series.
type Chapter struct {
	Number int
	Title  string
}

// chapters is the one table of which chapter explains which topic. The
// numbers are the series' parts: part 4 prepares busybox's rootfs for
// pivot_root, part 6 adds volumes, part 14 gives each container its own
// overlay2/<id>, parts 16-18 build the bridge network.
var chapters = map[Topic]Chapter{
	Namespaces: {1, "run: new namespaces (clone flags), /proc"},
	Cgroups:    {2, "cgroups: resource limits"},
	Pipe:       {3, "passing the command to init through a pipe"},
	Rootfs:     {4, "pivot_root: the image as the container's /"},
	Overlay:    {5, "overlayfs: a writable layer over the image"},
	Volumes:    {6, "run -v: data volumes"},
	Commit:     {7, "commit: the container as an image"},
	Detach:     {8, "run -d: containers in the background"},
	Ps:         {9, "ps: the container records"},
	Logs:       {10, "logs: the container's output"},
	Exec:       {11, "exec: setns into a running container"},
	Stop:       {12, "stop: signalling the container"},
	Rm:         {13, "rm: removing the container"},
	Layout:     {14, "one rootfs per container: overlay2/<id>"},
	Env:        {15, "run -e: environment variables"},
	Bridge:     {16, "networks: a bridge and NAT"},
	IPAM:       {17, "IPAM: addresses from the subnet"},
	Endpoint:   {18, "a container on the bridge: veth, address, ports"},
}

// ChapterOf names the chapter of topic t; 0 for a topic the table lacks
// (a test keeps that from happening).
func ChapterOf(t Topic) Chapter { return chapters[t] }

// Topics lists every topic in chapter order.
func Topics() []Topic {
	out := make([]Topic, 0, len(chapters))
	for n := 1; n <= len(chapters); n++ {
		for t, c := range chapters {
			if c.Number == n {
				out = append(out, t)
			}
		}
	}
	return out
}
