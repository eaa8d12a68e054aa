package registry

import (
	"context"
	stderrors "errors"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/pkg/errors"
)

// ErrNotLoggedIn is Logout's answer when there was nothing to remove;
// Docker treats that as a note, not a failure.
var ErrNotLoggedIn = stderrors.New("not logged in")

// ErrUnauthorized is Login's answer when the registry refused the
// credentials.
var ErrUnauthorized = stderrors.New("unauthorized: incorrect username or password")

// Host turns what a user types for a registry into the host it names:
// "" and Docker Hub's aliases become index.docker.io; a URL
// ("https://localhost:5000/v2/", as Docker accepts) loses its scheme and
// path.
func Host(registry string) (string, error) {
	host := keyHost(strings.TrimSpace(registry))
	if host == "" {
		if strings.TrimSpace(registry) != "" {
			return "", errors.Errorf("invalid registry %q", registry)
		}
		return DockerHub, nil
	}
	if !validHost(host) {
		return "", errors.Errorf("invalid registry %q: not a host[:port]", registry)
	}
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil {
		return "", errors.Errorf("invalid registry %q: not a host[:port]", registry)
	}
	return host, nil
}

// validHost keeps to the characters of DNS names, IP addresses and ports:
// url.Parse lets through bytes no registry name has (and JSON would
// rewrite in the file).
func validHost(host string) bool {
	for _, r := range host {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune(".-_:[]", r):
		default:
			return false
		}
	}
	return true
}

// key is the "auths" key host's credentials are stored under.
func key(host string) string {
	if host == DockerHub {
		return DockerHubKey
	}
	return host
}

// Insecure says whether plain HTTP is allowed to registry without the
// user asking: only for the loopback addresses (localhost, 127.0.0.0/8,
// ::1), as Docker and Podman allow. Private addresses are not in the
// list, though ggcr would try them over HTTP: anyone on the network path
// could read the password there.
func Insecure(registry string) bool {
	host := keyHost(registry)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Transport is base (nil: http.DefaultTransport) refusing plain HTTP to
// registry unless insecure or Insecure(registry). ggcr falls back to HTTP
// on its own for RFC 1918 addresses; this keeps the rule Docker's.
func Transport(base http.RoundTripper, registry string, insecure bool) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if insecure || Insecure(registry) {
		return base
	}
	return httpsOnly{base}
}

type httpsOnly struct{ inner http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, errors.Errorf("plain HTTP to %s refused (--tls-verify=false allows it)", req.URL.Host)
	}
	return t.inner.RoundTrip(req)
}

// Login checks user and pass against registry's /v2/ endpoint, through
// whichever scheme it challenges with (a token service or basic auth),
// and stores them only if the registry accepts them. insecure allows
// plain HTTP to a registry Insecure does not already allow.
func Login(ctx context.Context, registry, user, pass string, insecure bool) error {
	return login(ctx, nil, registry, user, pass, insecure)
}

// login is Login over base, so tests can reach a registry under a name
// that is not loopback.
func login(ctx context.Context, base http.RoundTripper, registry, user, pass string, insecure bool) error {
	host, err := Host(registry)
	if err != nil {
		return err
	}
	if user == "" {
		return errors.New("login needs a username")
	}
	if err := verify(ctx, base, host, user, pass, insecure); err != nil {
		return errors.Wrapf(err, "login to %s", host)
	}
	return updateConfig(func(c *authConfig) (bool, error) {
		return true, c.set(key(host), user, pass)
	})
}

// verify asks host's /v2/ with the credentials. ggcr's transport does the
// challenge dance: for a token service it fetches a token with them
// (refused there if wrong); for basic auth it sends them to /v2/ itself.
func verify(ctx context.Context, base http.RoundTripper, host, user, pass string, insecure bool) error {
	var opts []name.Option
	if insecure || Insecure(host) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return errors.Wrap(err, "registry name")
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})
	rt, err := transport.NewWithContext(ctx, reg, auth, Transport(base, host, insecure), nil)
	if err != nil {
		return unauthorized(err)
	}
	// The URL's scheme is only a placeholder: ggcr's transport rewrites it
	// to the one the ping found working.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return errors.Wrap(err, "build request")
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return unauthorized(transport.CheckError(resp, http.StatusOK))
}

// unauthorized turns a 401 or 403 from the registry or its token service
// into ErrUnauthorized, the one line a user needs.
func unauthorized(err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return ErrUnauthorized
	}
	return err
}

// Logout removes registry's credentials from the file, under every
// spelling of its key; ErrNotLoggedIn when there were none.
// Credentials a credential helper keeps are not touched.
func Logout(registry string) error {
	host, err := Host(registry)
	if err != nil {
		return err
	}
	found := false
	err = updateConfig(func(c *authConfig) (bool, error) {
		found = c.remove(host)
		return found, nil
	})
	if err != nil {
		return err
	}
	if !found {
		return errors.Wrapf(ErrNotLoggedIn, "%s", host)
	}
	return nil
}
