# The lines of each failed top-level test in a go test -v log whose tests
# ran one at a time: those from its "=== RUN" to its "--- FAIL", the last
# 60 of them, under a header naming it.
/^=== RUN   / && $3 !~ /\// { name = $3; n = 0 }
{ buf[n++ % 60] = $0 }
/^--- FAIL: / && $3 == name {
	print "vmtest: the output of " name ":"
	for (i = (n > 60 ? n - 60 : 0); i < n; i++) print buf[i % 60]
}
