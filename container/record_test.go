package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRaw puts data as the record of a new directory named id.
func writeRaw(t testing.TB, s *Store, id string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(s.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.configPath(id), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func goodRecord(id string) Record {
	return Record{ID: id, Name: "web", Image: "busybox", Layers: []string{"/var/lib/mydocker/layers/abc"},
		Created: time.Now(), Config: Config{Cmd: []string{"sh"}}, State: State{Status: StatusCreated}}
}

// Load accepts only a record that describes its own directory's container.
func TestLoadRejectsForeignRecords(t *testing.T) {
	const dirID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const otherID = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	mutate := func(f func(*Record)) string {
		rec := goodRecord(dirID)
		f(&rec)
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, tc := range []struct{ name, data, err string }{
		{"good", mutate(func(*Record) {}), ""},
		{"null", "null", "Id"},
		{"empty object", "{}", "Id"},
		{"not JSON", "{", "unexpected end"},
		{"other ID", mutate(func(r *Record) { r.ID = otherID }), "not its directory's"},
		{"no name", mutate(func(r *Record) { r.Name = "" }), "Name"},
		{"bad name", mutate(func(r *Record) { r.Name = "../x" }), "Name"},
		{"no cmd", mutate(func(r *Record) { r.Config.Cmd = nil }), "Cmd"},
		{"no layers", mutate(func(r *Record) { r.Layers = nil }), "Layers"},
		{"relative layer", mutate(func(r *Record) { r.Layers = []string{"layers/abc"} }), "layer"},
		{"layer with options", mutate(func(r *Record) { r.Layers = []string{"/l,upperdir=/etc"} }), "layer"},
		{"layer with a colon", mutate(func(r *Record) { r.Layers = []string{"/a:/b"} }), "layer"},
		{"unclean layer", mutate(func(r *Record) { r.Layers = []string{"/a/../b"} }), "layer"},
		{"bad status", mutate(func(r *Record) { r.State.Status = "" }), "Status"},
		{"negative pid", mutate(func(r *Record) { r.State.Pid = -1 }), "pid"},
		{"negative monitor", mutate(func(r *Record) { r.State.MonitorPid = -1 }), "pid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(t.TempDir())
			writeRaw(t, s, dirID, []byte(tc.data))
			rec, err := s.Load(dirID)
			if tc.err == "" {
				if err != nil || rec.ID != dirID {
					t.Fatalf("Load = %+v, %v", rec, err)
				}
				return
			}
			var corrupt *CorruptError
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &corrupt) || corrupt.ID != dirID {
				t.Fatalf("Load = %+v, %v; want a CorruptError with %q", rec, err, tc.err)
			}
		})
	}
}

// FuzzDecodeRecord: whatever a record file holds, Load returns an error
// or a record of exactly its directory's container.
func FuzzDecodeRecord(f *testing.F) {
	const dirID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	good, _ := json.Marshal(goodRecord(dirID))
	for _, s := range []string{string(good), "null", "{}", `{"Id":""}`, `[]`, `{"Id":"` + dirID + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeRecord(dirID, data)
		if err != nil {
			return
		}
		if rec.ID != dirID || len(rec.Layers) == 0 || len(rec.Config.Cmd) == 0 {
			t.Fatalf("Load accepted %q as %+v", data, rec)
		}
		for _, l := range rec.Layers {
			if !filepath.IsAbs(l) || strings.ContainsAny(l, ",:") {
				t.Fatalf("Load accepted layer %q", l)
			}
		}
	})
}
func TestSecurityOptions(t *testing.T) {
	sec, err := (&Config{}).Security()
	if err != nil || !sec.Seccomp || !sec.MaskPaths || sec.Privileged {
		t.Fatalf("default security %+v %v", sec, err)
	}
	sec, err = (&Config{SecurityOpt: []string{"seccomp=unconfined"}}).Security()
	if err != nil || sec.Seccomp || !sec.MaskPaths {
		t.Fatalf("unconfined %+v %v", sec, err)
	}
	if _, err := (&Config{SecurityOpt: []string{"apparmor=x"}}).Security(); err == nil {
		t.Fatal("unknown security option accepted")
	}
	sec, err = (&Config{Privileged: true}).Security()
	if err != nil || sec.Seccomp || sec.MaskPaths || !sec.Privileged {
		t.Fatalf("privileged %+v %v", sec, err)
	}
}

// WarmRecordCodec builds json's tables by marshalling an empty Record: a
// field json cannot encode would make that fail, and the warm-up would
// then do nothing, unseen.
func TestEmptyRecordMarshals(t *testing.T) {
	data, err := json.Marshal(&Record{})
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
}
