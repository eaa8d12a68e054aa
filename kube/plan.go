package kube

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels play kube puts on the named volume it makes for an emptyDir, so
// that generate kube writes an emptyDir for it again.
const (
	LabelPod    = "io.mydocker.kube.pod"
	LabelVolume = "io.mydocker.kube.volume"
	// LabelInit marks an init container, so that generate kube writes
	// it under initContainers again.
	LabelInit = "io.mydocker.kube.init"
)

// Plan is what play kube does, pod by pod: the mydocker commands that
// make each pod, in order, with their arguments.
type Plan struct {
	Pods []PodPlan
}

// PodPlan makes one pod. Its steps run in this order: images, host
// paths, volumes, the pod (its infra container holds the shared
// namespaces and the published ports), the init containers one at a
// time, each to completion, then the app containers.
type PodPlan struct {
	Name      string
	Images    []ImagePull
	HostPaths []HostPath
	// Volumes are `volume create` argument lists, one per emptyDir; the
	// volume's name is the last argument.
	Volumes [][]string
	// Create is the argument list of `pod create`.
	Create []string
	// Init are created (`create`) and then started attached, one at a
	// time; Containers are run detached.
	Init       []ContainerPlan
	Containers []ContainerPlan
	// RestartPolicy decides whether a failed init container is tried
	// again (Always, OnFailure) or fails the pod (Never).
	RestartPolicy corev1.RestartPolicy
}

// VolumeNames are the names of the volumes the pod's emptyDirs become.
func (p *PodPlan) VolumeNames() []string {
	var out []string
	for _, v := range p.Volumes {
		out = append(out, v[len(v)-1])
	}
	return out
}

// ImagePull is an image and its imagePullPolicy.
type ImagePull struct {
	Ref    string
	Policy corev1.PullPolicy
}

// HostPath is a hostPath volume's path and the type it must have (or
// be created as).
type HostPath struct {
	Path string
	Type corev1.HostPathType
}

// ContainerPlan is one container: its mydocker name and the whole
// argument list that makes it (`create ...` or `run -d ...`).
type ContainerPlan struct {
	Name string
	Args []string
}

// restartFlags maps a pod's restartPolicy to --restart, for the app
// containers (the default, "", is Kubernetes' Always).
var restartFlags = map[corev1.RestartPolicy]string{
	"": "always", corev1.RestartPolicyAlways: "always",
	corev1.RestartPolicyOnFailure: "on-failure", corev1.RestartPolicyNever: "no",
}

// MakePlan checks every object and turns it into pods. A Deployment of
// N replicas is N pods named <deployment>-pod-<i>.
func MakePlan(objs []Object) (*Plan, error) {
	p := &Plan{}
	names := map[string]bool{}
	for _, o := range objs {
		var pods []PodPlan
		var err error
		switch {
		case o.Pod != nil:
			var pod *PodPlan
			pod, err = planPod(o.Pod.Name, o.Pod.Labels, &o.Pod.Spec)
			if pod != nil {
				pods = append(pods, *pod)
			}
		case o.Deployment != nil:
			pods, err = planDeployment(o)
		}
		if err != nil {
			return nil, errors.Wrapf(err, "%s %q", o.Kind, o.Name)
		}
		for _, pod := range pods {
			if names[pod.Name] {
				return nil, errors.Errorf("pod %q is defined twice", pod.Name)
			}
			names[pod.Name] = true
		}
		p.Pods = append(p.Pods, pods...)
	}
	return p, nil
}

func planDeployment(o Object) ([]PodPlan, error) {
	d := o.Deployment
	if err := checkName(d.Name); err != nil {
		return nil, err
	}
	replicas := 1
	if d.Spec.Replicas != nil {
		replicas = int(*d.Spec.Replicas)
	}
	if replicas < 0 {
		return nil, errors.Errorf("invalid spec.replicas %d", replicas)
	}
	// The Deployment's own labels, then the pod template's over them.
	labels := map[string]string{}
	for k, v := range d.Labels {
		labels[k] = v
	}
	for k, v := range d.Spec.Template.Labels {
		labels[k] = v
	}
	if d.Spec.Selector != nil {
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				return nil, errors.Errorf("spec.selector.matchLabels %s=%s does not match the template's labels", k, v)
			}
		}
	}
	var pods []PodPlan
	for i := 0; i < replicas; i++ {
		pod, err := planPod(fmt.Sprintf("%s-pod-%d", d.Name, i), labels, &d.Spec.Template.Spec)
		if err != nil {
			return nil, err
		}
		pods = append(pods, *pod)
	}
	return pods, nil
}

// checkName refuses a name Kubernetes refuses for a pod.
func checkName(name string) error {
	if name == "" {
		return errors.New("metadata.name is required")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return errors.Errorf("invalid metadata.name %q: %s", name, errs[0])
	}
	return nil
}

