package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"mydocker/cgroups"
	"mydocker/constant"
	"mydocker/container"
	"mydocker/container/security"
	"mydocker/container/spec"
	"mydocker/image"
	"mydocker/internal/prestart"
	"mydocker/network"
	"mydocker/utils"
)

var runCommand = cli.Command{
	Name:      "run",
	Usage:     "create and start a container",
	ArgsUsage: "IMAGE [COMMAND [ARG...]]",
	// Flags end at IMAGE: everything after it belongs to the command.
	SkipArgReorder:         true,
	UseShortOptionHandling: true,
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "it", Usage: "-i and -t together: stdin and a terminal (the series types it as one flag)"},
		cli.BoolFlag{Name: "i, interactive", Usage: "pass stdin to the container"},
		cli.BoolFlag{Name: "t, tty", Usage: "give the container a pseudo-terminal"},
		cli.BoolFlag{Name: "d, detach", Usage: "run in the background and print the container ID"},
		cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
		cli.StringFlag{Name: "name", Usage: "container name"},
		repeatableFlag{Names: []string{"volume", "v"}, Usage: "bind mount SRC:DST[:ro]"},
		repeatableFlag{Names: []string{"env", "e"}, Usage: "set K=V, or pass K from this environment"},
		cli.StringFlag{Name: "w, workdir", Usage: "working directory inside the container"},
		cli.StringFlag{Name: "hostname", Usage: "hostname (default: the short container ID)"},
		cli.StringFlag{Name: "m, memory, mem", Usage: "memory limit: 32m, 1g (b, k, m, g)"},
		cli.StringFlag{Name: "cpus", Usage: "CPU limit as a number of CPUs: 0.5"},
		cli.StringFlag{Name: "cpu", Usage: "CPU limit as a percentage of one CPU (the blog's): 20"},
		cli.StringFlag{Name: "cpuset-cpus, cpuset", Usage: "CPUs the container may run on: 0-1,3"},
		cli.StringFlag{Name: "pids-limit", Usage: "maximum number of processes"},
		cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap: 128m, -1 for unlimited swap (default: twice --memory)"},
		cli.StringFlag{Name: "memory-reservation", Usage: "soft memory limit, kept under memory pressure: 32m"},
		cli.StringFlag{Name: "cpu-shares, cpushare", Usage: "relative CPU weight, 2 to 262144 (default 1024)"},
		cli.StringFlag{Name: "cpu-weight", Usage: "relative CPU weight on cgroup v2's scale, 1 to 10000 (default 100)"},
		cli.StringFlag{Name: "cpu-period", Usage: "CFS period in microseconds, 1000 to 1000000 (default 100000)"},
		cli.StringFlag{Name: "cpu-quota", Usage: "CPU time per period in microseconds, -1 for no limit"},
		cli.StringFlag{Name: "blkio-weight", Usage: "relative block I/O weight, 10 to 1000"},
		repeatableFlag{Names: []string{"device-read-bps"}, Usage: "limit reads from a block device: /dev/sda:1mb"},
		repeatableFlag{Names: []string{"device-write-bps"}, Usage: "limit writes to a block device: /dev/sda:1mb"},
		cli.StringFlag{Name: "net, network", Usage: "bridge network to join (bridge: the default network)"},
		repeatableFlag{Names: []string{"publish", "p"}, Usage: "publish HOST:CONTAINER[/tcp|udp]"},
		repeatableFlag{Names: []string{"cap-add"}, Usage: "add a capability (or ALL)"},
		repeatableFlag{Names: []string{"cap-drop"}, Usage: "drop a capability (or ALL)"},
		cli.BoolFlag{Name: "privileged", Usage: "all capabilities, no seccomp filter, /proc and /sys unmasked"},
		repeatableFlag{Names: []string{"security-opt"}, Usage: "seccomp=unconfined"},
		repeatableFlag{Names: []string{"log-opt"}, Usage: "log rotation: max-size=20m, max-file=5 (the defaults)"},
		cli.StringFlag{Name: "entrypoint", Usage: `replace the image's entrypoint ("": none)`},
		cli.StringFlag{Name: "u, user", Usage: "user[:group] to run as, names or numbers (default: the image's User, else root)"},
		cli.StringFlag{Name: "stop-signal", Usage: "signal stop sends first (default: the image's StopSignal, else SIGTERM)"},
		cli.StringFlag{Name: "pull", Value: pullMissing, Usage: "pull the image: missing, always or never"},
		repeatableFlag{Names: []string{"label", "l"}, Usage: "set a label KEY=VALUE (or KEY)"},
		repeatableFlag{Names: []string{"label-file"}, Usage: "read labels from a file, one KEY=VALUE a line"},
		repeatableFlag{Names: []string{"network-alias", "net-alias"}, Usage: "another name the container has on its user network"},
		cli.StringFlag{Name: "ip", Usage: "fixed IPv4 address in a user network's subnet"},
		repeatableFlag{Names: []string{"add-host"}, Usage: "add NAME:IP (or NAME:host-gateway) to /etc/hosts"},
		repeatableFlag{Names: []string{"dns"}, Usage: "DNS server, instead of the host's"},
		repeatableFlag{Names: []string{"dns-search"}, Usage: `DNS search domain, instead of the host's ("." for none)`},
		repeatableFlag{Names: []string{"dns-option", "dns-opt"}, Usage: "resolver option, instead of the host's: ndots:2"},
		cli.BoolFlag{Name: "P, publish-all", Usage: "publish every exposed port of the image to a free host port"},
		repeatableFlag{Names: []string{"mount"}, Usage: "type=bind|volume|tmpfs,source=SRC,target=DST[,readonly]"},
		repeatableFlag{Names: []string{"tmpfs"}, Usage: "mount a tmpfs: /path[:size=64m,mode=1777,...]"},
		cli.BoolFlag{Name: "read-only", Usage: "make the container's root file system read-only"},
		cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm: 64m (the default)"},
		repeatableFlag{Names: []string{"group-add"}, Usage: "add a supplementary group: a name or a gid"},
		repeatableFlag{Names: []string{"env-file"}, Usage: "read K=V lines from a file"},
		repeatableFlag{Names: []string{"ulimit"}, Usage: "resource limit: nofile=1024[:2048]"},
		cli.StringFlag{Name: "stop-timeout", Usage: "seconds stop waits before SIGKILL (default 10)"},
		cli.StringFlag{Name: "cidfile", Usage: "write the container ID to a new file"},
		cli.BoolFlag{Name: "init", Usage: "run a tiny init as pid 1 that forwards signals and reaps zombies"},
		repeatableFlag{Names: []string{"device"}, Usage: "add a host device: /dev/x[:/dev/y][:rwm]"},
		cli.StringFlag{Name: "health-cmd", Usage: "command to check health, run with /bin/sh -c"},
		cli.StringFlag{Name: "health-interval", Usage: "time between checks: 30s (the default)"},
		cli.StringFlag{Name: "health-timeout", Usage: "time a check may take: 30s (the default)"},
		cli.StringFlag{Name: "health-retries", Usage: "failures in a row that make it unhealthy (default 3)"},
		cli.StringFlag{Name: "health-start-period", Usage: "time to start before failures count: 0s (the default)"},
		cli.BoolFlag{Name: "no-healthcheck", Usage: "disable the image's HEALTHCHECK"},
		cli.StringFlag{Name: "restart", Value: "no", Usage: "restart policy when the command exits: no, on-failure[:N], always, unless-stopped"},
	},
	Action: runAction,
}

