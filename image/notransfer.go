//go:build notransfer

package image

// mydocker is built without the code that moves images (tag notransfer):
// go-containerregistry's registry client, TLS, the compressors and the
// archive formats, whose package initialisation alone took half of every
// command's start. What needs it returns ErrNeedsTransfer, and the CLI
// runs the whole program in its place (transfer_program.go).

func (s *Store) importTar(name, path string, key *tarSource) error {
	return ErrNeedsTransfer
}
