package registry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

const testUser, testPass = "alice", "s3cret:pw"

// basicRegistry is ggcr's in-process registry behind basic auth.
func basicRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// tokenRegistry is ggcr's registry behind a token service, as Docker Hub
// and most hosted registries work: /v2/ challenges with Bearer, /token
// hands out a token for the right basic credentials only.
func tokenRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	var s *httptest.Server
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
				http.Error(w, `{"details":"incorrect username or password"}`, http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"token": "tok-123"}) //nolint:errcheck // test server
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.URL+`/token",service="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func hostOf(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

func resolve(t *testing.T, host string) *authn.AuthConfig {
	t.Helper()
	reg, err := name.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Keychain().Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(*testing.T) *httptest.Server
	}{
		{"basic", basicRegistry},
		{"token", tokenRegistry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.server(t)
			host := hostOf(s)
			p := authFile(t, `{"keep":"me"}`)

			err := Login(context.Background(), host, testUser, "wrong", false)
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("wrong password: %v, want unauthorized", err)
			}
			if data, _ := os.ReadFile(p); string(data) != `{"keep":"me"}` {
				t.Fatalf("a refused login changed the file: %s", data)
			}
			if cfg := resolve(t, host); cfg.Username != "" || cfg.Password != "" {
				t.Fatalf("credentials before login: %+v", cfg)
			}

			if err := Login(context.Background(), host, testUser, testPass, false); err != nil {
				t.Fatal(err)
			}
			if cfg := resolve(t, host); cfg.Username != testUser || cfg.Password != testPass {
				t.Fatalf("Keychain after login: %+v", cfg)
			}
			if m := readJSON(t, p); m["keep"] != "me" {
				t.Fatalf("file after login: %v", m)
			}

			if err := Logout(host); err != nil {
				t.Fatal(err)
			}
			if cfg := resolve(t, host); cfg.Username != "" {
				t.Fatalf("credentials after logout: %+v", cfg)
			}
			if err := Logout(host); !errors.Is(err, ErrNotLoggedIn) {
				t.Fatalf("second logout: %v, want not logged in", err)
			}
			if m := readJSON(t, p); m["keep"] != "me" {
				t.Fatalf("file after logout: %v", m)
			}
		})
	}
}

// redirect dials addr whatever host a request names, so a test registry
// on loopback can stand for one elsewhere.
func redirect(addr string) http.RoundTripper {
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// A registry that is not on loopback gets the password over HTTPS only,
// unless the user allows plain HTTP (--tls-verify=false): not even a
// private address, which ggcr itself would try over HTTP.
func TestLoginPlainHTTPNeedsInsecure(t *testing.T) {
	s := basicRegistry(t)
	for _, host := range []string{"registry.example:5000", "10.255.255.1:5000"} {
		t.Run(host, func(t *testing.T) {
			p := authFile(t, "")
			rt := redirect(hostOf(s))
			if err := login(context.Background(), rt, host, testUser, testPass, false); err == nil {
				t.Fatal("login over plain HTTP without --tls-verify=false succeeded")
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("a failed login wrote the file: %v", err)
			}
			if err := login(context.Background(), rt, host, testUser, testPass, true); err != nil {
				t.Fatalf("login with insecure: %v", err)
			}
			if cfg := resolve(t, host); cfg.Username != testUser {
				t.Fatalf("Keychain: %+v", cfg)
			}
		})
	}
}

func TestLoginNeedsUser(t *testing.T) {
	authFile(t, "")
	if err := Login(context.Background(), "localhost:1", "", "p", false); err == nil {
		t.Fatal("login without a username succeeded")
	}
	if err := Login(context.Background(), "localhost:1", "a:b", "p", false); err == nil {
		t.Fatal("login with a colon in the username succeeded")
	}
}

// The keychain asks a credential helper when the file names one, with
// Docker's protocol: the server on stdin, JSON on stdout.
func TestKeychainCredentialHelper(t *testing.T) {
	bin := t.TempDir()
	script := `#!/bin/sh
read server
[ "$1" = get ] || exit 1
case "$server" in
r:5000) echo '{"ServerURL":"r:5000","Username":"helper-user","Secret":"helper-pass"}' ;;
https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`
	if err := os.WriteFile(bin+"/docker-credential-fake", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	for _, tc := range []struct {
		name, file, host string
		want             authn.AuthConfig
	}{
		{"credHelpers", `{"credHelpers":{"r:5000":"fake"},"auths":{"r:5000":{"auth":"dTpw"}}}`, "r:5000", authn.AuthConfig{Username: "helper-user", Password: "helper-pass"}},
		{"credsStore", `{"credsStore":"fake","auths":{"r:5000":{}}}`, "r:5000", authn.AuthConfig{Username: "helper-user", Password: "helper-pass"}},
		{"file before credsStore", `{"credsStore":"fake","auths":{"r:5000":{"auth":"dTpw"}}}`, "r:5000", authn.AuthConfig{Username: "u", Password: "p"}},
		{"identity token", `{"credsStore":"fake"}`, "docker.io", authn.AuthConfig{IdentityToken: "refresh"}},
		{"not found", `{"credsStore":"fake"}`, "other:1", authn.AuthConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			authFile(t, tc.file)
			got := resolve(t, tc.host)
			got.Auth = ""
			if *got != tc.want {
				t.Fatalf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// A broken file is an error, not anonymous access that would end in a
// confusing "unauthorized" later.
func TestKeychainBrokenFile(t *testing.T) {
	authFile(t, `{"auths":`)
	reg, _ := name.NewRegistry("r:5000")
	if _, err := Keychain().Resolve(reg); err == nil || !strings.Contains(err.Error(), "auth.json") {
		t.Fatalf("Resolve = %v, want an error naming the file", err)
	}
}
