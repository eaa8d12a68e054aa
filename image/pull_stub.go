package image

import (
	"io"

	"github.com/pkg/errors"
)

// PullOptions says how Pull fetches an image.
type PullOptions struct {
	Platform string    // os/arch[/variant]; empty: this machine's
	Insecure bool      // plain HTTP or an unverified certificate
	Quiet    bool      // no progress
	Out      io.Writer // where progress goes
}

// Pull is a stand-in until the registry client lands: it fails, so run
// --pull reports why in one line.
func (s *Store) Pull(ref string, o PullOptions) (*Image, error) {
	return nil, errors.Errorf("pull %s: pulling images is not supported by this build", ref)
}
