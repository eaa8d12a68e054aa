package kube

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"mydocker/utils"
)

// PodSource is what generate kube reads of a pod, or of containers that
// become one pod: the caller fills it from the records.
type PodSource struct {
	Name       string
	Labels     map[string]string
	Containers []ContainerSource
	// Ports are the pod's published ports (its infra container's); they
	// go on its first container, as Kubernetes has no pod-level ports.
	Ports []Port
}

// ContainerSource is one container as its record and image say.
type ContainerSource struct {
	Name                 string
	Image                string
	Entrypoint, Cmd      []string
	ImageEntrypoint      []string
	Env, ImageEnv        []string
	WorkingDir, ImageDir string
	Ports                []Port
	Memory               int64 // bytes, 0 for none
	NanoCPUs             int64 // billionths of a CPU, 0 for none
	CapAdd, CapDrop      []string
	Privileged           bool
	Mounts               []Mount
	// Restart is the Docker restart policy's name: no, on-failure,
	// always or unless-stopped.
	Restart string
	// Init marks an init container (play kube labels them LabelInit).
	Init bool
}

// Port is one published port.
type Port struct {
	HostIP                  string
	HostPort, ContainerPort int
	Protocol                string // tcp or udp
}

// Mount is one of a container's mounts.
type Mount struct {
	Source, Destination string
	ReadOnly            bool
	// EmptyDir is the Kubernetes volume name of a named volume that play
	// kube made for an emptyDir; "" for a host path.
	EmptyDir string
	// File says the source is a file, not a directory.
	File bool
}

// restartPolicies maps a Docker restart policy to the pod's.
var restartPolicies = map[string]corev1.RestartPolicy{
	"": corev1.RestartPolicyNever, "no": corev1.RestartPolicyNever,
	"on-failure": corev1.RestartPolicyOnFailure,
	"always":     corev1.RestartPolicyAlways, "unless-stopped": corev1.RestartPolicyAlways,
}

var notLabelChar = utils.LazyRegexp(`[^a-z0-9-]+`)

