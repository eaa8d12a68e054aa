package cgroups

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCanWeighBlkio(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  Mode
		files map[string]string // relative path: content
		want  bool
	}{
		{"v2 with io", V2, map[string]string{"cgroup.controllers": "cpu io memory pids"}, true},
		{"v2 without io", V2, map[string]string{"cgroup.controllers": "cpu memory pids"}, false},
		{"v1 cfq", V1, map[string]string{"blkio/blkio.weight": "500"}, true},
		{"v1 bfq", V1, map[string]string{"blkio/blkio.bfq.io_service_bytes": ""}, true},
		{"v1 no scheduler weights", V1, map[string]string{"blkio/blkio.throttle.read_bps_device": ""}, false},
		{"v1 without blkio", V1, map[string]string{"memory/memory.limit_in_bytes": ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mounts := map[string]string{}
			for rel, content := range tc.files {
				p := filepath.Join(root, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				if tc.mode == V2 {
					mounts[""] = root
				} else {
					mounts[filepath.Dir(rel)] = filepath.Dir(p)
				}
			}
			if got := canWeighBlkio(tc.mode, mounts); got != tc.want {
				t.Errorf("canWeighBlkio = %v, want %v", got, tc.want)
			}
		})
	}
}
