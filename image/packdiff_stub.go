package image

import "io"

// PackDiff placeholder until the whiteout-aware packer lands.
func PackDiff(w io.Writer, upper string) error { return Pack(w, upper) }
