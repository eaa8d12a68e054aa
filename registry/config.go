// Package registry keeps the credentials mydocker uses for image
// registries, in the file Docker and Podman keep them in, and checks them
// against a registry before storing them.
//
// The file is shared with the user's other tools: only the entry for the
// registry at hand is ever changed, every other key and entry is written
// back byte for byte.
package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

const (
	// AuthFileEnv names a credentials file that overrides Docker's, as
	// Podman and skopeo read it.
	AuthFileEnv = "REGISTRY_AUTH_FILE"
	// ConfigDirEnv is Docker's client configuration directory.
	ConfigDirEnv = "DOCKER_CONFIG"

	// DockerHubKey is the key Docker has always stored Docker Hub's
	// credentials under, whatever name the user typed.
	DockerHubKey = "https://index.docker.io/v1/"
	// DockerHub is the host ggcr and the registry API address Docker Hub by.
	DockerHub = "index.docker.io"
)

// AuthFile is where credentials are read and stored: $REGISTRY_AUTH_FILE,
// else $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
func AuthFile() (string, error) {
	if p := os.Getenv(AuthFileEnv); p != "" {
		return p, nil
	}
	if d := os.Getenv(ConfigDirEnv); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.Wrap(err, "find the credentials file")
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

// authConfig is the file: every top-level key kept raw, so that what
// mydocker does not know (credsStore, proxies, plugins, ...) is written
// back untouched; "auths" decoded one level down for the same reason.
type authConfig struct {
	keys  map[string]json.RawMessage
	auths map[string]json.RawMessage
}

// authEntry is one registry's entry in "auths".
type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// parseConfig reads a credentials file. Empty input is an empty file, as
// a file the user just created with touch.
func parseConfig(data []byte) (*authConfig, error) {
	c := &authConfig{keys: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(data, &c.keys); err != nil {
		return nil, errors.Wrap(err, "not a JSON object")
	}
	if c.keys == nil { // the file was the JSON null
		c.keys = map[string]json.RawMessage{}
	}
	if raw, ok := c.keys["auths"]; ok {
		if err := json.Unmarshal(raw, &c.auths); err != nil {
			return nil, errors.Wrap(err, `"auths" is not a JSON object`)
		}
		if c.auths == nil {
			c.auths = map[string]json.RawMessage{}
		}
	}
	return c, nil
}

// marshal writes the file back, indented as Docker writes it.
func (c *authConfig) marshal() ([]byte, error) {
	keys := make(map[string]json.RawMessage, len(c.keys)+1)
	for k, v := range c.keys {
		keys[k] = v
	}
	auths, err := json.Marshal(c.auths)
	if err != nil {
		return nil, errors.Wrap(err, "encode auths")
	}
	keys["auths"] = auths
	data, err := json.MarshalIndent(keys, "", "\t")
	if err != nil {
		return nil, errors.Wrap(err, "encode credentials file")
	}
	return append(data, '\n'), nil
}

// Credentials are what a registry entry holds.
type Credentials struct {
	Username, Password string
	// IdentityToken is an OAuth refresh token some registries hand out
	// instead of keeping the password.
	IdentityToken string
	// RegistryToken is a bearer token sent as is.
	RegistryToken string
}

// set stores user and password for key, replacing the whole entry as
// Docker does (an old identity token must not outlive a new login).
func (c *authConfig) set(key, user, pass string) error {
	if strings.Contains(user, ":") {
		// base64(user:pass) could not be split back.
		return errors.Errorf("username %q contains a colon", user)
	}
	raw, err := json.Marshal(authEntry{Auth: encodeAuth(user, pass)})
	if err != nil {
		return errors.Wrap(err, "encode credentials")
	}
	c.auths[key] = raw
	return nil
}

// remove deletes every entry for host, under any spelling of its key
// ("localhost:5000", "http://localhost:5000/v2/"...), and says whether
// there was one.
func (c *authConfig) remove(host string) bool {
	found := false
	for k := range c.auths {
		if keyHost(k) == host {
			delete(c.auths, k)
			found = true
		}
	}
	return found
}

// lookup finds the credentials for host: the entry under its exact key
// first, then any entry whose key names the same host, as Docker's
// lookup does. ok is false when there is no entry or it holds nothing
// usable (an empty entry is how Docker marks credentials kept by a
// credential helper).
func (c *authConfig) lookup(host string) (cred Credentials, ok bool, err error) {
	keys := []string{host}
	if host == DockerHub {
		keys = []string{DockerHubKey}
	}
	for k := range c.auths {
		if k != keys[0] && keyHost(k) == host {
			keys = append(keys, k)
		}
	}
	// Map order is random: try the other spellings in a fixed order so
	// the same file always yields the same credentials.
	slices.Sort(keys[1:])
	for _, k := range keys {
		raw, present := c.auths[k]
		if !present {
			continue
		}
		var e authEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return Credentials{}, false, errors.Wrapf(err, "credentials for %s", k)
		}
		cred := Credentials{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
		if e.Auth != "" {
			cred.Username, cred.Password, err = decodeAuth(e.Auth)
			if err != nil {
				return Credentials{}, false, errors.Wrapf(err, "credentials for %s", k)
			}
		}
		if cred != (Credentials{}) {
			return cred, true, nil
		}
	}
	return Credentials{}, false, nil
}

// hostHelper is the credential helper (docker-credential-<name>) that
// credHelpers names for host, if any.
func (c *authConfig) hostHelper(host string) (string, error) {
	raw, ok := c.keys["credHelpers"]
	if !ok {
		return "", nil
	}
	var helpers map[string]string
	if err := json.Unmarshal(raw, &helpers); err != nil {
		return "", errors.Wrap(err, `"credHelpers" is not an object of strings`)
	}
	if host == DockerHub {
		return helpers[DockerHubKey], nil
	}
	return helpers[host], nil
}

// storeHelper is the credential helper credsStore names for every
// registry, if any.
func (c *authConfig) storeHelper() (string, error) {
	raw, ok := c.keys["credsStore"]
	if !ok {
		return "", nil
	}
	var h string
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", errors.Wrap(err, `"credsStore" is not a string`)
	}
	return h, nil
}

func encodeAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// decodeAuth splits base64(user:pass). Padding is optional: some tools
// write the raw encoding.
func decodeAuth(s string) (user, pass string, err error) {
	s = strings.TrimSpace(s)
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return "", "", errors.Wrap(err, `"auth" is not base64`)
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", "", errors.New(`"auth" is not base64 of user:password`)
	}
	return user, pass, nil
}

