//go:build !notransfer

package image

import (
	"context"
	"io"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/pkg/errors"

	"mydocker/progress"
	"mydocker/registry"
)

// PullOptions says where an image comes from and how the pull is shown.
type PullOptions struct {
	Platform string // os/arch[/variant]; the host's when empty
	Insecure bool   // plain HTTP and no TLS verification (--tls-verify=false)
	Quiet    bool   // print nothing but errors
	TTY      bool   // draw progress bars
	Out      io.Writer
	Keychain authn.Keychain // credentials; login's (registry.Keychain) when nil
}

// remoteOptions are how go-containerregistry talks to host: credentials,
// platform, and plain HTTP only where Docker allows it (loopback, or
// --tls-verify=false): ggcr alone would also use it for private addresses.
func (o *PullOptions) remoteOptions(ctx context.Context, host string) ([]remote.Option, error) {
	kc := o.Keychain
	if kc == nil {
		kc = registry.Keychain()
	}
	p, err := Platform(o.Platform)
	if err != nil {
		return nil, err
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc),
		remote.WithPlatform(p), remote.WithUserAgent("mydocker"), remote.WithJobs(parallelLayers),
		remote.WithTransport(registry.Transport(nil, host, o.Insecure))}, nil
}

// Platform parses --platform, defaulting to this machine's.
func Platform(s string) (v1.Platform, error) {
	if s == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, errors.Errorf("invalid --platform %q: want os/arch[/variant]", s)
	}
	return *p, nil
}

// Pull fetches ref from its registry into the store and returns it. A
// multi-platform index resolves to the requested platform; each layer is
// verified against its digest and diff ID before it is stored.
func (s *Store) Pull(ref string, o PullOptions) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	s.sweep()
	nref, err := r.name(o.Insecure)
	if err != nil {
		return nil, err
	}
	opts, err := o.remoteOptions(context.Background(), r.Registry)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(nref, opts...)
	if err != nil {
		return nil, registryError("pull", r, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, registryError("pull", r, err)
	}
	prog := progress.New(o.Out, o.TTY, o.Quiet)
	if last := ref[strings.LastIndex(ref, "/")+1:]; !strings.ContainsAny(last, ":@") {
		prog.Println("Using default tag: latest")
	}
	if r.Tag != "" {
		prog.Println("%s: Pulling from %s", r.Tag, strings.TrimPrefix(r.Repo(), dockerHub+"/"))
	} else {
		prog.Println("%s: Pulling from %s", r.Digest, strings.TrimPrefix(r.Repo(), dockerHub+"/"))
	}
	var names []Reference
	if r.Tag != "" {
		names = append(names, r)
	}
	e, err := s.importImage(img, importOptions{Names: names, RepoDigest: r.Repo() + "@" + desc.Digest.String(), Progress: prog, Verb: "Pull complete"})
	if err != nil {
		return nil, registryError("pull", r, err)
	}
	prog.Println("Digest: %s", desc.Digest)
	prog.Println("Status: Downloaded newer image for %s", r.Familiar())
	return s.imageFor(e, r.Familiar())
}

// registryError makes one line of what the registry or the transport said.
func registryError(verb string, r Reference, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case 401, 403:
			return errors.Errorf("%s %s: access denied (not logged in, or no such repository): %s", verb, r.Familiar(), oneLine(te.Error()))
		case 404:
			return errors.Errorf("%s %s: not found in %s", verb, r.Familiar(), r.Registry)
		}
	}
	return errors.Errorf("%s %s: %s", verb, r.Familiar(), oneLine(err.Error()))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