// runOptions is a validated run command line: what it asks of run, and
// the container's config as its record keeps it.
type runOptions struct {
	image  string
	detach bool
	name   string
	pull   string
	// cidfile is --cidfile: where the ID is written, "" for nowhere.
	cidfile string
	health  container.HealthFlags // --health-*, merged with the image's
	config  container.Config
	// overrides are what the command line sets over the image's config;
	// they are merged into config once the image is found.
	overrides container.Overrides
	// pod is --pod: the pod to join, as typed ("" for none).
	pod string
}

// The --pull policies, as Docker's.
const (
	pullMissing = "missing"
	pullAlways  = "always"
	pullNever   = "never"
)

var hostnameRE = utils.LazyRegexp(`^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$`)

// parseRunOptions checks everything the user typed before anything is
// created, so a bad flag leaves nothing behind.
func parseRunOptions(ctx *cli.Context) (*runOptions, error) {
	if ctx.NArg() == 0 {
		return nil, errors.New(`"run" requires an IMAGE: mydocker run [flags] IMAGE [COMMAND...]`)
	}
	img, args := ctx.Args().First(), []string(ctx.Args().Tail())
	if courseMode(ctx) {
		var err error
		if img, args, err = courseRunArgs(image.NewStore(root(ctx)), ctx.Args()); err != nil {
			return nil, err
		}
	} else if looksLikeCommand(img) {
		return nil, errors.Errorf("invalid image %q: %s", img, runImageHint(ctx.Args()))
	}
	o := &runOptions{
		image:  img,
		detach: ctx.Bool("detach"),
		name:   ctx.String("name"),
		pull:   ctx.String("pull"),
		config: container.Config{
			OpenStdin:  ctx.Bool("interactive") || ctx.Bool("it"),
			Tty:        ctx.Bool("tty") || ctx.Bool("it"),
			AutoRemove: ctx.Bool("rm"),
			Hostname:   ctx.String("hostname"),
		},
		overrides: container.Overrides{
			Args:       args,
			WorkingDir: ctx.String("workdir"),
			User:       ctx.String("user"),
			StopSignal: ctx.String("stop-signal"),
		},
	}
	if courseMode(ctx) && o.config.Tty && !o.detach {
		// The series removes a foreground terminal container when it
		// exits, so its name and address are free for the next session.
		o.config.AutoRemove = true
	}
	if ctx.IsSet("entrypoint") {
		ep := ctx.String("entrypoint")
		o.overrides.Entrypoint = &ep
	}
	if o.image == "" {
		return nil, errors.New(`invalid image "": an image reference is required`)
	}
	switch o.pull {
	case pullMissing, pullAlways, pullNever:
	default:
		return nil, errors.Errorf("invalid --pull %q: want missing, always or never", o.pull)
	}
	if _, err := security.ParseUserSpec(o.overrides.User); err != nil {
		return nil, errors.Wrap(err, "--user")
	}
	if v := o.overrides.StopSignal; v != "" {
		if _, err := container.ParseSignal(v); err != nil {
			return nil, errors.Wrap(err, "--stop-signal")
		}
	}
	if o.name != "" {
		if err := container.ValidateName(o.name); err != nil {
			return nil, err
		}
	}
	if wd := o.overrides.WorkingDir; wd != "" && !filepath.IsAbs(wd) {
		return nil, errors.Errorf("invalid --workdir %q: must be an absolute path", wd)
	}
	if o.config.Hostname != "" && !hostnameRE().MatchString(o.config.Hostname) {
		return nil, errors.Errorf("invalid --hostname %q", o.config.Hostname)
	}
	var err error
	if o.config.Volumes, err = container.ParseMounts(ctx.StringSlice("volume"), ctx.StringSlice("mount"), ctx.StringSlice("tmpfs")); err != nil {
		return nil, err
	}
	if err := parseRunFlags(ctx, o); err != nil {
		return nil, err
	}
	env, err := container.ParseEnv(ctx.StringSlice("env"))
	if err != nil {
		return nil, err
	}
	o.overrides.Env = append(o.overrides.Env, env...) // after --env-file's: -e wins
	if o.config.Resources, err = parseResources(ctx); err != nil {
		return nil, err
	}
	if err := parseNetworkOptions(ctx, &o.config); err != nil {
		return nil, err
	}
	if err := parseJoinFlags(ctx, o); err != nil {
		return nil, err
	}
	o.config.CapAdd, o.config.CapDrop = ctx.StringSlice("cap-add"), ctx.StringSlice("cap-drop")
	o.config.Privileged, o.config.SecurityOpt = ctx.Bool("privileged"), ctx.StringSlice("security-opt")
	if _, err := o.config.Security(); err != nil {
		return nil, err
	}
	if o.config.Log, err = container.ParseLogOpts(ctx.StringSlice("log-opt")); err != nil {
		return nil, err
	}
	if o.overrides.Labels, err = container.ParseLabels(ctx.StringSlice("label"), ctx.StringSlice("label-file")); err != nil {
		return nil, err
	}
	if o.config.Devices, err = container.ParseDevices(ctx.StringSlice("device")); err != nil {
		return nil, err
	}
	o.config.Resources.Devices = container.DeviceRules(o.config.Devices, o.config.Privileged)
	return o, nil
}

