package kube

import (
	"fmt"
	"strings"
	"time"

	"github.com/pkg/errors"
	corev1 "k8s.io/api/core/v1"
)

// Executor carries out a plan's steps. play kube's runs this same binary's
// commands as child processes, so a pod is made exactly as a user would
// make it by hand; tests use a fake.
type Executor interface {
	// Mydocker runs a mydocker command and returns its standard output;
	// a failure's error is the command's own one-line message.
	Mydocker(args ...string) (string, error)
	// Attached runs a mydocker command whose exit code is a container's
	// (start --attach) and returns that code.
	Attached(args ...string) (int, error)
	// HostPath checks, or creates, a hostPath volume's path as its type
	// says.
	HostPath(path string, typ corev1.HostPathType) error
	// Sleep waits between tries of a failed init container.
	Sleep(d time.Duration)
}

// The back-off between tries of a failed init container: doubling from
// initBackoff up to maxBackoff, as the kubelet's CrashLoopBackOff does
// (at a tenth of its pace: there is no cluster to protect here).
const (
	initBackoff = time.Second
	maxBackoff  = 30 * time.Second
)

// PodResult is what play kube made of one pod.
type PodResult struct {
	Name       string
	ID         string
	Init       []string // init container IDs
	Containers []string // app container IDs
	// Err is set when an init container failed under restartPolicy
	// Never: the pod stays, failed, as Kubernetes keeps it, and its app
	// containers were never started.
	Err error
}

// InitFailedError is an init container that exited non-zero under
// restartPolicy Never.
type InitFailedError struct {
	Pod, Container string
	Code           int
}

func (e *InitFailedError) Error() string {
	return fmt.Sprintf("pod %s failed: init container %s exited with code %d and restartPolicy is Never (see mydocker logs %s; remove the pod with play kube --down)",
		e.Pod, e.Container, e.Code, e.Container)
}

// Play carries out p. Images are pulled or checked and host paths
// prepared for every pod before anything is made, so a missing image or
// path leaves nothing behind; if making anything fails, everything this
// play made is removed again. An init container that fails under
// restartPolicy Never fails only its pod (PodResult.Err).
func Play(p *Plan, ex Executor) ([]PodResult, error) {
	seen := map[ImagePull]bool{}
	for _, pod := range p.Pods {
		for _, img := range pod.Images {
			if seen[img] {
				continue
			}
			seen[img] = true
			if err := pullImage(ex, img); err != nil {
				return nil, err
			}
		}
	}
	// A pod or volume of the same name is someone else's: play kube
	// would otherwise take it over, and remove it when undoing or with
	// --down.
	for _, pod := range p.Pods {
		if exists(ex, "pod", pod.Name) {
			return nil, errors.Errorf("pod %s already exists (play kube --down FILE removes what play kube made)", pod.Name)
		}
		for _, v := range pod.VolumeNames() {
			if exists(ex, "volume", v) {
				return nil, errors.Errorf("pod %s: volume %s already exists (play kube --down FILE removes what play kube made)", pod.Name, v)
			}
		}
	}
	for _, pod := range p.Pods {
		for _, hp := range pod.HostPaths {
			if err := ex.HostPath(hp.Path, hp.Type); err != nil {
				return nil, errors.Wrapf(err, "pod %s", pod.Name)
			}
		}
	}
	var results []PodResult
	var undo []func() error
	rollback := func(cause error) error {
		var failed []string
		for i := len(undo) - 1; i >= 0; i-- {
			if err := undo[i](); err != nil {
				failed = append(failed, err.Error())
			}
		}
		if len(failed) > 0 {
			return errors.Errorf("%v (and undoing what play kube made failed: %s)", cause, strings.Join(failed, "; "))
		}
		return cause
	}
	for _, pod := range p.Pods {
		res := PodResult{Name: pod.Name}
		for _, v := range pod.Volumes {
			if _, err := ex.Mydocker(v...); err != nil {
				return nil, rollback(errors.Wrapf(err, "pod %s: volume %s", pod.Name, v[len(v)-1]))
			}
			name := v[len(v)-1]
			undo = append(undo, func() error { _, err := ex.Mydocker("volume", "rm", name); return err })
		}
		out, err := ex.Mydocker(pod.Create...)
		if err != nil {
			return nil, rollback(errors.Wrapf(err, "pod %s", pod.Name))
		}
		res.ID = strings.TrimSpace(out)
		name := pod.Name
		undo = append(undo, func() error { _, err := ex.Mydocker("pod", "rm", "-f", name); return err })
		if err := runInits(ex, &pod, &res); err != nil {
			return nil, rollback(err)
		}
		if res.Err == nil {
			for _, c := range pod.Containers {
				out, err := ex.Mydocker(c.Args...)
				if err != nil {
					return nil, rollback(errors.Wrapf(err, "pod %s: container %s", pod.Name, c.Name))
				}
				res.Containers = append(res.Containers, strings.TrimSpace(out))
			}
		}
		results = append(results, res)
	}
	return results, nil
}