// planPod maps one PodSpec to mydocker commands.
func planPod(name string, labels map[string]string, spec *corev1.PodSpec) (*PodPlan, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	flag, ok := restartFlags[spec.RestartPolicy]
	if !ok {
		return nil, errors.Errorf("invalid restartPolicy %q: want Always, OnFailure or Never", spec.RestartPolicy)
	}
	if len(spec.Containers) == 0 {
		return nil, errors.New("spec.containers: at least one container is required")
	}
	pod := &PodPlan{Name: name, RestartPolicy: spec.RestartPolicy}
	if pod.RestartPolicy == "" {
		pod.RestartPolicy = corev1.RestartPolicyAlways
	}
	vols, err := planVolumes(pod, spec.Volumes)
	if err != nil {
		return nil, err
	}
	pod.Create = []string{"pod", "create", "--name", name}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pod.Create = append(pod.Create, "-l", k+"="+labels[k])
	}
	seen := map[string]bool{}
	images := map[ImagePull]bool{}
	for i, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for j := range list {
			c := &list[j]
			field := fmt.Sprintf("spec.containers[%d]", j)
			if i == 0 {
				field = fmt.Sprintf("spec.initContainers[%d]", j)
			}
			if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
				return nil, errors.Errorf("%s: invalid name %q: %s", field, c.Name, errs[0])
			}
			if seen[c.Name] {
				return nil, errors.Errorf("%s: container name %q is used twice", field, c.Name)
			}
			seen[c.Name] = true
			args, ports, err := containerArgs(name, c, vols)
			if err != nil {
				return nil, errors.Wrapf(err, "%s (%s)", field, c.Name)
			}
			for _, p := range ports {
				pod.Create = append(pod.Create, "-p", p)
			}
			pull := ImagePull{Ref: c.Image, Policy: c.ImagePullPolicy}
			if pull.Policy == "" {
				// As podman's play kube: what is here is used, and only a
				// missing image is pulled (Kubernetes pulls :latest always).
				pull.Policy = corev1.PullIfNotPresent
			}
			if !images[pull] {
				images[pull] = true
				pod.Images = append(pod.Images, pull)
			}
			ctr := ContainerPlan{Name: name + "-" + c.Name}
			if i == 0 {
				ctr.Args = append([]string{"create", "--label", LabelInit + "=true"}, args...)
				pod.Init = append(pod.Init, ctr)
			} else {
				ctr.Args = append([]string{"run", "--detach", "--restart", flag}, args...)
				pod.Containers = append(pod.Containers, ctr)
			}
		}
	}
	return pod, nil
}

// volumeSource is what a volume of the pod is mounted from: a named
// volume (an emptyDir) or a host path.
type volumeSource struct {
	named string
	host  string
}

func planVolumes(pod *PodPlan, volumes []corev1.Volume) (map[string]volumeSource, error) {
	out := map[string]volumeSource{}
	for i, v := range volumes {
		field := fmt.Sprintf("spec.volumes[%d]", i)
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			return nil, errors.Errorf("%s: invalid name %q: %s", field, v.Name, errs[0])
		}
		if _, dup := out[v.Name]; dup {
			return nil, errors.Errorf("%s: volume name %q is used twice", field, v.Name)
		}
		switch {
		case v.HostPath != nil && v.EmptyDir == nil:
			p := v.HostPath.Path
			if !path.IsAbs(p) || strings.ContainsAny(p, ",:") {
				return nil, errors.Errorf("%s (%s): hostPath.path %q: want an absolute path without ',' or ':'", field, v.Name, p)
			}
			typ := corev1.HostPathUnset
			if v.HostPath.Type != nil {
				typ = *v.HostPath.Type
			}
			switch typ {
			case corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
				corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev:
			default:
				return nil, errors.Errorf("%s (%s): invalid hostPath.type %q", field, v.Name, typ)
			}
			pod.HostPaths = append(pod.HostPaths, HostPath{Path: path.Clean(p), Type: typ})
			out[v.Name] = volumeSource{host: path.Clean(p)}
		case v.EmptyDir != nil && v.HostPath == nil:
			named := pod.Name + "-" + v.Name
			pod.Volumes = append(pod.Volumes, []string{"volume", "create",
				"--label", LabelPod + "=" + pod.Name, "--label", LabelVolume + "=" + v.Name, named})
			out[v.Name] = volumeSource{named: named}
		default:
			return nil, errors.Errorf("%s (%s): only hostPath and emptyDir volumes are supported", field, v.Name)
		}
	}
	return out, nil
}