// parseNetworkOptions reads the network flags of run into c, as Docker
// takes them: no --network is the default bridge network; names by
// --network-alias and a fixed --ip only on networks the user created.
func parseNetworkOptions(ctx *cli.Context, c *container.Config) error {
	var err error
	c.Network = ctx.String("network")
	if c.Network == "" {
		c.Network = network.DefaultName
		if courseMode(ctx) {
			c.Network = network.None // the series: only lo unless -net
		}
	}
	if c.Ports, err = network.ParsePorts(ctx.StringSlice("publish")); err != nil {
		return err
	}
	c.PublishAllPorts = ctx.Bool("publish-all")
	switch c.Network {
	case network.None:
		if len(c.Ports) > 0 || c.PublishAllPorts {
			if !ctx.IsSet("network") && courseMode(ctx) {
				return errors.New("-p needs a network in course mode (chapter 18): mydocker run -d -net testbridge -p 8080:80 busybox top")
			}
			return errors.New("conflicting options: port publishing and --network none")
		}
	case network.Host:
		if len(c.Ports) > 0 || c.PublishAllPorts {
			// As Docker: the container's ports are the host's already.
			log.Warn("Published ports are discarded when using host network mode")
			c.Ports, c.PublishAllPorts = nil, false
		}
	}
	for _, a := range ctx.StringSlice("network-alias") {
		if err := network.ValidateAlias(a); err != nil {
			return err
		}
		c.NetworkAliases = append(c.NetworkAliases, a)
	}
	if len(c.NetworkAliases) > 0 && !network.UserDefined(c.Network) {
		return errors.Errorf("--network-alias works only on a network you created, not on %s", c.Network)
	}
	if v := ctx.String("ip"); ctx.IsSet("ip") {
		ip := net.ParseIP(v)
		if ip == nil || ip.To4() == nil {
			return errors.Errorf("invalid --ip %q: not an IPv4 address", v)
		}
		if !network.UserDefined(c.Network) {
			return errors.Errorf("--ip works only on a network you created, not on %s", c.Network)
		}
		c.IPAddress = ip.To4().String()
	}
	hosts, err := network.ParseAddHosts(ctx.StringSlice("add-host"))
	if err != nil {
		return err
	}
	for i, h := range hosts {
		if h.IP == network.HostGateway && c.Network == network.None {
			return errors.Errorf("invalid --add-host %q: --network none has no host gateway", ctx.StringSlice("add-host")[i])
		}
	}
	c.ExtraHosts = ctx.StringSlice("add-host")
	dns, err := network.ParseDNS(ctx.StringSlice("dns"), ctx.StringSlice("dns-search"), ctx.StringSlice("dns-option"))
	if err != nil {
		return err
	}
	c.DNS, c.DNSSearch, c.DNSOptions = dns.Servers, dns.Search, dns.Options
	return nil
}

