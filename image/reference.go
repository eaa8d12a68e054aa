package image

import (
	"net/url"
	"strings"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// dockerHub is how Docker spells Docker Hub in stored and shown names;
// ggcr spells it index.docker.io.
const dockerHub = "docker.io"

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
//
// It is written out by hand rather than with go-containerregistry's name
// package, whose regular expressions (and go-digest's) were compiled at
// the start of every command: about a millisecond and 120 KB on the path
// of each run and exec. What it accepts is name.ParseReference's grammar
// with each repository path component held to Docker's rule (ggcr alone
// lets "a//b" and "-a" through); FuzzParseReferenceAgainstGGCR keeps the
// two the same.
func ParseReference(ref string) (Reference, error) {
	bad := errors.Errorf("invalid reference format: %q", ref)
	if ref == "" || strings.TrimSpace(ref) != ref ||
		strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		return Reference{}, bad
	}
	// A name with an '@' is a digest reference: exactly one '@', then a
	// digest. A tag before the '@' is checked and dropped, as Docker does.
	named, dig, isDigest := strings.Cut(ref, "@")
	if isDigest && (strings.Contains(dig, "@") || !validDigest(dig)) {
		return Reference{}, bad
	}
	out, ok := parseNamed(named)
	if !ok {
		return Reference{}, bad
	}
	if isDigest {
		out.Tag, out.Digest = "", dig
	}
	return out, nil
}

// parseNamed parses [registry[:port]/]repo[:tag].
func parseNamed(s string) (Reference, bool) {
	base, tag := s, "latest"
	// The last ':' starts a tag unless a '/' follows it (then it was a
	// registry's port).
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i+1:], "/") {
		base, tag = s[:i], s[i+1:]
		if !validTag(tag) {
			return Reference{}, false
		}
	}
	if base == "" {
		return Reference{}, false
	}
	// The first component names a registry only if it looks like a host:
	// localhost, or with a '.' or a port.
	registry, repo := "", base
	if first, rest, ok := strings.Cut(base, "/"); ok && (first == "localhost" || strings.ContainsAny(first, ".:")) {
		registry, repo = first, rest
	}
	if len(repo) > 255 || !validRegistry(registry) {
		return Reference{}, false
	}
	if registry == "" || registry == "index.docker.io" {
		registry = dockerHub
	}
	if registry == dockerHub && !strings.Contains(repo, "/") {
		repo = "library/" + repo
	}
	for _, c := range strings.Split(repo, "/") {
		if !validComponent(c) {
			return Reference{}, false
		}
	}
	return Reference{Registry: registry, Repository: repo, Tag: tag}, true
}

// validTag: 1 to 128 of [A-Za-z0-9_.-].
func validTag(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !isLowerAlnum(c) && !('A' <= c && c <= 'Z') && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validComponent is one path component of a repository, as Docker's
// reference grammar has it: [a-z0-9]+ runs joined by '.', '_', '__' or
// any number of '-'.
func validComponent(c string) bool {
	i := 0
	for {
		start := i
		for i < len(c) && isLowerAlnum(c[i]) {
			i++
		}
		if i == start {
			return false
		}
		if i == len(c) {
			return true
		}
		switch {
		case strings.HasPrefix(c[i:], "__"):
			i += 2
		case c[i] == '.' || c[i] == '_':
			i++
		case c[i] == '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// validRegistry: a URI authority as RFC 3986 has it, host[:port], which
// url.Parse must give back whole (no user info, no escapes).
func validRegistry(r string) bool {
	u, err := url.Parse("//" + r)
	return err == nil && u.Host == r
}

// validDigest: sha256, sha384 or sha512, then that many lowercase hex
// digits.
func validDigest(d string) bool {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return false
	}
	want := map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}[alg]
	return want != 0 && utils.IsLowerHex(hex, want, want)
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
