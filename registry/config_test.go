package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// authFile points AuthFile at a fresh temporary file for one test.
func authFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "auth.json")
	if content != "" {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(AuthFileEnv, p)
	t.Setenv(ConfigDirEnv, "")
	return p
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return m
}

func TestAuthFileLocation(t *testing.T) {
	for _, tc := range []struct {
		name, authFile, configDir, home, want string
	}{
		{"REGISTRY_AUTH_FILE first", "/a/auth.json", "/d", "/h", "/a/auth.json"},
		{"then DOCKER_CONFIG", "", "/d", "/h", "/d/config.json"},
		{"then HOME", "", "", "/h", "/h/.docker/config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(AuthFileEnv, tc.authFile)
			t.Setenv(ConfigDirEnv, tc.configDir)
			t.Setenv("HOME", tc.home)
			got, err := AuthFile()
			if err != nil || got != tc.want {
				t.Fatalf("AuthFile() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", DockerHub},
		{"docker.io", DockerHub},
		{"index.docker.io", DockerHub},
		{"registry-1.docker.io", DockerHub},
		{"https://index.docker.io/v1/", DockerHub},
		{"localhost:5000", "localhost:5000"},
		{"http://localhost:5000/v2/", "localhost:5000"},
		{"quay.io", "quay.io"},
		{"[::1]:5000", "[::1]:5000"},
		{"bad host", ""},
		{"https://", ""},
		{"a:b:c", ""},
	} {
		got, err := Host(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Host(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Host(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestInsecure(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"localhost", true},
		{"localhost:5000", true},
		{"LOCALHOST:5000", true},
		{"127.0.0.1:5000", true},
		{"127.8.9.10", true},
		{"[::1]:5000", true},
		{"::1", true},
		{"10.0.0.1:5000", false},
		{"192.168.1.1", false},
		{"localhost.example.com:5000", false},
		{"quay.io", false},
		{"", false},
	} {
		if got := Insecure(tc.in); got != tc.want {
			t.Errorf("Insecure(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Lookup reads every spelling Docker and Podman write.
func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name, file, host string
		want             Credentials
		ok               bool
	}{
		{"auth field", `{"auths":{"r:5000":{"auth":"dTpw"}}}`, "r:5000", Credentials{Username: "u", Password: "p"}, true},
		{"padded auth", `{"auths":{"r":{"auth":"dXNlcjpwYXNz"}}}`, "r", Credentials{Username: "user", Password: "pass"}, true},
		{"password with colon", `{"auths":{"r":{"auth":"dTpwOnE="}}}`, "r", Credentials{Username: "u", Password: "p:q"}, true},
		{"username and password", `{"auths":{"r":{"username":"u","password":"p"}}}`, "r", Credentials{Username: "u", Password: "p"}, true},
		{"identity token", `{"auths":{"r":{"identitytoken":"tok"}}}`, "r", Credentials{IdentityToken: "tok"}, true},
		{"URL key", `{"auths":{"https://r:5000/v2/":{"auth":"dTpw"}}}`, "r:5000", Credentials{Username: "u", Password: "p"}, true},
		{"docker hub key", `{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}`, DockerHub, Credentials{Username: "u", Password: "p"}, true},
		{"docker hub alias", `{"auths":{"docker.io":{"auth":"dTpw"}}}`, DockerHub, Credentials{Username: "u", Password: "p"}, true},
		{"other host", `{"auths":{"r:5000":{"auth":"dTpw"}}}`, "r:5001", Credentials{}, false},
		{"empty entry (a helper keeps it)", `{"auths":{"r":{}}}`, "r", Credentials{}, false},
		{"no auths", `{"credsStore":"x"}`, "r", Credentials{}, false},
		{"empty file", ``, "r", Credentials{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := c.lookup(tc.host)
			if err != nil || ok != tc.ok || got != tc.want {
				t.Fatalf("lookup(%q) = %+v, %v, %v; want %+v, %v", tc.host, got, ok, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, file := range []string{`[]`, `{"auths":[]}`, `{`, `"x"`} {
		if _, err := parseConfig([]byte(file)); err == nil {
			t.Errorf("parseConfig(%q) accepted", file)
		}
	}
	for _, file := range []string{`{"auths":{"r":{"auth":"!!!"}}}`, `{"auths":{"r":{"auth":"bm9jb2xvbg=="}}}`, `{"auths":{"r":7}}`} {
		c, err := parseConfig([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.lookup("r"); err == nil {
			t.Errorf("lookup in %q accepted", file)
		}
	}
}

// Storing one entry keeps every other key and entry of the file as it was,
// writes mode 0600 whatever the file had, and replaces the file by a
// rename (a new inode, no temp file left).
func TestStoreKeepsTheRest(t *testing.T) {
	for _, tc := range []struct {
		name, before, key string
	}{
		{"no file", "", "r:5000"},
		{"empty object", `{}`, "r:5000"},
		{"other keys", `{"credsStore":"", "proxies":{"default":{"httpProxy":"http://p:3128"}}, "psFormat":"table {{.ID}}", "auths":{"quay.io":{"auth":"cTp3","email":"e@x"}}}`, "r:5000"},
		{"replace entry", `{"auths":{"r:5000":{"auth":"b2xkOm9sZA==","identitytoken":"old"}},"x":1}`, "r:5000"},
		{"docker hub", `{"auths":{"quay.io":{"auth":"cTp3"}}}`, DockerHubKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := authFile(t, tc.before)
			var oldIno uint64
			if st, err := os.Stat(p); err == nil {
				oldIno = st.Sys().(*syscall.Stat_t).Ino
			}
			err := updateConfig(func(c *authConfig) (bool, error) { return true, c.set(tc.key, "user", "pass") })
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %o, want 600", st.Mode().Perm())
			}
			if oldIno != 0 && st.Sys().(*syscall.Stat_t).Ino == oldIno {
				t.Error("file rewritten in place, not replaced atomically")
			}
			entries, _ := os.ReadDir(filepath.Dir(p))
			if len(entries) != 1 {
				t.Errorf("files left beside the credentials: %v", entries)
			}
			after := readJSON(t, p)
			var before map[string]any
			if tc.before != "" {
				json.Unmarshal([]byte(tc.before), &before) //nolint:errcheck // valid by construction
			}
			for k, v := range before {
				if k == "auths" {
					continue
				}
				if fmt.Sprint(after[k]) != fmt.Sprint(v) {
					t.Errorf("key %q: %v, was %v", k, after[k], v)
				}
			}
			auths := after["auths"].(map[string]any)
			if old, ok := before["auths"].(map[string]any); ok {
				for k, v := range old {
					if k != tc.key && fmt.Sprint(auths[k]) != fmt.Sprint(v) {
						t.Errorf("entry %q: %v, was %v", k, auths[k], v)
					}
				}
			}
			if got := fmt.Sprint(auths[tc.key]); got != "map[auth:dXNlcjpwYXNz]" {
				t.Errorf("entry %q = %s", tc.key, got)
			}
		})
	}
}

// A symlinked credentials file (dotfiles) is updated where it points.
func TestStoreThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte(`{"x":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := authFile(t, "")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := updateConfig(func(c *authConfig) (bool, error) { return true, c.set("r", "u", "p") }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v %v", fi, err)
	}
	if m := readJSON(t, target); m["x"] != float64(1) || m["auths"] == nil {
		t.Fatalf("target = %v", m)
	}
}

// Logins at the same time each keep their entry: the read-modify-write is
// done under a lock.
func TestStoreConcurrent(t *testing.T) {
	p := authFile(t, `{"keep":true}`)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- updateConfig(func(c *authConfig) (bool, error) {
				return true, c.set(fmt.Sprintf("r%d:5000", i), "u", "p")
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	m := readJSON(t, p)
	if n := len(m["auths"].(map[string]any)); n != 20 || m["keep"] != true {
		t.Fatalf("%d entries, keep=%v", n, m["keep"])
	}
}

func TestRemoveEverySpelling(t *testing.T) {
	c, err := parseConfig([]byte(`{"auths":{"r:5000":{"auth":"dTpw"},"http://r:5000/v2/":{"auth":"dTpw"},"r:5001":{"auth":"dTpw"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.remove("r:5000") {
		t.Fatal("nothing removed")
	}
	if len(c.auths) != 1 || c.auths["r:5001"] == nil {
		t.Fatalf("left %v", c.auths)
	}
	if c.remove("r:5000") {
		t.Fatal("removed twice")
	}
}

// FuzzConfig: any file either fails to parse or survives a store: the
// stored credentials read back, and every other key and entry is kept.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `{"auths":null}`, `{"auths":{"r":{"auth":"dTpw"}}}`,
		`{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw","email":"x"}},"credsStore":"pass","credHelpers":{"gcr.io":"gcloud"}}`,
		`{"auths":{"r":{"username":"a","password":"b","identitytoken":"t"}}}`,
	} {
		f.Add([]byte(s), "r:5000", "user", "pa:ss")
	}
	f.Fuzz(func(t *testing.T, data []byte, host, user, pass string) {
		c, err := parseConfig(data)
		if err != nil {
			return
		}
		for k := range c.auths {
			c.lookup(keyHost(k)) //nolint:errcheck // must only not panic
		}
		c.hostHelper(host) //nolint:errcheck // must only not panic
		c.storeHelper()    //nolint:errcheck // must only not panic
		h, err := Host(host)
		if err != nil || user == "" || strings.Contains(user, ":") {
			return
		}
		before := map[string]string{}
		for k, v := range c.keys {
			before[k] = string(v)
		}
		if err := c.set(key(h), user, pass); err != nil {
			t.Fatal(err)
		}
		out, err := c.marshal()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := parseConfig(out)
		if err != nil {
			t.Fatalf("own output %q does not parse: %v", out, err)
		}
		cred, ok, err := c2.lookup(h)
		if err != nil || !ok || cred.Username != user || cred.Password != pass {
			t.Fatalf("stored %q/%q for %s, read back %+v %v %v", user, pass, h, cred, ok, err)
		}
		for k, v := range before {
			if k != "auths" && !jsonEqual(t, v, string(c2.keys[k])) {
				t.Fatalf("key %q changed: %s -> %s", k, v, c2.keys[k])
			}
		}
	})
}

func jsonEqual(t *testing.T, a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// FuzzHost: whatever the user types as REGISTRY, Host either refuses it or
// returns a host that is its own normal form and survives the round trip
// through an "auths" key.
func FuzzHost(f *testing.F) {
	for _, s := range []string{"", "docker.io", "https://index.docker.io/v1/", "localhost:5000", "http://[::1]:5000/v2/", "a b", "x://", "quay.io/org/repo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := Host(in)
		if err != nil {
			return
		}
		if h == "" || strings.ContainsAny(h, "/ ") {
			t.Fatalf("Host(%q) = %q", in, h)
		}
		if again, err := Host(h); err != nil || again != h {
			t.Fatalf("Host(%q) = %q, but Host(%q) = %q, %v", in, h, h, again, err)
		}
		if got := keyHost(key(h)); got != h {
			t.Fatalf("key %q for %q names %q", key(h), h, got)
		}
		Insecure(h)
	})
}
