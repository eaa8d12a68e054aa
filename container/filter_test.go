package container

import (
	"strings"
	"testing"
	"time"

	"mydocker/container/spec"
)

func filterRec(name, id, status string, code int, labels map[string]string) *Record {
	rec := &Record{ID: id, Name: name, Config: Config{Labels: labels, Network: "net1",
		Volumes: []spec.Mount{{Source: "/src", Destination: "/dst"}}}}
	rec.State.Status = status
	rec.State.ExitCode = code
	if status != StatusCreated {
		rec.State.StartedAt = time.Unix(1000, 0)
	}
	return rec
}

func TestFilters(t *testing.T) {
	web := filterRec("web", "abc123", StatusRunning, 0, map[string]string{"tier": "front", "env": "prod"})
	db := filterRec("db", "abd456", StatusExited, 3, map[string]string{"tier": "back"})
	fresh := filterRec("fresh", "ffe789", StatusCreated, 0, nil)
	paused := filterRec("frozen", "0aa000", StatusRunning, 0, nil)
	paused.State.Paused = true
	all := []*Record{web, db, fresh, paused}
	for i, rec := range all {
		rec.Created = time.Unix(int64(100+i), 0)
	}
	created := map[string]time.Time{"db": db.Created, "fresh": fresh.Created}
	ancestor := func(ref string, rec *Record) bool { return ref == "img-of-"+rec.Name }
	tests := []struct {
		filters []string
		want    string // names that pass, in order
	}{
		{nil, "web db fresh frozen"},
		{[]string{"status=running"}, "web"}, // a paused container is "paused"
		{[]string{"status=paused"}, "frozen"},
		{[]string{"status=running", "status=exited"}, "web db"}, // one key: OR
		{[]string{"status=created"}, "fresh"},
		{[]string{"name=web"}, "web"},
		{[]string{"name=^/db$"}, "db"},         // as Docker keeps names
		{[]string{"name=^fr"}, "fresh frozen"}, // a regular expression
		{[]string{"name=e"}, "web fresh frozen"},
		{[]string{"id=ab"}, "web db"}, // a prefix
		{[]string{"id=abd", "id=ffe"}, "db fresh"},
		{[]string{"id=123"}, ""}, // not a prefix
		{[]string{"label=tier"}, "web db"},
		{[]string{"label=tier=front"}, "web"},
		{[]string{"label=tier", "label=env=prod"}, "web"}, // labels: AND
		{[]string{"label=tier=nope"}, ""},
		{[]string{"exited=3"}, "db"},
		{[]string{"exited=0"}, ""}, // never ran, or running: not exited
		{[]string{"exited=0", "exited=3"}, "db"},
		{[]string{"status=exited", "name=web"}, ""}, // keys: AND
		{[]string{"ancestor=img-of-db", "ancestor=img-of-web"}, "web db"},
		{[]string{"network=net1"}, "web db fresh frozen"},
		{[]string{"network=other"}, ""},
		{[]string{"volume=/dst"}, "web db fresh frozen"},
		{[]string{"volume=/src"}, "web db fresh frozen"},
		{[]string{"volume=/else"}, ""},
		{[]string{"STATUS=exited"}, "db"}, // keys in any case
		{[]string{"label=k=v=w"}, ""},
		{[]string{"before=fresh"}, "web db"},
		{[]string{"since=db"}, "fresh frozen"},
		{[]string{"since=db", "before=fresh"}, ""},
		{[]string{"before=unknown"}, ""},
	}
	for _, tt := range tests {
		f, err := ParseFilters(tt.filters)
		if err != nil {
			t.Errorf("ParseFilters(%q): %v", tt.filters, err)
			continue
		}
		var got []string
		for _, rec := range all {
			if f.Match(rec, MatchContext{IsAncestor: ancestor, Created: created}) {
				got = append(got, rec.Name)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("filters %q pass %q, want %q", tt.filters, got, tt.want)
		}
	}
}

func TestFiltersAll(t *testing.T) {
	for filters, want := range map[string]bool{"status=exited": true, "exited=0": false, "name=x": false, "": false} {
		var args []string
		if filters != "" {
			args = []string{filters}
		}
		f, err := ParseFilters(args)
		if err != nil || f.All() != want {
			t.Errorf("%q: All %v, %v; want %v", filters, f.All(), err, want)
		}
	}
}

func TestFiltersInvalid(t *testing.T) {
	for _, arg := range []string{
		"status", "=x", "status=up", "status=", "bogus=1", "name=[", "exited=x", "exited=",
		"label=", "label==v", "id=", "ancestor=", "network=", "volume=", "before=", "since=",
	} {
		_, err := ParseFilters([]string{arg})
		if err == nil || !strings.Contains(err.Error(), "invalid filter") || !strings.Contains(err.Error(), arg) {
			t.Errorf("ParseFilters(%q): %v, want an error naming it", arg, err)
		}
	}
}

// FuzzParseFilters: any --filter is accepted or refused with a one-line
// error naming it, and an accepted one can be matched.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"status=running", "name=^w.b$", "label=a=b", "exited=1", "id=ab", "bogus", "name=(", "ancestor=busybox:1"} {
		f.Add(s)
	}
	rec := filterRec("web", "abc", StatusExited, 1, map[string]string{"a": "b"})
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFilters([]string{s})
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		fl.Match(rec, MatchContext{IsAncestor: func(string, *Record) bool { return true }})
	})
}
