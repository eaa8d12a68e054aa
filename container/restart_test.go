package container

import (
	"os"
	"strings"
	"testing"
	"time"

	"mydocker/utils"
)

func TestParseRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want RestartPolicy
		err  string
	}{
		{"", RestartPolicy{Name: "no"}, ""},
		{"no", RestartPolicy{Name: "no"}, ""},
		{"always", RestartPolicy{Name: "always"}, ""},
		{"unless-stopped", RestartPolicy{Name: "unless-stopped"}, ""},
		{"on-failure", RestartPolicy{Name: "on-failure"}, ""},
		{"on-failure:0", RestartPolicy{Name: "on-failure"}, ""},
		{"on-failure:2", RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, ""},
		{"on-failure:007", RestartPolicy{Name: "on-failure", MaximumRetryCount: 7}, ""},
		{"on-failure:2147483647", RestartPolicy{Name: "on-failure", MaximumRetryCount: 2147483647}, ""},
		{"on-failure:2147483648", RestartPolicy{}, "too large"},
		{"on-failure:99999999999999999999", RestartPolicy{}, "too large"},
		{"on-failure:-1", RestartPolicy{}, "must be a number"},
		{"on-failure:+1", RestartPolicy{}, "must be a number"},
		{"on-failure:", RestartPolicy{}, "must be a number"},
		{"on-failure:1:2", RestartPolicy{}, "must be a number"},
		{"on-failure: 1", RestartPolicy{}, "must be a number"},
		{"always:3", RestartPolicy{}, "only with on-failure"},
		{"always:", RestartPolicy{}, "only with on-failure"},
		{"no:0", RestartPolicy{}, "only with on-failure"},
		{"unless-stopped:1", RestartPolicy{}, "only with on-failure"},
		{"bogus", RestartPolicy{}, "want no, on-failure[:N], always or unless-stopped"},
		{"Always", RestartPolicy{}, "want no"},
		{":3", RestartPolicy{}, "want no"},
		{" always", RestartPolicy{}, "want no"},
	} {
		got, err := ParseRestartPolicy(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "--restart") {
				t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseRestartPolicy(f *testing.F) {
	for _, s := range []string{"no", "always", "on-failure:3", "on-failure:-1", "unless-stopped", "always:3", ":", "on-failure:99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRestartPolicy(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error of more than one line: %q", s, err)
			}
			return
		}
		switch p.Name {
		case RestartNo, RestartAlways, RestartUnlessStopped:
			if p.MaximumRetryCount != 0 {
				t.Fatalf("%q: count %d with %s", s, p.MaximumRetryCount, p.Name)
			}
		case RestartOnFailure:
			if p.MaximumRetryCount < 0 || p.MaximumRetryCount > maxRetryCount {
				t.Fatalf("%q: count %d", s, p.MaximumRetryCount)
			}
		default:
			t.Fatalf("%q: policy %q accepted", s, p.Name)
		}
		// What is stored reads back the same.
		back := p.Name
		if p.MaximumRetryCount > 0 {
			back += ":" + itoa(p.MaximumRetryCount)
		}
		if q, err := ParseRestartPolicy(back); err != nil || q != p {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, p, back, q, err)
		}
	})
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestShouldRestart(t *testing.T) {
	for _, tc := range []struct {
		policy   string
		code     int
		restarts int
		stopped  bool
		want     bool
	}{
		{"no", 1, 0, false, false},
		{"", 1, 0, false, false},
		{"always", 0, 0, false, true},
		{"always", 3, 100, false, true},
		{"always", 137, 0, true, false}, // stop, kill: never in the loop
		{"unless-stopped", 0, 5, false, true},
		{"unless-stopped", 143, 0, true, false},
		{"on-failure", 0, 0, false, false},
		{"on-failure", 3, 0, false, true},
		{"on-failure", 3, 1000, false, true}, // no limit
		{"on-failure:2", 3, 0, false, true},
		{"on-failure:2", 3, 1, false, true},
		{"on-failure:2", 3, 2, false, false},
		{"on-failure:2", 0, 0, false, false},
		{"on-failure:2", 3, 0, true, false},
	} {
		p, err := ParseRestartPolicy(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ShouldRestart(tc.code, tc.restarts, tc.stopped); got != tc.want {
			t.Errorf("%s exit %d after %d restarts (stopped %v): %v, want %v", tc.policy, tc.code, tc.restarts, tc.stopped, got, tc.want)
		}
	}
}

func TestStartsAtBoot(t *testing.T) {
	for _, tc := range []struct {
		policy  string
		stopped bool
		want    bool
	}{
		{"always", false, true},
		{"always", true, true}, // Docker's daemon starts those too
		{"unless-stopped", false, true},
		{"unless-stopped", true, false},
		{"on-failure", false, false},
		{"on-failure:3", false, false},
		{"no", false, false},
	} {
		p, _ := ParseRestartPolicy(tc.policy)
		if got := p.StartsAtBoot(tc.stopped); got != tc.want {
			t.Errorf("%s stopped=%v: %v, want %v", tc.policy, tc.stopped, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	short, long := time.Second, 10*time.Second
	for _, tc := range []struct {
		name string
		runs []time.Duration
		want []time.Duration
	}{
		{"doubles from 100ms", []time.Duration{0, short, short, short, short},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms}},
		{"capped at a minute", []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 12800 * ms, 25600 * ms, 51200 * ms, time.Minute, time.Minute}},
		{"reset by a 10s run", []time.Duration{0, 0, 0, long, 0, long - ms},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 100 * ms, 200 * ms, 400 * ms}},
		{"reset from the cap", []time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, time.Hour, 0},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 12800 * ms, 25600 * ms, 51200 * ms, time.Minute, 100 * ms, 200 * ms}},
	} {
		var b Backoff
		for i, ran := range tc.runs {
			if got := b.Next(ran); got != tc.want[i] {
				t.Errorf("%s: restart %d after a run of %v: %v, want %v", tc.name, i+1, ran, got, tc.want[i])
			}
		}
	}
}