// exists reports whether mydocker has a pod or volume of this name.
func exists(ex Executor, kind, name string) bool {
	_, err := ex.Mydocker(kind, "inspect", name)
	return err == nil
}

// Down removes what playing p made: each pod that exists, with its
// containers, and the volumes play kube made for its emptyDirs (those
// labelled as this pod's: a volume of the same name that someone else
// made is left alone). It works on what a killed play kube left too.
// It returns the IDs of the pods it removed.
func Down(p *Plan, ex Executor) ([]string, error) {
	var removed []string
	for i := len(p.Pods) - 1; i >= 0; i-- {
		pod := p.Pods[i]
		if exists(ex, "pod", pod.Name) {
			out, err := ex.Mydocker("pod", "rm", "-f", pod.Name)
			if err != nil {
				return removed, errors.Wrapf(err, "pod %s", pod.Name)
			}
			removed = append(removed, strings.TrimSpace(out))
		}
		for _, v := range pod.VolumeNames() {
			out, err := ex.Mydocker("volume", "inspect", "--format", `{{index .Labels "`+LabelPod+`"}}`, v)
			if err != nil || strings.TrimSpace(out) != pod.Name {
				continue // gone already, or not play kube's
			}
			if _, err := ex.Mydocker("volume", "rm", v); err != nil {
				return removed, errors.Wrapf(err, "pod %s: volume %s", pod.Name, v)
			}
		}
	}
	return removed, nil
}

func pullImage(ex Executor, img ImagePull) error {
	present := func() bool {
		_, err := ex.Mydocker("image", "inspect", "--format", "{{.Id}}", img.Ref)
		return err == nil
	}
	switch img.Policy {
	case corev1.PullNever:
		if !present() {
			return errors.Errorf("image %s is not here and its imagePullPolicy is Never: load or pull it first", img.Ref)
		}
		return nil
	case corev1.PullIfNotPresent:
		if present() {
			return nil
		}
	}
	_, err := ex.Mydocker("pull", img.Ref)
	return errors.Wrapf(err, "pull %s (imagePullPolicy %s)", img.Ref, img.Policy)
}

// runInits runs the init containers one at a time, each to completion.
// One that fails is started again after a back-off (restartPolicy
// Always or OnFailure) or fails the pod (Never): the seed's Pod article,
// and Kubernetes' init containers.
func runInits(ex Executor, pod *PodPlan, res *PodResult) error {
	for _, c := range pod.Init {
		out, err := ex.Mydocker(c.Args...)
		if err != nil {
			return errors.Wrapf(err, "pod %s: init container %s", pod.Name, c.Name)
		}
		res.Init = append(res.Init, strings.TrimSpace(out))
		backoff := initBackoff
		for {
			code, err := ex.Attached("start", "--attach", c.Name)
			if err != nil {
				return errors.Wrapf(err, "pod %s: init container %s", pod.Name, c.Name)
			}
			if code == 0 {
				break
			}
			if pod.RestartPolicy == corev1.RestartPolicyNever {
				res.Err = &InitFailedError{Pod: pod.Name, Container: c.Name, Code: code}
				return nil
			}
			ex.Sleep(backoff)
			backoff = min(2*backoff, maxBackoff)
		}
	}
	return nil
}
