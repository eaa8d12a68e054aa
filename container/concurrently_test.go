package container

import (
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"mydocker/trace"
)

func TestConcurrently(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	for _, tc := range []struct {
		name   string
		a, b   error
		want   []error // reachable through errors.Is
		prefix string
	}{
		{"both work", nil, nil, nil, ""},
		{"a fails", errA, nil, []error{errA}, "a failed"},
		{"b fails", nil, errB, []error{errB}, "b failed"},
		{"both fail: a's first, b's kept", errA, errB, []error{errA, errB}, "a failed"},
	} {
		var ran atomic.Int32
		err := concurrently(func() error { ran.Add(1); return tc.a }, func() error { ran.Add(1); return tc.b })
		if ran.Load() != 2 {
			t.Errorf("%s: %d of the two ran", tc.name, ran.Load())
		}
		if len(tc.want) == 0 && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v does not hold %v", tc.name, err, w)
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), tc.prefix) {
			t.Errorf("%s: %q does not start with %q", tc.name, err, tc.prefix)
		}
	}
	// Both run at once: each waits for the other to have started.
	started := make(chan struct{}, 2)
	meet := func() error {
		started <- struct{}{}
		for len(started) < 2 {
		}
		return nil
	}
	if err := concurrently(meet, meet); err != nil {
		t.Fatal(err)
	}
	// With the trace on: a, then b, and not b once a failed.
	restore := trace.To(io.Discard)
	defer restore()
	var order []string
	err := concurrently(func() error { order = append(order, "a"); return errA }, func() error { order = append(order, "b"); return nil })
	if !errors.Is(err, errA) || strings.Join(order, ",") != "a" {
		t.Errorf("traced, a failing: %v, ran %v", err, order)
	}
	order = nil
	if err := concurrently(func() error { order = append(order, "a"); return nil }, func() error { order = append(order, "b"); return nil }); err != nil || strings.Join(order, ",") != "a,b" {
		t.Errorf("traced: %v, ran %v", err, order)
	}
}