// containerArgs are the flags, image and command of a container, and
// the -p values of its host ports (the pod publishes them).
func containerArgs(pod string, c *corev1.Container, vols map[string]volumeSource) ([]string, []string, error) {
	if c.Image == "" {
		return nil, nil, errors.New("image is required")
	}
	switch c.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return nil, nil, errors.Errorf("invalid imagePullPolicy %q: want Always, IfNotPresent or Never", c.ImagePullPolicy)
	}
	args := []string{"--pod", pod, "--name", pod + "-" + c.Name}
	// The kubelet expands $(NAME) in env values (by the variables
	// before), command and args.
	vars := map[string]string{}
	for _, e := range c.Env {
		if e.Name == "" || strings.Contains(e.Name, "=") {
			return nil, nil, errors.Errorf("invalid env name %q", e.Name)
		}
		if e.ValueFrom != nil {
			continue // listed as unsupported
		}
		v := expand(e.Value, vars)
		vars[e.Name] = v
		args = append(args, "--env", e.Name+"="+v)
	}
	if c.WorkingDir != "" {
		if !path.IsAbs(c.WorkingDir) {
			return nil, nil, errors.Errorf("workingDir %q: want an absolute path", c.WorkingDir)
		}
		args = append(args, "--workdir", c.WorkingDir)
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		if q.Value() <= 0 {
			return nil, nil, errors.Errorf("invalid resources.limits.memory %q", q.String())
		}
		args = append(args, "--memory", strconv.FormatInt(q.Value(), 10))
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		if q.MilliValue() <= 0 {
			return nil, nil, errors.Errorf("invalid resources.limits.cpu %q", q.String())
		}
		args = append(args, "--cpus", strconv.FormatFloat(float64(q.MilliValue())/1000, 'f', -1, 64))
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.Privileged != nil && *sc.Privileged {
			args = append(args, "--privileged")
		}
		if caps := sc.Capabilities; caps != nil {
			for _, c := range caps.Add {
				args = append(args, "--cap-add", string(c))
			}
			for _, c := range caps.Drop {
				args = append(args, "--cap-drop", string(c))
			}
		}
	}
	for i, m := range c.VolumeMounts {
		src, ok := vols[m.Name]
		if !ok {
			return nil, nil, errors.Errorf("volumeMounts[%d]: no volume named %q in spec.volumes", i, m.Name)
		}
		if !path.IsAbs(m.MountPath) || strings.ContainsAny(m.MountPath, ",:") {
			return nil, nil, errors.Errorf("volumeMounts[%d]: mountPath %q: want an absolute path without ',' or ':'", i, m.MountPath)
		}
		spec := "type=bind,source=" + src.host
		if src.named != "" {
			spec = "type=volume,source=" + src.named
		}
		spec += ",target=" + m.MountPath
		if m.ReadOnly {
			spec += ",readonly"
		}
		args = append(args, "--mount", spec)
	}
	var ports []string
	for i, p := range c.Ports {
		if p.ContainerPort < 1 || p.ContainerPort > 65535 {
			return nil, nil, errors.Errorf("ports[%d]: invalid containerPort %d", i, p.ContainerPort)
		}
		if p.HostPort < 0 || p.HostPort > 65535 {
			return nil, nil, errors.Errorf("ports[%d]: invalid hostPort %d", i, p.HostPort)
		}
		proto := "tcp"
		switch p.Protocol {
		case "", corev1.ProtocolTCP:
		case corev1.ProtocolUDP:
			proto = "udp"
		default:
			return nil, nil, errors.Errorf("ports[%d]: protocol %q is not supported: want TCP or UDP", i, p.Protocol)
		}
		if p.HostPort == 0 {
			continue // only exposed, as in Kubernetes: reachable on the pod's address
		}
		spec := fmt.Sprintf("%d:%d/%s", p.HostPort, p.ContainerPort, proto)
		if p.HostIP != "" {
			spec = p.HostIP + ":" + spec
		}
		ports = append(ports, spec)
	}
	// The image is always there by now: play kube pulls first, as each
	// imagePullPolicy says.
	args = append(args, "--pull", "never")
	// command replaces the image's entrypoint and, as in Kubernetes, its
	// Cmd too; args replace the Cmd. --entrypoint takes one word, so the
	// rest of command goes before args.
	command, cmd := expandAll(c.Command, vars), expandAll(c.Args, vars)
	if len(command) > 0 {
		if command[0] == "" {
			return nil, nil, errors.New("command: empty program name")
		}
		args = append(args, "--entrypoint", command[0])
		cmd = append(append([]string{}, command[1:]...), cmd...)
	}
	args = append(args, c.Image)
	args = append(args, cmd...)
	return args, ports, nil
}

func expandAll(list []string, vars map[string]string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = expand(s, vars)
	}
	return out
}
