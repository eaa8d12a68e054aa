//go:build !notransfer

package image

import (
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/pkg/errors"
)

// name converts to ggcr's reference for talking to a registry.
func (r Reference) name(insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(r.String(), opts...)
	return ref, errors.Wrapf(err, "reference %s", r)
}