// checkNetwork resolves the container's network before its record is
// made (creating the default one on first use) and checks --ip against
// its subnet; an address taken meanwhile is refused when it starts.
func checkNetwork(rootDir string, c *container.Config) error {
	if !network.Bridged(c.Network) {
		return nil
	}
	n, err := network.NewStore(rootDir).Resolve(c.Network)
	if err != nil {
		return err
	}
	if c.IPAddress == "" {
		return nil
	}
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return errors.Wrapf(err, "subnet of %s", n.Name)
	}
	if ip := net.ParseIP(c.IPAddress); !subnet.Contains(ip) || ip.Equal(net.ParseIP(n.Gateway)) {
		return errors.Errorf("invalid --ip %s: not a free host address of network %s (%s, gateway %s)", c.IPAddress, n.Name, n.Subnet, n.Gateway)
	}
	return nil
}

// parseResources reads the limit flags of run.
func parseResources(ctx *cli.Context) (cgroups.Resources, error) {
	var r cgroups.Resources
	if err := parseLimits(ctx, &r); err != nil {
		return r, err
	}
	if (r.Memory > 0 || r.MemorySwap != 0) && !cgroups.SwapAccounting() {
		// As Docker: run, but say that swap is not limited.
		log.Warn("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.")
	}
	return r, nil
}

