package main

// runc, the peer of container start and exec: its own state root in the
// work directory (so `runc list` lists only the benchmark's containers
// and nothing of anyone else's is touched), and two bundles sharing one
// read-only copy of the busybox rootfs that mydocker runs: one running
// `true`, one running `sleep` for exec and the containers present.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

type runcTool struct {
	root, bundle, sleepBundle string
	logs                      string // where detached containers' stdio goes
}

func newRunc(work, rootfsTar string) (*runcTool, error) {
	r := &runcTool{root: filepath.Join(work, "runc-state"), bundle: filepath.Join(work, "bundle"),
		sleepBundle: filepath.Join(work, "bundle-sleep"), logs: filepath.Join(work, "runc-logs")}
	for _, d := range []string{r.root, r.logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	rootfs := filepath.Join(r.bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return nil, err
	}
	if out, err := exec.Command("tar", "-C", rootfs, "-xf", rootfsTar).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("unpack rootfs for runc: %v: %s", err, out)
	}
	if err := makeBundle(r.bundle, "rootfs", []string{"true"}); err != nil {
		return nil, err
	}
	if err := makeBundle(r.sleepBundle, rootfs, []string{"sleep", "1000"}); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *runcTool) cmd(args ...string) *exec.Cmd {
	return quiet(exec.Command("runc", append([]string{"--root", r.root}, args...)...))
}

// run is a foreground `runc run` of `true`.
func (r *runcTool) run(id string) *exec.Cmd { return r.cmd("run", "--bundle", r.bundle, id) }

// detached starts id running `sleep` (verb run -d) or created and
// waiting for `runc start` (verb create). Its stdio are files: a pipe
// would be held open by the container, and the command never return.
func (r *runcTool) detached(verb, id string) error {
	log, err := os.Create(filepath.Join(r.logs, id))
	if err != nil {
		return err
	}
	defer log.Close()
	args := []string{verb, "--bundle", r.sleepBundle, id}
	if verb == "run" {
		args = []string{"run", "-d", "--bundle", r.sleepBundle, id}
	}
	c := exec.Command("runc", append([]string{"--root", r.root}, args...)...)
	c.Stdout, c.Stderr = log, log
	if interrupted.Load() {
		return errInterrupted
	}
	if err := c.Run(); err != nil {
		msg, _ := os.ReadFile(log.Name())
		return fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, strings.TrimSpace(string(msg)))
	}
	return nil
}

// ids lists the containers in the benchmark's runc root.
func (r *runcTool) ids() ([]string, error) {
	c := r.cmd("list", "-q")
	out, err := outputAlways(c)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// remove deletes runc containers, running or not.
func (r *runcTool) remove(ids ...string) error {
	for _, id := range ids {
		if c := r.cmd("delete", "-f", id); c.Run() != nil {
			return cmdErr(c, fmt.Errorf("failed"))
		}
	}
	return nil
}

// cleanup deletes every container in the benchmark's runc root.
func (r *runcTool) cleanup() error {
	ids, err := r.ids()
	if err != nil {
		return err
	}
	return r.remove(ids...)
}

// makeBundle writes an OCI bundle for runc whose rootfs is rootfs
// (relative to dir or absolute), running args with no terminal and
// runc's defaults otherwise (no network: a namespace with only lo).
func makeBundle(dir, rootfs string, args []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c := exec.Command("runc", "spec")
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec (is runc installed?): %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	proc, ok := spec["process"].(map[string]any)
	root, ok2 := spec["root"].(map[string]any)
	if !ok || !ok2 {
		return fmt.Errorf("runc spec: no process or root in %s", filepath.Join(dir, "config.json"))
	}
	proc["terminal"] = false
	proc["args"] = args
	root["path"] = rootfs
	root["readonly"] = true
	data, err = json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}