// keyHost is the registry host an "auths" key names: Docker's keys may be
// a bare host or a URL ("https://index.docker.io/v1/").
func keyHost(key string) string {
	h := key
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	h, _, _ = strings.Cut(h, "/")
	if isDockerHub(h) {
		return DockerHub
	}
	return h
}

func isDockerHub(host string) bool {
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return true
	}
	return false
}

// readConfig reads the file at path; a missing file is an empty one.
func readConfig(path string) (*authConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, errors.Wrap(err, "read credentials")
	}
	c, err := parseConfig(data)
	if err != nil {
		return nil, errors.Wrapf(err, "parse %s", path)
	}
	return c, nil
}

// updateConfig applies change to the credentials file and writes it back
// atomically with mode 0600 (it holds passwords), under an flock on its
// directory so two logins at once cannot lose each other's entry. A
// symlinked file (dotfiles) is updated where it points, not replaced by
// a regular file. change returning false leaves the file as it is.
func updateConfig(change func(*authConfig) (bool, error)) error {
	path, err := AuthFile()
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	} else if !os.IsNotExist(err) {
		return errors.Wrap(err, "resolve credentials file")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errors.Wrap(err, "create credentials directory")
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := readConfig(path)
	if err != nil {
		return err
	}
	changed, err := change(c)
	if err != nil || !changed {
		return err
	}
	data, err := c.marshal()
	if err != nil {
		return err
	}
	return errors.Wrap(utils.WriteFileAtomic(path, data, 0o600), "store credentials")
}

// lockDir takes an flock on dir itself: the file is replaced by rename,
// so a lock on it would not outlive a write, and a lock file would
// litter the user's ~/.docker.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, errors.Wrap(err, "open credentials directory")
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "lock %s", dir)
	}
	return func() { f.Close() }, nil // closing drops the flock
}
