package registry

import (
	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/pkg/errors"
)

// Keychain resolves a registry's credentials from AuthFile() each time it
// is asked, so a login in another terminal counts at once. ggcr's
// authn.DefaultKeychain is not used: it prefers ~/.docker/config.json to
// $REGISTRY_AUTH_FILE, the opposite of what Podman users set it for.
func Keychain() authn.Keychain { return keychain{} }

type keychain struct{}

// Resolve gives the credentials for target's registry, or Anonymous when
// there are none. A broken file is an error rather than anonymous access:
// a pull that then fails with "unauthorized" would hide the real cause.
func (keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	cred, ok, err := stored(keyHost(target.RegistryStr()))
	if err != nil || !ok {
		return authn.Anonymous, err
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      cred.Username,
		Password:      cred.Password,
		IdentityToken: cred.IdentityToken,
		RegistryToken: cred.RegistryToken,
	}), nil
}

// Stored gives the credentials kept for registry, as Keychain would
// use them; ok is false when there are none.
func Stored(registry string) (cred Credentials, ok bool, err error) {
	host, err := Host(registry)
	if err != nil {
		return Credentials{}, false, err
	}
	return stored(host)
}

func stored(host string) (Credentials, bool, error) {
	path, err := AuthFile()
	if err != nil {
		return Credentials{}, false, err
	}
	c, err := readConfig(path)
	if err != nil {
		return Credentials{}, false, err
	}
	cred, ok, err := c.resolve(host)
	if err != nil {
		return Credentials{}, false, errors.Wrapf(err, "credentials for %s in %s", host, path)
	}
	return cred, ok, nil
}

// resolve looks in the places Docker would: a credential helper named for
// this host first, then the file's own entry, then the default helper
// (credsStore). The file comes before credsStore because mydocker login
// always stores in the file: a credsStore set by Docker Desktop must not
// hide it.
func (c *authConfig) resolve(host string) (Credentials, bool, error) {
	helper, err := c.hostHelper(host)
	if err != nil || helper != "" {
		if err != nil {
			return Credentials{}, false, err
		}
		return fromHelper(helper, host)
	}
	cred, ok, err := c.lookup(host)
	if err != nil || ok {
		return cred, ok, err
	}
	helper, err = c.storeHelper()
	if err != nil || helper == "" {
		return Credentials{}, false, err
	}
	return fromHelper(helper, host)
}

// fromHelper asks docker-credential-<helper> for host's credentials with
// Docker's credential helper protocol; "not found" is no credentials.
func fromHelper(helper, host string) (Credentials, bool, error) {
	server := host
	if host == DockerHub {
		server = DockerHubKey
	}
	c, err := client.Get(client.NewShellProgramFunc("docker-credential-"+helper), server)
	if credentials.IsErrCredentialsNotFound(err) {
		return Credentials{}, false, nil
	}
	if err != nil {
		return Credentials{}, false, errors.Wrapf(err, "credential helper docker-credential-%s", helper)
	}
	// The protocol's way to return an identity token instead of a password.
	if c.Username == "<token>" {
		return Credentials{IdentityToken: c.Secret}, true, nil
	}
	return Credentials{Username: c.Username, Password: c.Secret}, c.Username != "" || c.Secret != "", nil
}
