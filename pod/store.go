// Package pod keeps the records of pods, on the host: a pod is a group of
// containers sharing namespaces (network, ipc, uts) held by its infra
// container, as in Kubernetes and Podman. The containers themselves are
// ordinary containers whose records name the pod (container.Config.Pod);
// a pod's record says only what is the pod's own.
package pod

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/network"
	"mydocker/utils"
)

// The namespaces a pod can share, as podman's --share names them.
const (
	ShareNet = "net"
	ShareIPC = "ipc"
	ShareUTS = "uts"
)

// DefaultShare is what a pod shares unless told otherwise: what makes
// its containers reach each other on localhost, share /dev/shm and the
// pod's hostname. Each keeps its own pid and mount namespaces.
var DefaultShare = []string{ShareNet, ShareIPC, ShareUTS}

// Pod is a pod's record, <root>/pods/<id>/pod.json.
type Pod struct {
	ID      string            `json:"Id"`
	Name    string            `json:"Name"`
	Created time.Time         `json:"Created"`
	Labels  map[string]string `json:"Labels,omitempty"`
	// SharedNamespaces are the infra container's namespaces its
	// containers join: some of net, ipc, uts.
	SharedNamespaces []string `json:"SharedNamespaces"`
	// InfraContainerID is the container holding the shared namespaces
	// and the published ports; "" only while the pod is being made.
	InfraContainerID string `json:"InfraContainerID"`
	// Network and Ports are the infra container's: the pod's address
	// and port rules are its.
	Network string                `json:"Network,omitempty"`
	Ports   []network.PortMapping `json:"Ports,omitempty"`
}

// Shares reports whether the pod shares namespace ns.
func (p *Pod) Shares(ns string) bool {
	for _, s := range p.SharedNamespaces {
		if s == ns {
			return true
		}
	}
	return false
}

// ParseShare checks podman's --share: a comma-separated list of net, ipc
// and uts ("" or "none": nothing shared).
func ParseShare(v string) ([]string, error) {
	out := []string{}
	if v == "" || v == "none" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		switch s {
		case ShareNet, ShareIPC, ShareUTS:
		case "pid", "cgroup", "mnt", "user":
			return nil, errors.Errorf("invalid --share %q: sharing %s is not supported (net, ipc and uts are)", v, s)
		default:
			return nil, errors.Errorf("invalid --share %q: %q is not a namespace (want net, ipc, uts)", v, s)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// Store keeps the pod records of a state root under <root>/pods.
type Store struct{ Dir string }

// NewStore returns the pod store of state root root.
func NewStore(root string) *Store { return &Store{Dir: filepath.Join(root, "pods")} }

func (s *Store) path(id string) string { return filepath.Join(s.Dir, id, "pod.json") }

// Lock takes the pods' lock: making, changing and removing a pod hold it,
// so two pods never get one name and a pod being removed gets no new
// containers. Pods are few and these are rare: one lock is enough.
func (s *Store) Lock() (*utils.FileLock, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, errors.Wrap(err, "pod store")
	}
	return utils.Lock(filepath.Join(s.Dir, ".lock"))
}

// Create writes the record of a new pod, refusing a name in use. The
// caller holds Lock. The pod's directory appears whole, record inside:
// it is made aside and renamed into place, so a create killed half-way
// leaves no pod without a record (which no command could name).
func (s *Store) Create(p *Pod) error {
	pods, err := s.List()
	if err != nil {
		return err
	}
	for _, o := range pods {
		if o.Name == p.Name {
			return errors.Errorf("the pod name %q is already in use by pod %s", p.Name, utils.ShortID(o.ID))
		}
	}
	// Under the lock, a directory being made is one a killed create left.
	removeStale(s.Dir)
	tmp, err := os.MkdirTemp(s.Dir, tmpPrefix)
	if err != nil {
		return errors.Wrap(err, "pod directory")
	}
	defer os.RemoveAll(tmp)
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode pod record")
	}
	if err := utils.WriteFileAtomic(filepath.Join(tmp, "pod.json"), data, 0o600); err != nil {
		return errors.Wrapf(err, "write record of pod %s", p.Name)
	}
	if err := os.Rename(tmp, filepath.Join(s.Dir, p.ID)); err != nil {
		return errors.Wrap(err, "pod directory")
	}
	return errors.Wrap(utils.SyncDir(s.Dir), "pod directory")
}

