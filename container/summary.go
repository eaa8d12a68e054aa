package container

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"mydocker/format"
	"mydocker/utils"
)

// Summary is one container as ps shows it: its methods are the fields
// of Docker's ps templates ({{.ID}}, {{.Names}}, {{.Label "k"}}, ...).
type Summary struct {
	rec   *Record
	now   time.Time
	trunc bool // short IDs and commands, as ps without --no-trunc
}

// NewSummary describes rec as ps shows it at time now.
func NewSummary(rec *Record, now time.Time, trunc bool) *Summary {
	return &Summary{rec: rec, now: now, trunc: trunc}
}

// ID is the container ID, short unless --no-trunc.
func (s *Summary) ID() string {
	if s.trunc {
		return utils.ShortID(s.rec.ID)
	}
	return s.rec.ID
}

// Names is the container's name.
func (s *Summary) Names() string { return s.rec.Name }

// Image is the image as the user named it.
func (s *Summary) Image() string {
	img := s.rec.Image
	if s.trunc && strings.HasPrefix(img, "sha256:") {
		return utils.ShortID(strings.TrimPrefix(img, "sha256:"))
	}
	return img
}

// Command is the command line, quoted, and cut to 20 characters unless
// --no-trunc, as Docker shows it.
func (s *Summary) Command() string {
	cmd := strings.Join(s.rec.Config.Args(), " ")
	if s.trunc {
		cmd = format.Ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

// CreatedAt is when the container was created, in local time.
func (s *Summary) CreatedAt() string {
	return s.rec.Created.Local().Truncate(time.Second).Format("2006-01-02 15:04:05 -0700 MST")
}

// RunningFor is how long ago it was created: "5 minutes ago".
func (s *Summary) RunningFor() string { return HumanDuration(s.now.Sub(s.rec.Created)) + " ago" }

// Ports are the published ports while it runs: 0.0.0.0:8080->80/tcp.
func (s *Summary) Ports() string { return s.rec.PortsText() }

// State is created, running, paused or exited.
func (s *Summary) State() string { return s.rec.State.DisplayStatus() }

// Status is "Up 3 seconds", "Exited (0) 2 minutes ago", "Created".
func (s *Summary) Status() string { return s.rec.StatusText(s.now) }

// Labels are the labels as k=v, comma-separated, sorted.
func (s *Summary) Labels() string {
	var kv []string
	for k, v := range s.rec.Config.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// Label is the value of one label, "" if it has none.
func (s *Summary) Label(name string) string { return s.rec.Config.Labels[name] }

// Mounts are the mounted sources, comma-separated (cut to 15 characters
// unless --no-trunc, as Docker).
func (s *Summary) Mounts() string {
	var out []string
	for _, m := range s.rec.Config.Volumes {
		name := m.Source
		if s.trunc {
			name = format.Ellipsis(name, 15)
		}
		out = append(out, name)
	}
	return strings.Join(out, ",")
}

// LocalVolumes counts the volumes the container has.
func (s *Summary) LocalVolumes() string { return strconv.Itoa(len(s.rec.Config.Volumes)) }

// Networks are the networks it is on, comma-separated.
func (s *Summary) Networks() string { return strings.Join(s.rec.NetworkNames(), ",") }

// Pid is the first process's pid while it runs, 0 otherwise (the blog's
// PID column).
func (s *Summary) Pid() int {
	if s.rec.live() {
		return s.rec.State.Pid
	}
	return 0
}

// MarshalJSON is ps --format json's object: Docker's keys, plus Pid.
func (s *Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"Command": s.Command(), "CreatedAt": s.CreatedAt(), "ID": s.ID(), "Image": s.Image(),
		"Labels": s.Labels(), "LocalVolumes": s.LocalVolumes(), "Mounts": s.Mounts(), "Names": s.Names(),
		"Networks": s.Networks(), "Ports": s.Ports(), "RunningFor": s.RunningFor(), "State": s.State(),
		"Status": s.Status(), "Pid": s.Pid(),
	})
}

// SummaryHeader is the header row of ps --format "table ...": the same
// fields, each giving its column title as Docker prints it.
type SummaryHeader struct{}

func (SummaryHeader) ID() string           { return "CONTAINER ID" }
func (SummaryHeader) Names() string        { return "NAMES" }
func (SummaryHeader) Image() string        { return "IMAGE" }
func (SummaryHeader) Command() string      { return "COMMAND" }
func (SummaryHeader) CreatedAt() string    { return "CREATED AT" }
func (SummaryHeader) RunningFor() string   { return "CREATED" }
func (SummaryHeader) Ports() string        { return "PORTS" }
func (SummaryHeader) State() string        { return "STATE" }
func (SummaryHeader) Status() string       { return "STATUS" }
func (SummaryHeader) Labels() string       { return "LABELS" }
func (SummaryHeader) Label(string) string  { return "LABEL" }
func (SummaryHeader) Mounts() string       { return "MOUNTS" }
func (SummaryHeader) LocalVolumes() string { return "LOCAL VOLUMES" }
func (SummaryHeader) Networks() string     { return "NETWORKS" }
func (SummaryHeader) Pid() string          { return "PID" }
