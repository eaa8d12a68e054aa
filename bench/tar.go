package main

import (
	"archive/tar"
	"io"
)

// copyTarWithExtra copies every entry of the tar src to dst and adds one
// regular file name of size bytes read from data.
func copyTarWithExtra(dst io.Writer, src io.Reader, name string, size int64, data io.Reader) error {
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, data, size); err != nil {
		return err
	}
	return tw.Close()
}