// parseLimits applies the limit flags given on the command line to r (a
// new container's zero Resources for run, the recorded ones for update)
// and checks the result as a whole. The parsers say what is wrong with a
// value; each error here adds the flag (in Docker's spelling, which
// contains the blog's: --memory for -m and -mem) and the bad value. A
// flag the command does not define is never set.
func parseLimits(ctx *cli.Context, r *cgroups.Resources) error {
	var err error
	online := cgroups.OnlineCPUs()
	if v := ctx.String("memory"); ctx.IsSet("memory") {
		if r.Memory, err = cgroups.ParseMemory(v); err != nil {
			return errors.Wrapf(err, "invalid --memory %q", v)
		}
	}
	if v := ctx.String("memory-swap"); ctx.IsSet("memory-swap") {
		if r.MemorySwap, err = cgroups.ParseMemorySwap(v); err != nil {
			return errors.Wrapf(err, "invalid --memory-swap %q", v)
		}
	}
	if v := ctx.String("memory-reservation"); ctx.IsSet("memory-reservation") {
		if r.MemoryReservation, err = cgroups.ParseMemoryReservation(v); err != nil {
			return errors.Wrapf(err, "invalid --memory-reservation %q", v)
		}
	}
	if err := cgroups.CheckMemory(r); err != nil {
		return err
	}
	if ctx.IsSet("cpus") && ctx.IsSet("cpu") {
		return errors.New("--cpus and -cpu both limit CPU: give one")
	}
	if (ctx.IsSet("cpus") || ctx.IsSet("cpu")) && (ctx.IsSet("cpu-period") || ctx.IsSet("cpu-quota")) {
		// As Docker: --cpus is a quota over the default period.
		return errors.New("--cpus sets the CPU quota and period itself: give --cpus or --cpu-period/--cpu-quota")
	}
	if v := ctx.String("cpus"); ctx.IsSet("cpus") {
		if r.CPUQuota, err = cgroups.ParseCPUs(v, len(online)); err != nil {
			return errors.Wrapf(err, "invalid --cpus %q", v)
		}
		r.CPUPeriod = cgroups.DefaultCPUPeriod
	}
	if v := ctx.String("cpu"); ctx.IsSet("cpu") {
		if r.CPUQuota, err = cgroups.ParseCPUPercent(v, len(online)); err != nil {
			return errors.Wrapf(err, "invalid -cpu %q", v)
		}
		r.CPUPeriod = cgroups.DefaultCPUPeriod
	}
	if v := ctx.String("cpu-period"); ctx.IsSet("cpu-period") {
		if r.CPUPeriod, err = cgroups.ParseCPUPeriod(v); err != nil {
			return errors.Wrapf(err, "invalid --cpu-period %q", v)
		}
	}
	if v := ctx.String("cpu-quota"); ctx.IsSet("cpu-quota") {
		if r.CPUQuota, err = cgroups.ParseCPUQuota(v); err != nil {
			return errors.Wrapf(err, "invalid --cpu-quota %q", v)
		}
	}
	if ctx.IsSet("cpu-shares") && ctx.IsSet("cpu-weight") {
		return errors.New("--cpu-shares and --cpu-weight both weigh CPU time: give one")
	}
	if v := ctx.String("cpu-shares"); ctx.IsSet("cpu-shares") {
		if r.CPUShares, err = cgroups.ParseCPUShares(v); err != nil {
			return errors.Wrapf(err, "invalid --cpu-shares %q", v)
		}
		r.CPUWeight = 0 // one weight is kept: the one given last
	}
	if v := ctx.String("cpu-weight"); ctx.IsSet("cpu-weight") {
		if r.CPUWeight, err = cgroups.ParseCPUWeight(v); err != nil {
			return errors.Wrapf(err, "invalid --cpu-weight %q", v)
		}
		r.CPUShares = 0
	}
	if v := ctx.String("cpuset-cpus"); ctx.IsSet("cpuset-cpus") {
		if r.CpusetCpus, err = cgroups.ParseCpuset(v, online); err != nil {
			return errors.Wrapf(err, "invalid --cpuset-cpus %q", v)
		}
	}
	if v := ctx.String("pids-limit"); ctx.IsSet("pids-limit") {
		if r.PidsLimit, err = cgroups.ParsePidsLimit(v); err != nil {
			return errors.Wrapf(err, "invalid --pids-limit %q", v)
		}
	}
	if v := ctx.String("blkio-weight"); ctx.IsSet("blkio-weight") {
		if r.BlkioWeight, err = cgroups.ParseBlkioWeight(v); err != nil {
			return errors.Wrapf(err, "invalid --blkio-weight %q", v)
		}
		if !cgroups.CanWeighBlkio() {
			// As Docker: a weight is a hint, and the container still runs.
			log.Warn("this kernel cannot weigh block I/O (no cfq or bfq scheduler, or no io controller): --blkio-weight discarded")
			r.BlkioWeight = 0
		}
	}
	for _, f := range []struct {
		flag string
		dst  *[]cgroups.ThrottleDevice
	}{{"device-read-bps", &r.BlkioDeviceReadBps}, {"device-write-bps", &r.BlkioDeviceWriteBps}} {
		for _, v := range ctx.StringSlice(f.flag) {
			d, err := cgroups.ParseThrottleDevice(v, unix.Stat)
			if err != nil {
				return errors.Wrapf(err, "invalid --%s %q", f.flag, v)
			}
			*f.dst = append(*f.dst, d)
		}
	}
	return nil
}