// tmpPrefix names what is being made in the store; nothing else starts
// with a dot.
const tmpPrefix = ".tmp-"

// removeStale removes the directories a killed create left in dir. The
// caller holds Lock, so none is being made now.
func removeStale(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*"))
	for _, d := range stale {
		if err := os.RemoveAll(d); err != nil {
			log.Warnf("removing %s: %v", d, err)
		}
	}
}

// Save writes p's record atomically: a reader sees the old or the new.
func (s *Store) Save(p *Pod) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode pod record")
	}
	return errors.Wrapf(utils.WriteFileAtomic(s.path(p.ID), data, 0o600), "write record of pod %s", p.Name)
}

// Load reads the record of pod id.
func (s *Store) Load(id string) (*Pod, error) {
	data, err := os.ReadFile(s.path(id))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &NotFoundError{Ref: utils.ShortID(id)}
		}
		return nil, errors.Wrap(err, "read pod record")
	}
	var p Pod
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, errors.Wrapf(err, "corrupt record of pod %s", utils.ShortID(id))
	}
	if p.ID != id {
		return nil, errors.Errorf("corrupt record of pod %s: it has Id %q", utils.ShortID(id), p.ID)
	}
	return &p, nil
}

// List reads every pod, oldest first. A pod directory whose record cannot
// be read is skipped (Create and Delete never leave one without).
func (s *Store) List() ([]*Pod, error) {
	ents, err := os.ReadDir(s.Dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "read pod store")
	}
	var pods []*Pod
	for _, e := range ents {
		if !isID(e.Name()) {
			continue
		}
		p, err := s.Load(e.Name())
		if err != nil {
			continue
		}
		pods = append(pods, p)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Created.Before(pods[j].Created) })
	return pods, nil
}

// Resolve finds the pod ref means: a full ID, a name, or a unique ID
// prefix, in that order, as containers are found.
func (s *Store) Resolve(ref string) (*Pod, error) {
	if ref == "" {
		return nil, errors.New("empty pod reference")
	}
	if isID(ref) {
		if p, err := s.Load(ref); err == nil {
			return p, nil
		}
	}
	pods, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, p := range pods {
		if p.Name == ref {
			return p, nil
		}
	}
	var found []*Pod
	for _, p := range pods {
		if strings.HasPrefix(p.ID, ref) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, &NotFoundError{Ref: ref}
	case 1:
		return found[0], nil
	}
	return nil, errors.Errorf("pod reference %q is ambiguous", ref)
}

// Delete removes pod id's record and directory. The caller holds Lock.
// The directory is renamed aside first, so the pod goes at once: a
// delete killed half-way leaves what the next Create removes, never a
// pod directory without its record, which no command could name.
func (s *Store) Delete(id string) error {
	if !isID(id) {
		return errors.Errorf("invalid pod ID %q", id)
	}
	aside := filepath.Join(s.Dir, tmpPrefix+"rm-"+id)
	if err := os.Rename(filepath.Join(s.Dir, id), aside); err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return errors.Wrap(err, "remove pod record")
	}
	return errors.Wrap(os.RemoveAll(aside), "remove pod record")
}

// NotFoundError says no pod is called Ref.
type NotFoundError struct{ Ref string }

func (e *NotFoundError) Error() string { return "no such pod: " + e.Ref }

// isID reports whether s has the form of a pod ID.
func isID(s string) bool { return utils.IsLowerHex(s, 64, 64) }