// decideRestart turns a recorded exit into a restart only for the
// record's own monitor, counting it and recording the delay.
func TestDecideRestart(t *testing.T) {
	self := os.Getpid()
	selfStart := utils.ProcStartTime(self)
	started := time.Now()
	mk := func(policy string, count int, stopped bool, monitor int) *Record {
		p, _ := ParseRestartPolicy(policy)
		return &Record{
			RestartCount: count,
			Config:       Config{RestartPolicy: p},
			State: State{Status: StatusExited, MonitorPid: monitor, MonitorStartTime: selfStart,
				StartedAt: started, FinishedAt: started.Add(time.Second), ManuallyStopped: stopped},
		}
	}
	for _, tc := range []struct {
		name          string
		rec           *Record
		code          int
		stopRequested bool
		again         bool
		count         int
		stoppedAfter  bool
	}{
		{"always restarts", mk("always", 0, false, self), 0, false, true, 1, false},
		{"counts on", mk("always", 4, false, self), 0, false, true, 5, false},
		{"no", mk("no", 0, false, self), 1, false, false, 0, false},
		{"stopped by the user", mk("always", 0, true, self), 143, false, false, 0, true},
		{"^C of a foreground run", mk("always", 0, false, self), 130, true, false, 0, true},
		{"on-failure:2 third failure", mk("on-failure:2", 2, false, self), 3, false, false, 2, false},
		{"on-failure:2 second failure", mk("on-failure:2", 1, false, self), 3, false, true, 2, false},
		{"another monitor's", mk("always", 0, false, self+1), 1, false, false, 0, false},
	} {
		var b Backoff
		d := decideRestart(tc.rec, &b, tc.code, tc.stopRequested)
		st := tc.rec.State
		if d.Again != tc.again || tc.rec.RestartCount != tc.count || st.Restarting != tc.again || st.ManuallyStopped != tc.stoppedAfter {
			t.Errorf("%s: decision %+v, count %d, restarting %v, stopped %v", tc.name, d, tc.rec.RestartCount, st.Restarting, st.ManuallyStopped)
		}
		if tc.again && (d.Delay != 100*time.Millisecond || st.RestartDelay != d.Delay) {
			t.Errorf("%s: delay %v, recorded %v", tc.name, d.Delay, st.RestartDelay)
		}
	}
}

func TestRestartingStatus(t *testing.T) {
	now := time.Now()
	rec := &Record{Config: Config{Cmd: []string{"sh"}}, State: State{Status: StatusExited, ExitCode: 3, Restarting: true,
		StartedAt: now.Add(-10 * time.Second), FinishedAt: now.Add(-5 * time.Second),
		MonitorPid: os.Getpid(), MonitorStartTime: utils.ProcStartTime(os.Getpid())}}
	if got := rec.StatusText(now); got != "Restarting (3) 5 seconds ago" {
		t.Errorf("status %q", got)
	}
	if got := rec.State.DisplayStatus(); got != StatusRestarting {
		t.Errorf("display status %q", got)
	}
	v := rec.Inspect("/w", "/l", nil)
	if !v.State.Restarting || !v.State.Running || v.State.Status != "restarting" {
		t.Errorf("inspect state %+v", v.State)
	}
	// Its monitor gone, nothing will restart it.
	rec.State.MonitorPid = 0
	rec.Reconcile()
	if rec.State.Restarting || rec.StatusText(now) != "Exited (3) 5 seconds ago" {
		t.Errorf("after its monitor died: %+v %q", rec.State, rec.StatusText(now))
	}
}
