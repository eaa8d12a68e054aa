package image

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/pkg/errors"

	"mydocker/utils"
)

// dockerHub is how Docker spells Docker Hub in stored and shown names;
// ggcr spells it index.docker.io.
const dockerHub = "docker.io"

// componentRE is one path component of a repository, as Docker's
// reference grammar has it (ggcr alone lets "a//b" and "-a" through).
var componentRE = utils.LazyRegexp(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// Reference is an image reference in Docker's canonical form:
// docker.io/library/busybox:latest, or repo@sha256:... for a digest.
type Reference struct {
	Registry   string // docker.io, localhost:5000
	Repository string // library/busybox
	Tag        string // "" for a digest reference
	Digest     string // "sha256:..." for a digest reference
}

// ParseReference parses ref as Docker does: [registry[:port]/]repo[:tag|@digest],
// docker.io/library implied for short names, latest for no tag.
func ParseReference(ref string) (Reference, error) {
	if ref == "" || strings.TrimSpace(ref) != ref {
		return Reference{}, errors.Errorf("invalid reference format: %q", ref)
	}
	r, err := name.ParseReference(ref, name.WithDefaultRegistry(dockerHub))
	if err != nil {
		return Reference{}, errors.Errorf("invalid reference format: %q", ref)
	}
	out := Reference{Registry: r.Context().RegistryStr(), Repository: r.Context().RepositoryStr()}
	for _, c := range strings.Split(out.Repository, "/") {
		if !componentRE().MatchString(c) {
			return Reference{}, errors.Errorf("invalid reference format: %q", ref)
		}
	}
	if out.Registry == name.DefaultRegistry {
		out.Registry = dockerHub
	}
	switch v := r.(type) {
	case name.Tag:
		out.Tag = v.TagStr()
	case name.Digest:
		out.Digest = v.DigestStr()
	}
	return out, nil
}

// Repo is registry/repository, the name a tag or digest belongs to.
func (r Reference) Repo() string { return r.Registry + "/" + r.Repository }

// String is the canonical form stored in the index.
func (r Reference) String() string {
	if r.Digest != "" {
		return r.Repo() + "@" + r.Digest
	}
	return r.Repo() + ":" + r.Tag
}

// FamiliarRepo is the repository as Docker shows it: busybox, not
// docker.io/library/busybox.
func (r Reference) FamiliarRepo() string {
	if r.Registry != dockerHub {
		return r.Repo()
	}
	return strings.TrimPrefix(r.Repository, "library/")
}

// Familiar is the reference as Docker shows it: busybox:latest.
func (r Reference) Familiar() string {
	if r.Digest != "" {
		return r.FamiliarRepo() + "@" + r.Digest
	}
	return r.FamiliarRepo() + ":" + r.Tag
}

// name converts to ggcr's reference for talking to a registry.
func (r Reference) name(insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(r.String(), opts...)
	return ref, errors.Wrapf(err, "reference %s", r)
}

// IsLocalRegistry reports whether registry is on this machine: Docker and
// Podman talk plain HTTP to those without being told.
func IsLocalRegistry(registry string) bool {
	host := registry
	if h, _, ok := strings.Cut(registry, ":"); ok && !strings.HasPrefix(registry, "[") {
		host = h
	}
	if strings.HasPrefix(registry, "[") {
		host = strings.SplitN(strings.TrimPrefix(registry, "["), "]", 2)[0]
	}
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
