package main

import (
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/pod"
)

// joinFlags are run's and create's flags for namespaces shared with the
// host or another container, and for pods.
var joinFlags = []cli.Flag{
	cli.StringFlag{Name: "ipc", Usage: "ipc namespace: private (default), shareable, host or container:NAME"},
	cli.StringFlag{Name: "pid", Usage: "pid namespace: its own (default), host or container:NAME"},
	cli.StringFlag{Name: "uts", Usage: "uts namespace (hostname): its own (default), host or container:NAME"},
	cli.StringFlag{Name: "pod", Usage: "run in pod NAME: join the namespaces it shares"},
}

// run and create take them (create's list is run's).
func init() {
	runCommand.Flags = append(runCommand.Flags, joinFlags...)
	createCommand.Flags = runCommand.Flags
}

// parseJoinFlags checks --ipc, --pid, --uts, --pod and --network
// container:NAME against each other and the other flags, as Docker and
// podman refuse them, before anything is created.
func parseJoinFlags(ctx *cli.Context, o *runOptions) error {
	c := &o.config
	for _, f := range []struct {
		flag string
		dst  *string
	}{{"ipc", &c.IpcMode}, {"pid", &c.PidMode}, {"uts", &c.UTSMode}} {
		v := ctx.String(f.flag)
		if err := container.ParseNamespaceMode(f.flag, v); err != nil {
			return err
		}
		*f.dst = v
	}
	if c.IpcMode == container.ModePrivate {
		c.IpcMode = ""
	}
	if strings.HasPrefix(c.Network, container.ModeContainer) {
		if container.JoinedID(c.Network) == "" {
			return errors.Errorf("invalid --network %q: container:NAME names no container", c.Network)
		}
		switch {
		case len(c.Ports) > 0 || c.PublishAllPorts:
			return errors.New("conflicting options: port publishing and the container type network mode")
		case ctx.IsSet("hostname"):
			return errors.New("conflicting options: hostname and the network mode")
		case len(c.DNS) > 0 || len(c.DNSSearch) > 0 || len(c.DNSOptions) > 0:
			return errors.New("conflicting options: dns and the network mode")
		case len(c.ExtraHosts) > 0:
			return errors.New("conflicting options: custom host-to-IP mapping and the network mode")
		}
	}
	if c.UTSMode != "" && ctx.IsSet("hostname") {
		return errors.New("conflicting options: hostname and the UTS mode")
	}
	o.pod = ctx.String("pod")
	if ctx.IsSet("pod") && o.pod == "" {
		return errors.New(`invalid --pod "": want a pod's name or ID`)
	}
	return nil
}

// applyJoins makes the container of o a member of its pod (joining the
// namespaces the pod shares through its infra container) and resolves
// every container:NAME to the container's ID.
func applyJoins(ctx *cli.Context, o *runOptions) error {
	c := &o.config
	if o.pod != "" {
		p, err := pod.NewStore(root(ctx)).Resolve(o.pod)
		if err != nil {
			return err
		}
		if p.InfraContainerID == "" {
			return errors.Errorf("pod %s has no infra container", p.Name)
		}
		c.Pod = p.ID
		infra := container.ModeContainer + p.InfraContainerID
		if p.Shares(pod.ShareNet) {
			switch {
			case ctx.IsSet("network"):
				return errors.Errorf("--network conflicts with --pod: pod %s shares its network", p.Name)
			case len(c.Ports) > 0 || c.PublishAllPorts:
				return errors.Errorf("published ports belong to pod %s: give -p to pod create", p.Name)
			case len(c.DNS) > 0 || len(c.DNSSearch) > 0 || len(c.DNSOptions) > 0 || len(c.ExtraHosts) > 0:
				return errors.Errorf("--dns and --add-host conflict with --pod: pod %s shares its network", p.Name)
			}
			c.Network = infra
		}
		if p.Shares(pod.ShareIPC) {
			if ctx.IsSet("ipc") {
				return errors.Errorf("--ipc conflicts with --pod: pod %s shares its ipc namespace", p.Name)
			}
			c.IpcMode = infra
		}
		if p.Shares(pod.ShareUTS) {
			if ctx.IsSet("uts") || ctx.IsSet("hostname") {
				return errors.Errorf("--uts and --hostname conflict with --pod: pod %s shares its hostname", p.Name)
			}
			c.UTSMode = infra
		}
	}
	return container.NewStore(root(ctx)).ResolveJoins(c)
}

// startPodInfra starts the infra container of rec's pod unless it runs,
// as podman does before it starts a container of a pod: the container
// joins the infra's namespaces.
func startPodInfra(ctx *cli.Context, rec *container.Record) error {
	if rec.Config.Pod == "" || rec.Config.Infra {
		return nil
	}
	p, err := pod.NewStore(root(ctx)).Load(rec.Config.Pod)
	if err != nil {
		return errors.Wrapf(err, "pod of container %s", rec.Name)
	}
	store := container.NewStore(root(ctx))
	infra, err := store.Get(p.InfraContainerID)
	if err != nil {
		return errors.Wrapf(err, "infra container of pod %s", p.Name)
	}
	if infra.State.Status == container.StatusRunning {
		return nil
	}
	return errors.Wrapf(startDetached(ctx, infra.ID), "start infra container of pod %s", p.Name)
}

// podNames maps every pod's ID to its name, for ps --pod.
func podNames(ctx *cli.Context) map[string]string {
	names := map[string]string{}
	pods, err := pod.NewStore(root(ctx)).List()
	if err != nil {
		log.Warn(err)
	}
	for _, p := range pods {
		names[p.ID] = p.Name
	}
	return names
}

// refuseInfra refuses to remove the infra container of a pod that exists,
// as podman does: the pod's containers join its namespaces, so it goes
// with the pod (pod rm). An infra container whose pod is gone (a killed
// pod rm) is removed as any container.
func refuseInfra(ctx *cli.Context, store *container.Store, ref string) error {
	id, err := store.Resolve(ref)
	if err != nil {
		return nil // removeRef reports it
	}
	rec, err := store.Load(id)
	if err != nil || !rec.Config.Infra {
		return nil
	}
	p, err := pod.NewStore(root(ctx)).Load(rec.Config.Pod)
	if err != nil {
		return nil
	}
	return errors.Errorf("container %s is the infra container of pod %s: remove the pod with pod rm", rec.Name, p.Name)
}
