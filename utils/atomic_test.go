package utils

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// ReplaceFile makes the file, then replaces it (by exchange: see
// exchange) leaving nothing else in the directory, and a reader running
// meanwhile always finds the file whole: one of the versions written,
// never a missing or a torn file.
func TestReplaceFileReadersSeeWholeFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	versions := [][]byte{bytes.Repeat([]byte("a"), 5000), bytes.Repeat([]byte("b"), 100), bytes.Repeat([]byte("c"), 9000)}
	if err := ReplaceFile(path, versions[0], 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			ok := err == nil && (bytes.Equal(data, versions[0]) || bytes.Equal(data, versions[1]) || bytes.Equal(data, versions[2]))
			if !ok {
				bad = append(bad, fmt.Sprintf("%v, %d bytes %.10q", err, len(data), data))
				return
			}
		}
	}()
	for i := 1; i < 300; i++ {
		if err := ReplaceFile(path, versions[i%3], 0o640); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("a reader saw: %v", bad)
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(data, versions[299%3]) {
		t.Fatalf("final content %.10q, %v", data, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode: %v, %v", fi, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory holds %v (%v): want only the file", entries, err)
	}
}
