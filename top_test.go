package main

import "testing"

func TestFilterPs(t *testing.T) {
	ef := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 10:00 ?        00:00:01 /sbin/init\n" +
		"root         420       1  0 10:01 ?        00:00:00 sleep 1000\n" +
		"root         421     420  0 10:01 ?        00:00:00 sh -c echo 420\n"
	for _, tc := range []struct {
		name, out string
		pids      []int
		want      string
		ok        bool
	}{
		{"ef", ef, []int{420}, "UID          PID    PPID  C STIME TTY          TIME CMD\nroot         420       1  0 10:01 ?        00:00:00 sleep 1000\n", true},
		{"ef none", ef, []int{999}, "UID          PID    PPID  C STIME TTY          TIME CMD\n", true},
		// A pid only in another column (PPID, CMD) does not count.
		{"ef ppid", ef, []int{0}, "UID          PID    PPID  C STIME TTY          TIME CMD\n", true},
		{"o pid", "  PID COMMAND\n  420 sleep\n  421 sh\n", []int{421}, "  PID COMMAND\n  421 sh\n", true},
		{"pid last", "COMMAND PID\nsleep 420\n", []int{420}, "COMMAND PID\nsleep 420\n", true},
		{"no pid", "COMMAND\nsleep\n", []int{420}, "", false},
		{"empty", "", nil, "", false},
		{"short line", "  PID COMMAND\n\n  420 sleep\n", []int{420}, "  PID COMMAND\n  420 sleep\n", true},
	} {
		got, err := filterPs(tc.out, tc.pids)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: filterPs = %q, %v; want %q, ok=%v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}
