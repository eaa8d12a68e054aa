package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPrepareHostPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		path    string
		typ     corev1.HostPathType
		wantErr string
		made    os.FileMode // the type made, for *OrCreate on a missing path
	}{
		{dir, corev1.HostPathUnset, "", 0},
		{missing("a"), corev1.HostPathUnset, "", 0},
		{dir, corev1.HostPathDirectory, "", 0},
		{file, corev1.HostPathDirectory, "is not of type Directory", 0},
		{missing("b"), corev1.HostPathDirectory, "does not exist", 0},
		{filepath.Join(missing("c"), "deep"), corev1.HostPathDirectoryOrCreate, "", os.ModeDir},
		{file, corev1.HostPathDirectoryOrCreate, "is not of type DirectoryOrCreate", 0},
		{file, corev1.HostPathFile, "", 0},
		{dir, corev1.HostPathFile, "is not of type File", 0},
		{missing("d"), corev1.HostPathFile, "does not exist", 0},
		{missing("e"), corev1.HostPathFileOrCreate, "", 1},
		{"/dev/null", corev1.HostPathCharDev, "", 0},
		{file, corev1.HostPathSocket, "is not of type Socket", 0},
		{"/dev/null", corev1.HostPathBlockDev, "is not of type BlockDevice", 0},
	} {
		err := PrepareHostPath(tc.path, tc.typ)
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s %q: error %v, want %q", tc.path, tc.typ, err, tc.wantErr)
			continue
		}
		if tc.made != 0 {
			fi, err := os.Stat(tc.path)
			if err != nil || fi.IsDir() != (tc.made == os.ModeDir) {
				t.Errorf("%s %q: not made: %v", tc.path, tc.typ, err)
			}
		}
	}
	if _, err := os.Stat(missing("a")); !os.IsNotExist(err) {
		t.Error("an unset type made its path")
	}
}