// DNSLabel makes s a DNS-1123 label (what Kubernetes wants of container
// and volume names): lower case, runs of anything else as one '-'.
func DNSLabel(s string) string {
	s = strings.Trim(notLabelChar().ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	if s == "" {
		s = "x"
	}
	return s
}

// Generate builds the v1 Pod of src.
func Generate(src PodSource) (*corev1.Pod, error) {
	if len(src.Containers) == 0 {
		return nil, errors.Errorf("pod %s has no containers", src.Name)
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: src.Name, Labels: src.Labels},
	}
	// The app containers carry the pod's restartPolicy; init containers
	// are run by play kube itself, with none.
	var first *ContainerSource
	for i := range src.Containers {
		if !src.Containers[i].Init {
			first = &src.Containers[i]
			break
		}
	}
	if first == nil {
		return nil, errors.Errorf("pod %s has only init containers", src.Name)
	}
	policy, ok := restartPolicies[first.Restart]
	if !ok {
		return nil, errors.Errorf("container %s: unknown restart policy %q", first.Name, first.Restart)
	}
	pod.Spec.RestartPolicy = policy
	portsDone := false
	volumes := map[string]string{} // source (host path or emptyDir) to volume name
	names := map[string]bool{}
	for _, c := range src.Containers {
		if p := restartPolicies[c.Restart]; p != policy && !c.Init {
			return nil, errors.Errorf("containers %s and %s have different restart policies: a pod has one", first.Name, c.Name)
		}
		name := DNSLabel(strings.TrimPrefix(c.Name, src.Name+"-"))
		for n := 2; names[name]; n++ {
			name = DNSLabel(fmt.Sprintf("%s-%d", strings.TrimPrefix(c.Name, src.Name+"-"), n))
		}
		names[name] = true
		ctr := corev1.Container{Name: name, Image: c.Image}
		// The image's entrypoint is left to the image; any other is the
		// command. Cmd is always written: it is what the container runs.
		if !slices.Equal(c.Entrypoint, c.ImageEntrypoint) {
			ctr.Command = escapeAll(c.Entrypoint)
		}
		ctr.Args = escapeAll(c.Cmd)
		ctr.Env = envDiff(c.Env, c.ImageEnv)
		if c.WorkingDir != c.ImageDir {
			ctr.WorkingDir = c.WorkingDir
		}
		ports := c.Ports
		if !c.Init && !portsDone {
			ports = append(append([]Port{}, src.Ports...), ports...)
			portsDone = true
		}
		for _, p := range ports {
			cp := corev1.ContainerPort{ContainerPort: int32(p.ContainerPort), HostPort: int32(p.HostPort), Protocol: corev1.ProtocolTCP}
			if p.Protocol == "udp" {
				cp.Protocol = corev1.ProtocolUDP
			}
			if p.HostIP != "" && p.HostIP != "0.0.0.0" {
				cp.HostIP = p.HostIP
			}
			ctr.Ports = append(ctr.Ports, cp)
		}
		if c.Memory > 0 || c.NanoCPUs > 0 {
			ctr.Resources.Limits = corev1.ResourceList{}
			if c.Memory > 0 {
				ctr.Resources.Limits[corev1.ResourceMemory] = *resource.NewQuantity(c.Memory, resource.BinarySI)
			}
			if c.NanoCPUs > 0 {
				ctr.Resources.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(c.NanoCPUs/1e6, resource.DecimalSI)
			}
		}
		if c.Privileged || len(c.CapAdd) > 0 || len(c.CapDrop) > 0 {
			sc := &corev1.SecurityContext{}
			if c.Privileged {
				yes := true
				sc.Privileged = &yes
			}
			if len(c.CapAdd) > 0 || len(c.CapDrop) > 0 {
				sc.Capabilities = &corev1.Capabilities{}
				for _, x := range c.CapAdd {
					sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(x))
				}
				for _, x := range c.CapDrop {
					sc.Capabilities.Drop = append(sc.Capabilities.Drop, corev1.Capability(x))
				}
			}
			ctr.SecurityContext = sc
		}
		for _, m := range c.Mounts {
			key := "host:" + m.Source
			if m.EmptyDir != "" {
				key = "empty:" + m.EmptyDir
			}
			vname, ok := volumes[key]
			if !ok {
				vname = volumeName(pod, m)
				volumes[key] = vname
				v := corev1.Volume{Name: vname}
				if m.EmptyDir != "" {
					v.EmptyDir = &corev1.EmptyDirVolumeSource{}
				} else {
					typ := corev1.HostPathDirectory
					if m.File {
						typ = corev1.HostPathFile
					}
					v.HostPath = &corev1.HostPathVolumeSource{Path: m.Source, Type: &typ}
				}
				pod.Spec.Volumes = append(pod.Spec.Volumes, v)
			}
			ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: vname, MountPath: m.Destination, ReadOnly: m.ReadOnly})
		}
		if c.Init {
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, ctr)
		} else {
			pod.Spec.Containers = append(pod.Spec.Containers, ctr)
		}
	}
	return pod, nil
}

// volumeName names a volume: an emptyDir by its own name, a host path
// by the path (as podman does), unique in the pod.
func volumeName(pod *corev1.Pod, m Mount) string {
	base := m.EmptyDir
	if base == "" {
		base = DNSLabel(m.Source) + "-host"
	}
	name := DNSLabel(base)
	for n := 2; ; n++ {
		taken := false
		for _, v := range pod.Spec.Volumes {
			taken = taken || v.Name == name
		}
		if !taken {
			return name
		}
		name = DNSLabel(fmt.Sprintf("%s-%d", base, n))
	}
}

// envDiff is the container's environment that its image does not set.
func envDiff(env, image []string) []corev1.EnvVar {
	have := map[string]bool{}
	for _, kv := range image {
		have[kv] = true
	}
	var out []corev1.EnvVar
	for _, kv := range env {
		if have[kv] {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, corev1.EnvVar{Name: k, Value: escape(v)})
	}
	return out
}

// Marshal writes pods as YAML documents separated by ---.
func Marshal(pods []*corev1.Pod) ([]byte, error) {
	var buf bytes.Buffer
	for i, p := range pods {
		data, err := yaml.Marshal(p)
		if err != nil {
			return nil, errors.Wrap(err, "encode pod")
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(data)
	}
	return buf.Bytes(), nil
}
