package container

import (
	"strings"

	"github.com/pkg/errors"
)

// EventFilter is events --filter: values of one key are alternatives,
// different keys must all match, as Docker combines them.
type EventFilter map[string][]string

// eventFilterKeys are the keys events --filter takes, as Docker names them.
var eventFilterKeys = map[string]bool{"type": true, "event": true, "container": true, "image": true}

// ParseEventFilters reads --filter KEY=VALUE arguments.
func ParseEventFilters(args []string) (EventFilter, error) {
	f := EventFilter{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || v == "" {
			return nil, errors.Errorf("invalid --filter %q: want KEY=VALUE", a)
		}
		if !eventFilterKeys[k] {
			return nil, errors.Errorf("invalid --filter %q: KEY is one of type, event, container, image", a)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// Match reports whether ev passes the filter. container matches a name
// or an ID prefix, as a container reference does.
func (f EventFilter) Match(ev *Event) bool {
	for k, vals := range f {
		ok := false
		for _, v := range vals {
			switch k {
			case "type":
				ok = ev.Type == v
			case "event":
				ok = ev.Action == v
			case "container":
				ok = ev.Type == "container" && (ev.Actor.Attributes["name"] == v || strings.HasPrefix(ev.Actor.ID, v))
			case "image":
				ok = ev.Actor.Attributes["image"] == v
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
