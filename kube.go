//go:build kube

// The Kubernetes half of the CLI: play kube and generate kube. Built only
// into mydocker-kube (make build: go build -tags kube), the whole CLI with
// these two commands' code; mydocker itself leaves out k8s.io's types,
// whose size and package initialisation every other command would pay for
// at every start, and runs mydocker-kube for them (kube_program.go).

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"
	corev1 "k8s.io/api/core/v1"

	"mydocker/container"
	"mydocker/container/spec"
	"mydocker/image"
	"mydocker/kube"
)

// readKube reads the YAML of FILE, or of stdin for "-".
func readKube(ctx *cli.Context) ([]kube.Object, error) {
	if ctx.NArg() != 1 {
		return nil, errors.New(`"play kube" requires exactly one FILE (or - for stdin)`)
	}
	name := ctx.Args().First()
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, errors.Wrap(err, "play kube")
		}
		defer f.Close()
		r = f
	}
	objs, err := kube.Decode(r)
	if err != nil {
		return nil, errors.Wrapf(err, "play kube %s", name)
	}
	return objs, nil
}

func playKube(ctx *cli.Context) error {
	objs, err := readKube(ctx)
	if err != nil {
		return err
	}
	plan, err := kube.MakePlan(objs)
	if err != nil {
		return err
	}
	ex, err := newCLIExecutor(ctx)
	if err != nil {
		return err
	}
	if ctx.Bool("down") {
		return playKubeDown(plan, ex)
	}
	if w := kube.Warning(objs); w != "" {
		log.Warn(w)
	}
	results, err := kube.Play(plan, ex)
	if err != nil {
		return err
	}
	// As podman prints it: each pod, its app containers, a blank line.
	var failed error
	for _, r := range results {
		fmt.Printf("Pod:\n%s\n", r.ID)
		switch len(r.Containers) {
		case 0:
		case 1:
			fmt.Printf("Container:\n%s\n", r.Containers[0])
		default:
			fmt.Printf("Containers:\n%s\n", strings.Join(r.Containers, "\n"))
		}
		fmt.Println()
		if r.Err != nil {
			if failed != nil {
				fmt.Fprintln(os.Stderr, "mydocker: "+failed.Error())
			}
			failed = r.Err
		}
	}
	if failed != nil {
		// The pod failed as Kubernetes' would: it is there to look at.
		return &spec.ExitError{Code: 1, Err: failed}
	}
	return nil
}

// playKubeDown removes what play kube made of the plan, and prints the
// pods as podman does (pod rm -f stops them first).
func playKubeDown(plan *kube.Plan, ex *cliExecutor) error {
	removed, err := kube.Down(plan, ex)
	if len(removed) > 0 {
		ids := strings.Join(removed, "\n")
		fmt.Printf("Pods stopped:\n%s\nPods removed:\n%s\n", ids, ids)
	}
	return errors.Wrap(err, "play kube --down")
}

// cliExecutor runs play kube's steps as this binary's own commands, with
// the same global flags, so each step is exactly what a user could type.
type cliExecutor struct {
	self   string
	global []string
}

func newCLIExecutor(ctx *cli.Context) (*cliExecutor, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, errors.Wrap(err, "find mydocker's own binary")
	}
	ex := &cliExecutor{self: self, global: []string{"--root", root(ctx), "--log-level", ctx.GlobalString("log-level")}}
	if ctx.GlobalBool("debug") {
		ex.global = append(ex.global, "--debug")
	}
	if m := ctx.GlobalString("cgroup-manager"); m != "" {
		ex.global = append(ex.global, "--cgroup-manager", m)
	}
	return ex, nil
}

func (e *cliExecutor) command(args []string) *exec.Cmd {
	c := exec.Command(e.self, append(append([]string{}, e.global...), args...)...)
	c.Env = os.Environ()
	// If play kube is killed, its step is told to stop too: a foreground
	// init container's CLI passes SIGTERM on to the container.
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	return c
}

// Mydocker runs a command and returns its stdout; its stderr is passed
// on when it succeeds (warnings) and is the error when it fails.
func (e *cliExecutor) Mydocker(args ...string) (string, error) {
	log.Debugf("play kube: mydocker %s", strings.Join(args, " "))
	c := e.command(args)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	msg := strings.TrimSpace(errb.String())
	if err != nil {
		lines := strings.Split(msg, "\n")
		last := strings.TrimPrefix(lines[len(lines)-1], "mydocker: ")
		if last == "" {
			last = err.Error()
		}
		return out.String(), errors.New(last)
	}
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	return out.String(), nil
}

// Attached runs a command whose exit code is a container's. The
// container's output is in its log (mydocker logs), not play kube's.
func (e *cliExecutor) Attached(args ...string) (int, error) {
	log.Debugf("play kube: mydocker %s", strings.Join(args, " "))
	c := e.command(args)
	var errb bytes.Buffer
	c.Stderr = &errb
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		log.Debugf("play kube: %s: exit %d: %s", strings.Join(args, " "), ee.ExitCode(), errb.String())
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, errors.Wrapf(err, "mydocker %s", strings.Join(args, " "))
	}
	return 0, nil
}

func (e *cliExecutor) HostPath(p string, typ corev1.HostPathType) error {
	return kube.PrepareHostPath(p, typ)
}

func (e *cliExecutor) Sleep(d time.Duration) { time.Sleep(d) }

