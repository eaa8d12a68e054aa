package pod

import (
	"sort"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/container"
	"mydocker/utils"
)

// Pod states, as podman's pod ps shows them.
const (
	StateCreated  = "Created"  // no container has run yet
	StateRunning  = "Running"  // every container runs
	StateDegraded = "Degraded" // some run, some do not
	StateExited   = "Exited"   // none runs, some have run
)

// Members are the containers of pod p, infra first, then oldest first,
// each settled (an exit its monitor is about to record counts as one).
func Members(cs *container.Store, p *Pod) []*container.Record {
	recs, errs := cs.List()
	for _, err := range errs {
		log.Warn(err)
	}
	var out []*container.Record
	for _, rec := range recs {
		if rec.Config.Pod == p.ID {
			out = append(out, cs.Settle(rec))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Config.Infra != out[j].Config.Infra {
			return out[i].Config.Infra
		}
		return out[i].Created.Before(out[j].Created)
	})
	return out
}

// State is the pod's state from its containers' (infra included).
func State(members []*container.Record) string {
	running, created := 0, 0
	for _, rec := range members {
		switch rec.State.Status {
		case container.StatusRunning:
			running++
		case container.StatusCreated:
			created++
		}
	}
	switch {
	case running > 0 && running == len(members):
		return StateRunning
	case running > 0:
		return StateDegraded
	case created == len(members):
		return StateCreated
	}
	return StateExited
}

// Start starts the pod's containers that do not run: the infra container
// first, whose namespaces the others join. start starts one container
// under its monitor.
func Start(cs *container.Store, p *Pod, start func(id string) error) error {
	members := Members(cs, p)
	if len(members) == 0 || !members[0].Config.Infra {
		return errors.Errorf("pod %s has no infra container: remove it with pod rm -f", p.Name)
	}
	var last error
	for _, rec := range members {
		if rec.State.Status == container.StatusRunning {
			continue
		}
		if err := start(rec.ID); err != nil {
			if rec.Config.Infra {
				return errors.Wrapf(err, "start infra container of pod %s", p.Name)
			}
			if last != nil {
				log.Error(last)
			}
			last = errors.Wrapf(err, "start container %s of pod %s", rec.Name, p.Name)
		}
	}
	return last
}

// Stop stops the pod's containers, the infra container last: the others
// leave the namespaces it holds first. timeout is stop's (negative: each
// container's own).
func Stop(cs *container.Store, p *Pod, timeout time.Duration) error {
	members := Members(cs, p)
	var last error
	for i := len(members) - 1; i >= 0; i-- { // infra is first
		if err := cs.Stop(members[i].ID, timeout); err != nil {
			if last != nil {
				log.Error(last)
			}
			last = errors.Wrapf(err, "stop container %s of pod %s", members[i].Name, p.Name)
		}
	}
	return last
}

// Remove removes the pod and its containers, the infra container last;
// without force it refuses a pod with a running container. It works on
// what a killed `pod create` or `pod rm` left: a pod without its infra
// container, containers already gone.
func Remove(cs *container.Store, ps *Store, p *Pod, force bool) error {
	lock, err := ps.Lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	members := Members(cs, p)
	if !force {
		for _, rec := range members {
			if rec.State.Status == container.StatusRunning {
				return errors.Errorf("pod %s has running containers: stop it first or use pod rm -f", p.Name)
			}
		}
	}
	for i := len(members) - 1; i >= 0; i-- {
		err := cs.Remove(members[i].ID, force)
		var nf *container.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			return errors.Wrapf(err, "remove container %s of pod %s", members[i].Name, p.Name)
		}
	}
	// A container may have joined while we removed (its create read the
	// pod record before we took the lock): it goes too, else it would
	// name a pod that is gone.
	if late := Members(cs, p); len(late) > 0 {
		return errors.Errorf("pod %s got container %s while it was being removed: run pod rm again", p.Name, utils.ShortID(late[0].ID))
	}
	return ps.Delete(p.ID)
}
