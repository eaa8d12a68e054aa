package container

import "testing"

func TestEventFilter(t *testing.T) {
	die := &Event{Type: "container", Action: "die", Actor: Actor{ID: "abc123", Attributes: map[string]string{"name": "web", "image": "busybox"}}}
	for _, tc := range []struct {
		args  []string
		ok    bool
		match bool
	}{
		{nil, true, true},
		{[]string{"event=die"}, true, true},
		{[]string{"event=start"}, true, false},
		{[]string{"event=start", "event=die"}, true, true},
		{[]string{"event=die", "container=web"}, true, true},
		{[]string{"event=die", "container=db"}, true, false},
		{[]string{"container=abc"}, true, true},
		{[]string{"container=bc"}, true, false},
		{[]string{"type=container", "image=busybox"}, true, true},
		{[]string{"type=image"}, true, false},
		{[]string{"bogus=1"}, false, false},
		{[]string{"event"}, false, false},
		{[]string{"event="}, false, false},
		{[]string{"=die"}, false, false},
	} {
		f, err := ParseEventFilters(tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("ParseEventFilters(%q) error %v, want ok=%v", tc.args, err, tc.ok)
			continue
		}
		if tc.ok && f.Match(die) != tc.match {
			t.Errorf("filter %q matches die: %v, want %v", tc.args, !tc.match, tc.match)
		}
	}
}

func FuzzParseEventFilters(f *testing.F) {
	for _, s := range []string{"event=die", "container=web", "type=container", "x", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseEventFilters([]string{s})
		if err != nil {
			return
		}
		if len(flt) != 1 {
			t.Fatalf("ParseEventFilters(%q) = %v: one argument, one key", s, flt)
		}
		for k, v := range flt {
			if !eventFilterKeys[k] || len(v) != 1 || v[0] == "" {
				t.Fatalf("ParseEventFilters(%q) = %v", s, flt)
			}
		}
		flt.Match(&Event{})
	})
}