func runAction(ctx *cli.Context) error {
	// From the first --trace line on: a run killed by SIGPIPE once it
	// has made the record would leave the container behind.
	container.PassBrokenPipes()
	o, err := parseRunOptions(ctx)
	if err != nil {
		prestart.Discard()
		return err
	}
	early := startInitEarly(ctx, o)
	defer early.Discard() // if the start did not take it
	store, rec, err := createFromOptions(ctx, o)
	if err != nil {
		return err
	}
	if err := startPodInfra(ctx, rec); err != nil {
		return removeAfterFailure(store, rec.ID, err, o.cidfile)
	}
	if o.detach {
		if err := startDetached(ctx, rec.ID); err != nil {
			return removeAfterFailure(store, rec.ID, err, o.cidfile)
		}
		fmt.Println(rec.ID)
		return nil
	}
	return runForeground(ctx, store, rec, o.config.OpenStdin, true, o.cidfile, early)
}

// startInitEarly starts the init of a foreground run's container as soon
// as its flags are read, where it may (container.EarlyInitFor); nil
// otherwise. Its runtime starts while this process finds the image and
// makes the record, the rootfs and the cgroups.
func startInitEarly(ctx *cli.Context, o *runOptions) *container.EarlyInit {
	// The init package prestart may have started from the command line,
	// unparsed: taken below if it is the one this run asks for.
	pre := prestart.Take()
	if err := prestart.Err(); err != nil {
		log.Debugf("init not started before the command line was parsed: %v", err)
	}
	if o.detach || o.pod != "" {
		discardPrestarted(pre)
		return nil
	}
	driver, err := cgroupDriver(ctx)
	if err != nil {
		discardPrestarted(pre)
		return nil // createFromOptions reports it
	}
	namespaces, ok := container.EarlyInitFor(&o.config, driver)
	if !ok {
		discardPrestarted(pre)
		return nil
	}
	return container.StartEarlyInit(namespaces, o.config.Tty, o.config.OpenStdin, ctx.GlobalBool("debug"), pre)
}

