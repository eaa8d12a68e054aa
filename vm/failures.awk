# The lines of each failed top-level test in a go test -v log whose tests
# ran one at a time, under a header naming it: the last 60 from its
# "=== RUN" to its "--- FAIL", then up to 60 that follow (a panic's
# message and goroutines come after the FAIL line). A test that never
# ended (a timeout's panic, a crash of the test process) gets its last 60.
after > 0 && !/^=== RUN   / { print; after--; next }
/^=== RUN   / && $3 !~ /\// { name = $3; n = 0; open = 1; after = 0 }
{ buf[n++ % 60] = $0 }
/^--- (PASS|SKIP): / && $3 == name { open = 0 }
/^--- FAIL: / && $3 == name {
	open = 0
	print "vmtest: the output of " name ":"
	last()
	after = 60
}
END {
	if (open) {
		print "vmtest: the output of " name " (it never ended):"
		last()
	}
}
function last(i) {
	for (i = (n > 60 ? n - 60 : 0); i < n; i++) print buf[i % 60]
}
