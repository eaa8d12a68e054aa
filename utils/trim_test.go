package utils

import (
	"os/exec"
	"testing"
)

// After TrimResident the process keeps working: code, read-only data and
// the relocated RELRO area (kept: it holds written pages) all still work,
// including starting a thread-creating child through libc paths.
func TestTrimResidentKeepsProcessWorking(t *testing.T) {
	TrimResident()
	TrimResident() // twice: idempotent
	done := make(chan int)
	for i := 0; i < 4; i++ {
		go func(i int) { done <- i * 2 }(i)
	}
	sum := 0
	for i := 0; i < 4; i++ {
		sum += <-done
	}
	if sum != 12 {
		t.Fatalf("sum %d", sum)
	}
	if out, err := exec.Command("true").CombinedOutput(); err != nil {
		t.Fatalf("exec after trim: %v %s", err, out)
	}
}