// discardPrestarted kills the init package prestart started, if any, for
// a run that starts no init early.
func discardPrestarted(pre *prestart.Started) {
	if pre != nil {
		log.Debugf("init started before the command line was parsed (pid %d) is not wanted: discarded", pre.Pid)
		pre.Discard()
	}
}

// checkTerminal refuses, as Docker does, a foreground run -it whose
// stdin is not a terminal: with a pipe or a file there, the session
// would wait for keystrokes that never come. It runs once the image is
// found (so a missing image, with its hints, is reported first) and
// before anything is made.
func checkTerminal(ctx *cli.Context, o *runOptions) error {
	c := &o.config
	if ctx.Command.Name != "run" || !c.OpenStdin || !c.Tty || o.detach || isTerminal(os.Stdin) {
		return nil
	}
	if courseMode(ctx) {
		// The series pipes commands into `run -it` sessions: course mode
		// takes the pipe as -i does, and says so. The container is still
		// removed at exit, as course mode removes -it ones.
		log.Warn("the input device is not a TTY: running with -i only (course mode)")
		c.Tty, c.AutoRemove = false, true
		return nil
	}
	return errors.New("the input device is not a TTY: drop -t (or -it) to pipe input, as in: echo 'echo hi' | mydocker run -i busybox sh")
}

