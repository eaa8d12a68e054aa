package container

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Filters are ps's --filter KEY=VALUE flags, by key. As Docker: values of
// one key are alternatives (status=running --filter status=paused), keys
// all have to match, and label values all have to match (a container
// carries many labels, and each label filter asks for one).
type Filters struct {
	values map[string][]string
	names  []*regexp.Regexp
	exited []int
}

// filterKeys are the keys ps understands.
var filterKeys = map[string]bool{
	"status": true, "name": true, "id": true, "label": true, "ancestor": true, "exited": true,
	"network": true, "volume": true, "before": true, "since": true,
}

// validStatus are the states a status filter may name, Docker's list:
// restarting, removing and dead never happen here but are not errors.
var validStatus = map[string]bool{
	"created": true, "restarting": true, "running": true, "removing": true,
	"paused": true, "exited": true, "dead": true,
}

// ParseFilters reads --filter flags.
func ParseFilters(args []string) (*Filters, error) {
	f := &Filters{values: map[string][]string{}}
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" {
			return nil, errors.Errorf("invalid filter %q: want KEY=VALUE", arg)
		}
		if !filterKeys[key] {
			return nil, errors.Errorf("invalid filter %q: unknown key %q (status, name, id, label, ancestor, exited, network, volume, before, since)", arg, key)
		}
		switch key {
		case "status":
			if !validStatus[value] {
				return nil, errors.Errorf("invalid filter %q: status is created, running, paused, exited, restarting, removing or dead", arg)
			}
		case "name":
			re, err := regexp.Compile(value)
			if err != nil {
				return nil, errors.Errorf("invalid filter %q: name is a regular expression: %v", arg, err)
			}
			f.names = append(f.names, re)
		case "exited":
			code, err := strconv.Atoi(value)
			if err != nil {
				return nil, errors.Errorf("invalid filter %q: exited is an exit code", arg)
			}
			f.exited = append(f.exited, code)
		case "label":
			if k, _, _ := strings.Cut(value, "="); strings.TrimSpace(k) == "" {
				return nil, errors.Errorf("invalid filter %q: label is KEY or KEY=VALUE", arg)
			}
		case "id", "ancestor", "network", "volume", "before", "since":
			if value == "" {
				return nil, errors.Errorf("invalid filter %q: empty %s", arg, key)
			}
		}
		f.values[key] = append(f.values[key], value)
	}
	return f, nil
}

// All reports whether the filters ask for stopped containers too: a
// status filter does, as in Docker (ps --filter status=exited needs no -a).
func (f *Filters) All() bool { return len(f.values["status"]) > 0 }

// Ancestors are the images the ancestor filters name.
func (f *Filters) Ancestors() []string { return f.values["ancestor"] }

// References are the containers before and since filters name.
func (f *Filters) References() []string {
	return append(append([]string{}, f.values["before"]...), f.values["since"]...)
}

// MatchContext is what matching needs from outside the record.
type MatchContext struct {
	// IsAncestor tells whether the image an ancestor filter names is
	// rec's image or one it was built on.
	IsAncestor func(ref string, rec *Record) bool
	// Created gives when each container a before or since filter
	// names was created.
	Created map[string]time.Time
}

// Match reports whether rec passes every filter.
func (f *Filters) Match(rec *Record, mc MatchContext) bool {
	oneOf := func(key string, ok func(v string) bool) bool {
		vs := f.values[key]
		if len(vs) == 0 {
			return true
		}
		for _, v := range vs {
			if ok(v) {
				return true
			}
		}
		return false
	}
	return oneOf("status", func(v string) bool { return rec.State.DisplayStatus() == v }) &&
		f.matchName(rec.Name) &&
		oneOf("id", func(v string) bool { return strings.HasPrefix(rec.ID, v) }) &&
		f.matchLabels(rec.Config.Labels) &&
		f.matchExited(rec) &&
		oneOf("ancestor", func(v string) bool { return mc.IsAncestor != nil && mc.IsAncestor(v, rec) }) &&
		f.matchCreated(rec, mc.Created) &&
		oneOf("network", func(v string) bool { return contains(rec.NetworkNames(), v) }) &&
		oneOf("volume", func(v string) bool {
			for _, m := range rec.Config.Volumes {
				if m.Source == v || m.Destination == v {
					return true
				}
			}
			return false
		})
}

// matchCreated passes containers created before every before= container
// and after every since= one, as Docker.
func (f *Filters) matchCreated(rec *Record, created map[string]time.Time) bool {
	for _, ref := range f.values["before"] {
		if t, ok := created[ref]; !ok || !rec.Created.Before(t) {
			return false
		}
	}
	for _, ref := range f.values["since"] {
		if t, ok := created[ref]; !ok || !rec.Created.After(t) {
			return false
		}
	}
	return true
}

// matchName matches each name filter, a regular expression, against the
// name as Docker keeps it ("/web") and as shown ("web").
func (f *Filters) matchName(name string) bool {
	if len(f.names) == 0 {
		return true
	}
	for _, re := range f.names {
		if re.MatchString(name) || re.MatchString("/"+name) {
			return true
		}
	}
	return false
}

// matchLabels requires every label filter: KEY has the label, KEY=VALUE
// has it with that value.
func (f *Filters) matchLabels(labels map[string]string) bool {
	for _, v := range f.values["label"] {
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != want {
			return false
		}
	}
	return true
}

// matchExited passes containers that ran and exited with one of the codes.
func (f *Filters) matchExited(rec *Record) bool {
	if len(f.exited) == 0 {
		return true
	}
	if rec.State.Status != StatusExited || rec.State.StartedAt.IsZero() {
		return false
	}
	for _, c := range f.exited {
		if c == rec.State.ExitCode {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Keys lists the filter keys given, sorted (for messages and tests).
func (f *Filters) Keys() []string {
	var keys []string
	for k := range f.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
