package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/network"
	"mydocker/pod"
	"mydocker/utils"
)

var podCommand = cli.Command{
	Name:  "pod",
	Usage: "manage pods: containers sharing network, ipc and hostname through an infra container",
	Subcommands: []cli.Command{
		{
			Name:      "create",
			Usage:     "create a pod and start its infra container; print the pod ID",
			ArgsUsage: " ",
			Flags: []cli.Flag{
				cli.StringFlag{Name: "name", Usage: "pod name (default: a generated one)"},
				repeatableFlag{Names: []string{"publish", "p"}, Usage: "publish HOST:CONTAINER[/tcp|udp] for the pod's containers"},
				cli.StringFlag{Name: "network, net", Usage: "bridge network the pod joins (default: bridge), none or host"},
				cli.StringFlag{Name: "share", Value: "net,ipc,uts", Usage: "namespaces the pod's containers share: net, ipc, uts"},
				repeatableFlag{Names: []string{"label", "l"}, Usage: "set a label KEY=VALUE (or KEY)"},
			},
			Action: podCreateAction,
		},
		{
			Name:      "ps",
			Aliases:   []string{"ls", "list"},
			Usage:     "list pods",
			ArgsUsage: " ",
			Flags: []cli.Flag{
				cli.BoolFlag{Name: "q, quiet", Usage: "print pod IDs only"},
				cli.BoolFlag{Name: "no-trunc", Usage: "print full IDs"},
				cli.StringFlag{Name: "format", Usage: "json"},
			},
			Action: podPsAction,
		},
		{Name: "inspect", Usage: "show a pod as JSON", ArgsUsage: "POD...", Action: podInspectAction},
		{Name: "start", Usage: "start a pod's containers, the infra container first", ArgsUsage: "POD...", Action: podStartAction},
		{
			Name: "stop", Usage: "stop a pod's containers, the infra container last", ArgsUsage: "POD...",
			Flags:  []cli.Flag{cli.IntFlag{Name: "t, time", Value: 10, Usage: "seconds to wait before SIGKILL (default: each container's --stop-timeout, else 10)"}},
			Action: podStopAction,
		},
		{
			Name: "restart", Usage: "stop and start a pod's containers", ArgsUsage: "POD...",
			Flags:  []cli.Flag{cli.IntFlag{Name: "t, time", Value: 10, Usage: "seconds to wait before SIGKILL"}},
			Action: podRestartAction,
		},
		{
			Name: "rm", Aliases: []string{"remove"}, Usage: "remove pods and their containers", ArgsUsage: "POD...",
			Flags:  []cli.Flag{cli.BoolFlag{Name: "f, force", Usage: "stop running containers first"}},
			Action: podRmAction,
		},
		{
			Name: "logs", Usage: "print the output of a pod's containers, each line after its container's name", ArgsUsage: "POD",
			Flags:  []cli.Flag{cli.BoolFlag{Name: "f, follow", Usage: "follow the output until every container exits"}},
			Action: podLogsAction,
		},
	},
}

// infraImage is what ps and inspect show as the infra container's image:
// it has none, only the pause program (pod.PauseLayer).
const infraImage = "mydocker/pause"

func podCreateAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"pod create" takes no arguments, got %q`, ctx.Args().First())
	}
	name := ctx.String("name")
	if ctx.IsSet("name") {
		if err := container.ValidateName(name); err != nil {
			return errors.Wrap(err, "--name")
		}
	}
	share, err := pod.ParseShare(ctx.String("share"))
	if err != nil {
		return err
	}
	ports, err := network.ParsePorts(ctx.StringSlice("publish"))
	if err != nil {
		return err
	}
	netw := ctx.String("network")
	if netw == "" {
		netw = network.DefaultName
	}
	if container.JoinedID(netw) != "" {
		return errors.Errorf("invalid --network %q: a pod's network is a bridge network, none or host", netw)
	}
	p := &pod.Pod{ID: utils.NewID(), Name: name, Created: time.Now().UTC(), SharedNamespaces: share, Network: netw, Ports: ports}
	if len(ports) > 0 && (!p.Shares(pod.ShareNet) || netw == network.None || netw == network.Host) {
		return errors.New("published ports need a network the pod shares: --share net with a bridge network")
	}
	if p.Labels, err = container.ParseLabels(ctx.StringSlice("label"), nil); err != nil {
		return err
	}
	if p.Name == "" {
		p.Name = container.GenerateName(p.ID)
	}
	infra, err := infraConfig(ctx, p)
	if err != nil {
		return err
	}
	driver, err := cgroupDriver(ctx)
	if err != nil {
		return err
	}
	reaper, err := container.ReaperPath()
	if err != nil {
		return err
	}
	ps := pod.NewStore(root(ctx))
	lock, err := ps.Lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	layer, err := ps.PauseLayer(reaper)
	if err != nil {
		return err
	}
	// The pod's record first: whatever a kill leaves from here on, pod
	// rm -f finds by the pod's name or ID.
	if err := ps.Create(p); err != nil {
		return err
	}
	cs := container.NewStore(root(ctx))
	rec := &container.Record{
		CgroupManager: driver,
		Name:          utils.ShortID(p.ID) + "-infra", // podman's name
		Image:         infraImage,
		Layers:        []string{layer},
		Created:       p.Created,
		Config:        *infra,
		State:         container.State{Status: container.StatusCreated},
	}
	// The infra container goes before the pod's record, for the reason
	// the record came first: a kill or a failure between the two leaves
	// a pod that pod rm -f finds, never a container naming a pod that is
	// gone.
	undo := func(cause error) error {
		if rec.ID != "" {
			if err := cs.Remove(rec.ID, true); err != nil {
				return utils.JoinCleanup(cause, "removing the infra container", err)
			}
		}
		return utils.JoinCleanup(cause, "removing the pod", ps.Delete(p.ID))
	}
	if err := cs.Create(rec); err != nil {
		return undo(err)
	}
	cs.Emit("create", rec, nil)
	p.InfraContainerID = rec.ID
	if err := ps.Save(p); err != nil {
		return undo(err)
	}
	if err := startDetached(ctx, rec.ID); err != nil {
		return undo(err)
	}
	fmt.Println(p.ID)
	return nil
}

// infraConfig is the infra container of pod p: the pause program as its
// command, the pod's network and ports, a /dev/shm the pod's containers
// share, the pod's name as hostname. It runs confined as any container.
func infraConfig(ctx *cli.Context, p *pod.Pod) (*container.Config, error) {
	c := &container.Config{
		Image: infraImage, Cmd: pod.PauseArgs, Env: []string{}, WorkingDir: "/",
		Network: network.None, Ports: p.Ports, ReadonlyRootfs: true,
		Pod: p.ID, Infra: true, Labels: map[string]string{},
		Log: container.LogOptions{},
	}
	var err error
	if c.Log, err = container.ParseLogOpts(nil); err != nil {
		return nil, err
	}
	if p.Shares(pod.ShareNet) {
		c.Network = p.Network
	}
	if p.Shares(pod.ShareIPC) {
		c.IpcMode = container.ModeShareable
	}
	if p.Shares(pod.ShareUTS) {
		c.Hostname = p.Name
	}
	return c, checkNetwork(root(ctx), c)
}

// resolvePods applies fn to each pod named in the arguments, going on
// after a failure as eachArg does.
func resolvePods(ctx *cli.Context, what string, fn func(ps *pod.Store, p *pod.Pod) error) error {
	if ctx.NArg() == 0 {
		return errors.Errorf(`"pod %s" requires at least one POD`, what)
	}
	ps := pod.NewStore(root(ctx))
	return eachArg(ctx, func(ref string) error {
		p, err := ps.Resolve(ref)
		if err != nil {
			return err
		}
		return fn(ps, p)
	})
}

func podStartAction(ctx *cli.Context) error {
	cs := container.NewStore(root(ctx))
	return resolvePods(ctx, "start", func(_ *pod.Store, p *pod.Pod) error {
		if err := pod.Start(cs, p, func(id string) error { return startDetached(ctx, id) }); err != nil {
			return err
		}
		fmt.Println(p.ID)
		return nil
	})
}

func podStopAction(ctx *cli.Context) error {
	wait, err := stopWait(ctx)
	if err != nil {
		return err
	}
	cs := container.NewStore(root(ctx))
	return resolvePods(ctx, "stop", func(_ *pod.Store, p *pod.Pod) error {
		if err := pod.Stop(cs, p, wait); err != nil {
			return err
		}
		fmt.Println(p.ID)
		return nil
	})
}

func podRestartAction(ctx *cli.Context) error {
	wait, err := stopWait(ctx)
	if err != nil {
		return err
	}
	cs := container.NewStore(root(ctx))
	return resolvePods(ctx, "restart", func(_ *pod.Store, p *pod.Pod) error {
		if err := pod.Stop(cs, p, wait); err != nil {
			return err
		}
		if err := pod.Start(cs, p, func(id string) error { return startDetached(ctx, id) }); err != nil {
			return err
		}
		fmt.Println(p.ID)
		return nil
	})
}

func podRmAction(ctx *cli.Context) error {
	cs := container.NewStore(root(ctx))
	return resolvePods(ctx, "rm", func(ps *pod.Store, p *pod.Pod) error {
		if err := pod.Remove(cs, ps, p, ctx.Bool("force")); err != nil {
			return err
		}
		fmt.Println(p.ID)
		return nil
	})
}

// podContainer is one container as pod inspect and pod ps --format json
// show it.
type podContainer struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	State string `json:"State"`
	// RestartCount is how often its restart policy restarted it, as
	// kubectl's RESTARTS counts.
	RestartCount int `json:"RestartCount"`
}

// podView is pod inspect's document.
type podView struct {
	ID               string            `json:"Id"`
	Name             string            `json:"Name"`
	State            string            `json:"State"`
	Created          time.Time         `json:"Created"`
	Labels           map[string]string `json:"Labels"`
	SharedNamespaces []string          `json:"SharedNamespaces"`
	InfraContainerID string            `json:"InfraContainerID"`
	NumContainers    int               `json:"NumContainers"`
	// Restarts sums the containers' restarts (kubectl get pods' RESTARTS).
	Restarts   int            `json:"Restarts"`
	Containers []podContainer `json:"Containers"`
}

func newPodView(cs *container.Store, p *pod.Pod) *podView {
	members := pod.Members(cs, p)
	v := &podView{ID: p.ID, Name: p.Name, State: pod.State(members), Created: p.Created, Labels: p.Labels,
		SharedNamespaces: p.SharedNamespaces, InfraContainerID: p.InfraContainerID,
		NumContainers: len(members), Containers: []podContainer{}}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	for _, rec := range members {
		v.Containers = append(v.Containers, podContainer{ID: rec.ID, Name: rec.Name, State: rec.State.Status,
			RestartCount: rec.RestartCount})
		v.Restarts += rec.RestartCount
	}
	return v
}

func podInspectAction(ctx *cli.Context) error {
	cs := container.NewStore(root(ctx))
	var views []*podView
	err := resolvePods(ctx, "inspect", func(_ *pod.Store, p *pod.Pod) error {
		views = append(views, newPodView(cs, p))
		return nil
	})
	if len(views) > 0 {
		var out any = views
		if len(views) == 1 && ctx.NArg() == 1 {
			out = views[0] // as podman prints one pod
		}
		data, jerr := json.MarshalIndent(out, "", "    ")
		if jerr != nil {
			return errors.Wrap(jerr, "encode pod")
		}
		if _, werr := fmt.Println(string(data)); werr != nil {
			return werr
		}
	}
	return err
}

func podPsAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"pod ps" takes no arguments, got %q`, ctx.Args().First())
	}
	f := ctx.String("format")
	if f != "" && f != "json" {
		return errors.Errorf("invalid --format %q: pod ps knows json", f)
	}
	pods, err := pod.NewStore(root(ctx)).List()
	if err != nil {
		return err
	}
	sort.SliceStable(pods, func(i, j int) bool { return pods[i].Created.After(pods[j].Created) }) // newest first, as podman
	cs := container.NewStore(root(ctx))
	short := func(id string) string {
		if ctx.Bool("no-trunc") {
			return id
		}
		return utils.ShortID(id)
	}
	switch {
	case ctx.Bool("quiet"):
		for _, p := range pods {
			fmt.Println(short(p.ID))
		}
		return nil
	case f == "json":
		views := []*podView{}
		for _, p := range pods {
			views = append(views, newPodView(cs, p))
		}
		data, err := json.MarshalIndent(views, "", "  ")
		if err != nil {
			return errors.Wrap(err, "encode pods")
		}
		_, err = fmt.Println(string(data))
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	// podman's columns, then kubectl's RESTARTS: the restarts of the
	// pod's containers, summed.
	fmt.Fprintln(w, "POD ID\tNAME\tSTATUS\tCREATED\tINFRA ID\t# OF CONTAINERS\tRESTARTS")
	now := time.Now()
	for _, p := range pods {
		members := pod.Members(cs, p)
		restarts := 0
		for _, rec := range members {
			restarts += rec.RestartCount
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", short(p.ID), p.Name, pod.State(members),
			container.HumanDuration(now.Sub(p.Created))+" ago", short(p.InfraContainerID), len(members), restarts)
	}
	return errors.Wrap(w.Flush(), "write pod ps output")
}

func podLogsAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"pod logs" requires exactly one POD`)
	}
	p, err := pod.NewStore(root(ctx)).Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	cs := container.NewStore(root(ctx))
	var mu sync.Mutex
	printer := func(name string) func(container.LogEntry) error {
		return func(e container.LogEntry) error {
			mu.Lock()
			defer mu.Unlock()
			var w io.Writer = os.Stdout
			if e.Stream == "stderr" {
				w = os.Stderr
			}
			text := e.Log
			if utils.IsTerminal(os.Stdout) {
				text = utils.EscapeControl(text)
			}
			_, err := io.WriteString(w, name+" "+text)
			return err
		}
	}
	// Every line so far, in time order across the containers; then, with
	// -f, each running container's new lines as they come.
	type entry struct {
		name string
		e    container.LogEntry
	}
	var all []entry
	var follow []func() error
	for _, rec := range pod.Members(cs, p) {
		if rec.Config.Infra {
			continue // the pause program says nothing
		}
		rec := rec
		path := cs.LogPath(rec.ID)
		files, err := container.OpenLogs(path)
		if err != nil {
			return err
		}
		defer func() {
			for _, f := range files {
				f.Close()
			}
		}()
		if len(files) == 0 {
			continue
		}
		if err := container.TailLog(files, -1, func(e container.LogEntry) error {
			all = append(all, entry{rec.Name, e})
			return nil
		}); err != nil {
			return err
		}
		last := files[len(files)-1]
		follow = append(follow, func() error {
			done := func() bool {
				r, err := cs.Get(rec.ID)
				return err != nil || r.State.Status != container.StatusRunning
			}
			return container.FollowLog(last, path, done, printer(rec.Name))
		})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].e.Time.Before(all[j].e.Time) })
	for _, x := range all {
		if err := printer(x.name)(x.e); err != nil {
			return err
		}
	}
	if !ctx.Bool("follow") {
		return nil
	}
	errs := make(chan error, len(follow))
	for _, f := range follow {
		go func(f func() error) { errs <- f() }(f)
	}
	var last error
	for range follow {
		if err := <-errs; err != nil {
			log.Warn(err)
			last = err
		}
	}
	return last
}

// Completion offers pod names after the pod commands and run's --pod.
func init() {
	for _, sub := range []string{"inspect", "start", "stop", "restart", "rm", "remove", "logs"} {
		commandArgs["pod "+sub] = argPod
	}
	flagValues["--pod"] = argPod
}

// podLister names the pods, for completion.
type podLister interface{ pods() []string }

func (s stateNames) pods() []string {
	pods, _ := pod.NewStore(s.root).List()
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}