// createContainer is what run and create share: it checks the command
// line, finds the image and writes the record of a created container,
// which holds nothing on the host yet (no mount, cgroup or veth: start
// sets those up).
func createContainer(ctx *cli.Context) (*runOptions, *container.Store, *container.Record, error) {
	o, err := parseRunOptions(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	store, rec, err := createFromOptions(ctx, o)
	return o, store, rec, err
}

// createFromOptions is createContainer once the command line is read.
func createFromOptions(ctx *cli.Context, o *runOptions) (*container.Store, *container.Record, error) {
	img, err := findImage(root(ctx), o.image, o.pull)
	if err != nil {
		if courseMode(ctx) && o.image == courseImage {
			err = fmt.Errorf("%w; course mode runs commands in the busybox image: put busybox.tar in %s (chapter 4)", err, constant.Layout{Root: root(ctx)}.ImageDir())
		} else if !courseMode(ctx) && !strings.ContainsAny(o.image, ":@/") {
			// `run -it ls -l`, the series' form before images.
			err = fmt.Errorf("%w; if %s is a command: %s", err, o.image, runImageHint(ctx.Args()))
		}
		return nil, nil, err
	}
	if err := checkTerminal(ctx, o); err != nil {
		return nil, nil, err
	}
	if err := o.config.ApplyImage(img.Config, o.overrides); err != nil {
		return nil, nil, err
	}
	o.config.MergeHealthcheck(img.Config.Healthcheck, o.health)
	o.config.Image = o.image
	if o.config.PublishAllPorts {
		o.config.Ports = network.PublishAll(o.config.Ports, o.config.ExposedPorts)
	}
	if err := applyJoins(ctx, o); err != nil {
		return nil, nil, err
	}
	if err := checkNetwork(root(ctx), &o.config); err != nil {
		return nil, nil, err
	}
	driver, err := cgroupDriver(ctx)
	if err != nil {
		return nil, nil, err
	}
	store := container.NewStore(root(ctx))
	if err := store.Volumes().PrepareMounts(&o.config, img.Config.Volumes); err != nil {
		return nil, nil, err
	}
	rec := &container.Record{
		CgroupManager: driver,
		Name:          o.name,
		Image:         o.image, // as typed, as Docker's ps shows it
		ImageDigest:   img.Digest,
		ImageID:       img.ID,
		Layers:        img.Layers,
		Created:       time.Now().UTC(),
		Config:        o.config,
		State:         container.State{Status: container.StatusCreated},
	}
	if err := store.Create(rec); err != nil {
		return nil, nil, utils.JoinCleanup(err, "removing anonymous volumes", store.Volumes().RemoveAnonymous(o.config.Volumes))
	}
	if err := writeCIDFile(o.cidfile, rec.ID); err != nil {
		return nil, nil, removeAfterFailure(store, rec.ID, err, "")
	}
	log.Infof("container %s (%s) created from %s", utils.ShortID(rec.ID), rec.Name, img.Name)
	store.Emit("create", rec, nil)
	return store, rec, nil
}

// isTerminal says whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// findImage finds ref in the store, pulling it as policy says: missing
// pulls only what the store lacks (a blog tar in <root>/image is found and
// never pulled), always pulls first, never only looks.
func findImage(stateRoot, ref, policy string) (img *image.Image, err error) {
	store := image.NewStore(stateRoot)
	if policy != pullAlways {
		img, err := store.Get(ref)
		if err == nil || policy == pullNever || errors.Cause(err) != image.ErrNotFound {
			return img, err
		}
		// Docker prints this line; an error stays one line here, so it
		// shows with --log-level info.
		log.Infof("Unable to find image '%s' locally", ref)
	}
	return pullImage(stateRoot, ref)
}

// removeAfterFailure removes a container whose start failed, so a failed
// run leaves no record, mount, directory, anonymous volume or cidfile
// (cidfile "": none written), and returns the start error.
func removeAfterFailure(store *container.Store, id string, cause error, cidfile string) error {
	err := store.RemoveWithVolumes(id, true)
	if cidfile != "" {
		if rerr := os.Remove(cidfile); rerr != nil && !os.IsNotExist(rerr) && err == nil {
			err = rerr
		}
	}
	return utils.JoinCleanup(cause, "removing container "+utils.ShortID(id), err)
}

// runForeground is the monitor in the CLI's own process: the container's
// streams are attached to ours and its exit code becomes ours. stdin says
// whether ours is passed on; removeOnFailure removes a container that
// could not start (run's, which the user never saw; not start -a's).
func runForeground(ctx *cli.Context, store *container.Store, rec *container.Record, stdin, removeOnFailure bool, cidfile string, early *container.EarlyInit) error {
	attach := container.Attach{Stdout: os.Stdout, Stderr: os.Stderr}
	if stdin {
		attach.Stdin = os.Stdin
	}
	if rec.Config.Tty {
		attach.ConsoleSize = container.TerminalSize(os.Stdin)
	}
	sigs := container.CatchSignals()
	defer signal.Stop(sigs)
	container.PassBrokenPipes()

	runner := &container.Runner{Store: store, Debug: ctx.GlobalBool("debug"), Early: early}
	c, err := runner.Start(rec.ID, attach)
	if err != nil {
		if !removeOnFailure {
			return err
		}
		return removeAfterFailure(store, rec.ID, err, cidfile)
	}
	detach := func() error { return nil }
	if rec.Config.Tty && stdin {
		detach = container.AttachTerminal(os.Stdin, c.PtyMaster())
	}
	go container.ForwardSignals(sigs, func(sig os.Signal) error {
		if sig == unix.SIGINT || sig == unix.SIGTERM {
			c.RequestStop() // ^C stops the container for good: no restart
		}
		return c.Signal(sig)
	})
	code, next, err := c.WaitRestart(&container.Backoff{})
	if rerr := detach(); rerr != nil {
		log.Warn(rerr)
	}
	if next.Again {
		// As Docker's client: we leave with the first run's exit code,
		// and the restarts go on, under a monitor of their own.
		if rerr := resumeDetached(ctx, rec.ID, container.ResumeFromSelf(next.Delay)); rerr != nil && store.EndRestart(rec.ID) {
			// (Not when a stop or rm called the restart off first.)
			log.Warnf("container %s will not be restarted: %v", rec.Name, rerr)
		}
	}
	if err != nil {
		if code < 0 {
			return err
		}
		// The command's exit code is what the caller waits for, even if
		// recording it failed (say, on a full disk).
		log.Warn(err)
	}
	if code != 0 {
		return &spec.ExitError{Code: code}
	}
	return nil
}