func generateKube(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"generate kube" requires at least one CONTAINER or POD`)
	}
	store := container.NewStore(root(ctx))
	images := image.NewStore(root(ctx))
	recs, errs := store.List()
	for _, err := range errs {
		log.Warn(err)
	}
	var pods []kube.PodSource
	loose := kube.PodSource{}
	for _, ref := range ctx.Args() {
		if id, err := store.Resolve(ref); err == nil {
			rec, err := store.Get(id)
			if err != nil {
				return err
			}
			src, err := containerSource(store, images, rec)
			if err != nil {
				return err
			}
			if loose.Name == "" {
				loose.Name = kube.DNSLabel(rec.Name) + "-pod"
			}
			loose.Containers = append(loose.Containers, src)
			loose.Labels = mergeLabels(loose.Labels, userLabels(images, rec))
			continue
		}
		pod, err := podSource(ctx, store, images, recs, ref)
		if err != nil {
			return err
		}
		pods = append(pods, *pod)
	}
	if len(loose.Containers) > 0 {
		pods = append([]kube.PodSource{loose}, pods...)
	}
	var out []*corev1.Pod
	for _, src := range pods {
		p, err := kube.Generate(src)
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	data, err := kube.Marshal(out)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(data)
	return errors.Wrap(err, "write YAML")
}

// podInspect is what generate kube reads of `pod inspect`.
type podInspect struct {
	ID               string            `json:"Id"`
	Name             string            `json:"Name"`
	Labels           map[string]string `json:"Labels"`
	InfraContainerID string            `json:"InfraContainerID"`
}

// podSource reads a pod through `pod inspect` and its containers from
// their records: every container whose record names the pod, but its
// infra container, oldest first.
func podSource(ctx *cli.Context, store *container.Store, images *image.Store, recs []*container.Record, ref string) (*kube.PodSource, error) {
	ex, err := newCLIExecutor(ctx)
	if err != nil {
		return nil, err
	}
	out, err := ex.Mydocker("pod", "inspect", ref)
	if err != nil {
		return nil, errors.Errorf("no such container or pod: %s", ref)
	}
	var pi podInspect
	trimmed := bytes.TrimSpace([]byte(out))
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []podInspect
		if err := json.Unmarshal(trimmed, &list); err != nil || len(list) != 1 {
			return nil, errors.Errorf("pod inspect %s: unexpected output", ref)
		}
		pi = list[0]
	} else if err := json.Unmarshal(trimmed, &pi); err != nil {
		return nil, errors.Wrapf(err, "pod inspect %s", ref)
	}
	src := &kube.PodSource{Name: pi.Name, Labels: pi.Labels}
	var members []*container.Record
	for _, rec := range recs {
		if rec.Config.Pod == pi.ID {
			members = append(members, rec)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Created.Before(members[j].Created) })
	for _, rec := range members {
		if rec.Config.Infra || rec.ID == pi.InfraContainerID {
			for _, p := range rec.Config.Ports {
				src.Ports = append(src.Ports, kube.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
			}
			continue
		}
		c, err := containerSource(store, images, rec)
		if err != nil {
			return nil, err
		}
		src.Containers = append(src.Containers, c)
	}
	return src, nil
}

// imageConfig is the config of the image a container was made from, or
// an empty one if the image is gone.
func imageConfig(images *image.Store, rec *container.Record) *image.Image {
	for _, ref := range []string{rec.ImageID, rec.Image} {
		if ref == "" {
			continue
		}
		if img, err := images.Get(ref); err == nil {
			return img
		}
	}
	return &image.Image{}
}

// userLabels are the container's labels its image does not set.
func userLabels(images *image.Store, rec *container.Record) map[string]string {
	img := imageConfig(images, rec)
	out := map[string]string{}
	for k, v := range rec.Config.Labels {
		if iv, ok := img.Config.Labels[k]; !ok || iv != v {
			out[k] = v
		}
	}
	return out
}

func mergeLabels(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

// containerSource is what generate kube needs of a container's record.
func containerSource(store *container.Store, images *image.Store, rec *container.Record) (kube.ContainerSource, error) {
	c := &rec.Config
	img := imageConfig(images, rec)
	view := rec.Inspect("", "", nil)
	src := kube.ContainerSource{
		Name: rec.Name, Image: c.Image, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
		ImageEntrypoint: img.Config.Entrypoint,
		Env:             c.Env, ImageEnv: container.MergeEnv(img.Config.Env, nil),
		WorkingDir: c.WorkingDir, ImageDir: cleanDir(img.Config.WorkingDir),
		Memory: view.HostConfig.Memory, NanoCPUs: view.HostConfig.NanoCpus,
		CapAdd: c.CapAdd, CapDrop: c.CapDrop, Privileged: c.Privileged,
		Restart: view.HostConfig.RestartPolicy.Name,
		Init:    c.Labels[kube.LabelInit] != "",
	}
	if src.Image == "" {
		src.Image = rec.Image
	}
	for _, p := range c.Ports {
		src.Ports = append(src.Ports, kube.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	for _, m := range c.Volumes {
		km := kube.Mount{Source: m.Source, Destination: m.Destination, ReadOnly: m.ReadOnly}
		switch m.Type {
		case spec.MountTmpfs:
			log.Warnf("generate kube: container %s: tmpfs %s left out (a pod has no tmpfs volume)", rec.Name, m.Destination)
			continue
		case spec.MountVolume:
			vol, err := store.Volumes().Get(m.Name)
			if err != nil {
				return src, errors.Wrapf(err, "container %s", rec.Name)
			}
			km.Source = vol.Mountpoint
			if name := vol.Labels[kube.LabelVolume]; name != "" {
				km.EmptyDir = name
			} else if m.Anonymous {
				km.EmptyDir = kube.DNSLabel(m.Destination)
			}
		default:
			if fi, err := os.Stat(m.Source); err == nil && !fi.IsDir() {
				km.File = true
			}
		}
		src.Mounts = append(src.Mounts, km)
	}
	return src, nil
}

func cleanDir(d string) string {
	if d == "" {
		return ""
	}
	return path.Clean(d)
}
