package inside

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container/spec"
)

// ExecMain is `mydocker nsexec` inside the container: the nsenter
// constructor joined its namespaces, made the process non-dumpable and
// forked before Go started; it joins the container's cgroups last. This
// process is a member of every namespace of the container and becomes the
// command; until then it holds nothing of the host's but its pipes and
// the cgroup files it joins through. Its exit code, or the
// command's, is what `mydocker exec` reports.
func ExecMain() {
	if os.Getenv(spec.ExecDebugEnv) != "" {
		log.SetLevel(log.DebugLevel)
	}
	err := runExec()
	code := spec.ExitCode(err)
	fmt.Fprintln(os.Stderr, "mydocker: "+err.Error())
	os.Exit(code)
}

// runExec returns only on failure.
func runExec() error {
	cfg, err := readExecConfig()
	if err != nil {
		return err
	}
	// A session of its own: the terminal's signals reach it only through
	// the relay, once, and with -t the pty can be its controlling terminal.
	if _, err := unix.Setsid(); err != nil {
		return errors.Wrap(err, "setsid")
	}
	if cfg.Tty {
		fd, err := strconv.Atoi(os.Getenv(spec.ExecSyncEnv))
		if err != nil {
			return errors.New("nsexec: no sync socket for the terminal")
		}
		sync := os.NewFile(uintptr(fd), "exec-sync")
		err = setupConsole(sync, cfg.ConsoleSize)
		sync.Close()
		if err != nil {
			return err
		}
	}
	cwd := cfg.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := unix.Chdir(cwd); err != nil {
		return errors.Wrapf(err, "change to workdir %s", cwd)
	}
	// Last before the command: from here on this process counts against
	// the container's limits, so its runtime must want no new thread.
	files, err := cgroupFiles(os.Getenv(spec.ExecCgroupsEnv))
	if err != nil {
		return err
	}
	if err := cgroups.JoinOpen(files); err != nil {
		return err
	}
	// Confined as the container's own processes are; execve makes the
	// process dumpable again, now that it runs only the user's program.
	return execCommand(cfg.Args, cfg.Env, cfg.User, cfg.Proc, nil, &cfg.Security, nil)
}

// cgroupFiles opens the descriptors a comma-separated list names.
func cgroupFiles(list string) ([]*os.File, error) {
	var files []*os.File
	for _, item := range strings.Split(list, ",") {
		if item == "" {
			continue
		}
		fd, err := strconv.Atoi(item)
		if err != nil || fd < 3 {
			for _, f := range files {
				f.Close()
			}
			return nil, errors.Errorf("nsexec: bad cgroup descriptor %q", item)
		}
		files = append(files, os.NewFile(uintptr(fd), "cgroup"))
	}
	return files, nil
}

func readExecConfig() (*spec.ExecConfig, error) {
	fd, err := strconv.Atoi(os.Getenv(spec.ExecConfigEnv))
	if err != nil {
		return nil, errors.New("nsexec: no config (it is started by mydocker exec)")
	}
	f := os.NewFile(uintptr(fd), "exec-config")
	defer f.Close()
	var cfg spec.ExecConfig
	if err := json.NewDecoder(f).Decode(&cfg); err != nil {
		return nil, errors.Wrap(err, "read exec config")
	}
	if err := spec.CheckBuild(cfg.Build); err != nil {
		return nil, err
	}
	if len(cfg.Args) == 0 {
		return nil, errors.New("exec: no command given")
	}
	return &cfg, nil
}
