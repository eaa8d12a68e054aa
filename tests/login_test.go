package tests

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/sys/unix"
)

const regUser, regPass = "alice", "pa ss:wörd"

// authRegistry is ggcr's in-process registry on loopback, behind basic
// auth for regUser/regPass; it returns its host:port.
func authRegistry(t *testing.T) string {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != regUser || p != regPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// credHome points HOME, and unless empty REGISTRY_AUTH_FILE, at temporary
// paths for mydocker and this test, never the real ones; it returns the
// temporary HOME.
func credHome(t *testing.T, authFile string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("REGISTRY_AUTH_FILE", authFile)
	return home
}

func readAuths(t *testing.T, path string) (map[string]any, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	auths, _ := m["auths"].(map[string]any)
	return m, auths
}

// oneLine checks a failure is the contract's one line on stderr and
// contains want.
func oneLine(t *testing.T, r result, want string) {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q, want one line with %q", r.stderr, want)
	}
}

// A wrong password is refused by the registry and stores nothing; the
// right one is stored, Docker's way, in $REGISTRY_AUTH_FILE with mode 0600
// and the file's other keys kept; logout removes just that entry, and a
// second logout is a note, not a failure.
func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	host := authRegistry(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	home := credHome(t, authFile)
	before := `{"proxies":{"default":{"httpProxy":"http://proxy:3128"}},"auths":{"quay.io":{"auth":"cTp3"}}}`
	if err := os.WriteFile(authFile, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}

	r := e.runIn([]byte("wrong\n"), 125, "login", "-u", regUser, "--password-stdin", host)
	oneLine(t, r, "unauthorized")
	if data, _ := os.ReadFile(authFile); string(data) != before {
		t.Fatalf("a refused login changed the file: %s", data)
	}

	r = e.runIn([]byte(regPass+"\n"), 0, "login", "-u", regUser, "--password-stdin", host)
	if r.stdout != "Login Succeeded\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	st, err := os.Stat(authFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v", st, err)
	}
	m, auths := readAuths(t, authFile)
	want := base64.StdEncoding.EncodeToString([]byte(regUser + ":" + regPass))
	if entry, _ := auths[host].(map[string]any); entry["auth"] != want {
		t.Fatalf("entry for %s: %v", host, auths[host])
	}
	if auths["quay.io"] == nil || m["proxies"] == nil {
		t.Fatalf("other keys lost: %v", m)
	}
	if _, err := os.Stat(filepath.Join(home, ".docker")); !os.IsNotExist(err) {
		t.Fatalf("~/.docker touched although REGISTRY_AUTH_FILE is set: %v", err)
	}

	// Logged in, login needs no password again: the stored one is tried
	// first, as Docker does, even without a terminal.
	r = e.run(0, "login", host)
	if r.stdout != "Authenticating with existing credentials... [Username: "+regUser+"]\nLogin Succeeded\n" {
		t.Fatalf("login with stored credentials: %q %q", r.stdout, r.stderr)
	}

	if out := e.ok("logout", host); out != "Removing login credentials for "+host {
		t.Fatalf("logout: %q", out)
	}
	m, auths = readAuths(t, authFile)
	if auths[host] != nil || auths["quay.io"] == nil || m["proxies"] == nil {
		t.Fatalf("after logout: %v", m)
	}
	if out := e.ok("logout", host); out != "Not logged in to "+host {
		t.Fatalf("second logout: %q", out)
	}
	if out := e.ok("logout"); out != "Not logged in to https://index.docker.io/v1/" {
		t.Fatalf("logout from Docker Hub: %q", out)
	}

	// Stored credentials the registry now refuses: without a terminal to
	// ask for new ones, that is the error.
	stale := `{"auths":{"` + host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(regUser+":old")) + `"}}}`
	if err := os.WriteFile(authFile, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	oneLine(t, e.run(125, "login", host), "unauthorized")
	if data, _ := os.ReadFile(authFile); string(data) != stale {
		t.Fatalf("a refused login changed the file: %s", data)
	}
}

// Without REGISTRY_AUTH_FILE the credentials go to $DOCKER_CONFIG, else
// to ~/.docker/config.json, as Docker keeps them.
func TestLoginDockerConfigLocations(t *testing.T) {
	e := newEnv(t)
	host := authRegistry(t)
	home := credHome(t, "")
	e.runIn([]byte(regPass), 0, "login", "-u", regUser, "--password-stdin", host)
	if _, auths := readAuths(t, filepath.Join(home, ".docker", "config.json")); auths[host] == nil {
		t.Fatalf("no entry in ~/.docker/config.json: %v", auths)
	}
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	e.runIn([]byte(regPass), 0, "login", "-u", regUser, "--password-stdin", host)
	if _, auths := readAuths(t, filepath.Join(dir, "config.json")); auths[host] == nil {
		t.Fatalf("no entry in $DOCKER_CONFIG/config.json: %v", auths)
	}
	// -p works too, with Docker's warning.
	r := e.run(0, "logout", host)
	r = e.run(0, "login", "-u", regUser, "-p", regPass, host)
	if !strings.Contains(r.stderr, "--password-stdin") || r.stdout != "Login Succeeded\n" {
		t.Fatalf("login -p: %q %q", r.stdout, r.stderr)
	}
}

// Without a terminal there is no prompt to answer: login fails at once
// with one line instead of waiting for input or sending an empty
// password, and stores nothing.
func TestLoginNoTerminalNoPrompt(t *testing.T) {
	e := newEnv(t)
	host := authRegistry(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	credHome(t, authFile)
	for _, args := range [][]string{
		{"login", host},
		{"login", "-u", regUser, host},
	} {
		r := e.runIn([]byte(regPass+"\n"), 125, args...)
		oneLine(t, r, "terminal")
	}
	r := e.run(125, "login", "bad host")
	oneLine(t, r, `invalid registry "bad host"`)
	r = e.run(125, "login", "--password-stdin", host)
	oneLine(t, r, "--username")
	r = e.runIn([]byte("\n"), 125, "login", "-u", regUser, "--password-stdin", host)
	oneLine(t, r, "no password")
	r = e.runIn([]byte(regPass), 125, "login", "-u", regUser, "-p", regPass, "--password-stdin", host)
	oneLine(t, r, "mutually exclusive")
	if _, err := os.Stat(authFile); !os.IsNotExist(err) {
		t.Fatalf("credentials stored: %v", err)
	}
}

// At a terminal login asks for the username and, without echo, the
// password: the password never appears on the screen.
func TestLoginPromptsWithoutEcho(t *testing.T) {
	e := newEnv(t)
	host := authRegistry(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	credHome(t, authFile)
	// Stale stored credentials are tried first, then the user is asked.
	stale := `{"auths":{"` + host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("bob:old")) + `"}}}`
	if err := os.WriteFile(authFile, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runInPtyFunc(t, e, func(master *os.File, shown func() string) {
		// The prompt on a line of its own, not "[Username: bob]" of the
		// stored credentials' attempt.
		waitFor(t, "username prompt", func() bool { return strings.Contains(shown(), "\nUsername: ") })
		if !strings.Contains(shown(), "Login did not succeed, error: ") {
			t.Errorf("stale credentials not tried first: %q", shown())
		}
		master.WriteString(regUser + "\n") //nolint:errcheck // the checks below fail if lost
		waitFor(t, "password prompt", func() bool { return strings.Contains(shown(), "Password: ") })
		master.WriteString(regPass + "\n") //nolint:errcheck // the checks below fail if lost
	}, "login", host)
	if code != 0 || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if strings.Contains(out, "ss:w") {
		t.Fatalf("the password was echoed: %q", out)
	}
	if _, auths := readAuths(t, authFile); auths[host] == nil {
		t.Fatalf("nothing stored: %v", auths)
	}
}

// A registry off loopback, even on a private address (which ggcr alone
// would try over HTTP), gets the password over HTTPS only unless the user
// says --tls-verify=false, as Docker and Podman. The registry is busybox
// httpd with basic auth in a container on a private network.
func TestLoginPlainHTTPNeedsTLSVerifyFalse(t *testing.T) {
	e := newEnv(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	credHome(t, authFile)
	netName, _ := e.createNetwork(24)
	script := `mkdir -p /www/v2 && echo '{}' > /www/v2/index.html && echo '/v2:` + regUser + `:pw' > /etc/httpd.conf && exec httpd -f -p 80 -h /www -c /etc/httpd.conf`
	id := e.ok("run", "-d", "--network", netName, "busybox", "sh", "-c", script)
	host := e.ip(id) + ":80"
	waitFor(t, "httpd", func() bool {
		resp, err := (&http.Client{Timeout: time.Second}).Get("http://" + host + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	})

	r := e.runIn([]byte("pw"), 125, "login", "-u", regUser, "--password-stdin", host)
	oneLine(t, r, host)
	if _, err := os.Stat(authFile); !os.IsNotExist(err) {
		t.Fatalf("credentials stored after a refused login: %v", err)
	}
	r = e.runIn([]byte("wrong"), 125, "login", "--tls-verify=false", "-u", regUser, "--password-stdin", host)
	oneLine(t, r, "unauthorized")
	e.runIn([]byte("pw"), 0, "login", "--tls-verify=false", "-u", regUser, "--password-stdin", host)
	if _, auths := readAuths(t, authFile); auths[host] == nil {
		t.Fatalf("nothing stored: %v", auths)
	}
	e.ok("rm", "-f", id)
}

// ^C at the password prompt exits as killed by SIGINT (130) and leaves
// the user's terminal echoing again, as it was.
func TestLoginInterruptRestoresEcho(t *testing.T) {
	e := newEnv(t)
	host := authRegistry(t)
	authFile := filepath.Join(t.TempDir(), "auth.json")
	credHome(t, authFile)
	_, code := runInPtyFunc(t, e, func(master *os.File, shown func() string) {
		waitFor(t, "password prompt", func() bool { return strings.Contains(shown(), "Password: ") })
		// The master's termios ioctls act on the terminal's (slave) side.
		if tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS); err != nil || tio.Lflag&unix.ECHO != 0 {
			t.Errorf("echo not off at the password prompt: %v", err)
		}
		master.WriteString("\x03") //nolint:errcheck // the checks below fail if lost
		waitFor(t, "echo back on", func() bool {
			tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
			return err == nil && tio.Lflag&unix.ECHO != 0
		})
	}, "login", "-u", regUser, host)
	if code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if _, err := os.Stat(authFile); !os.IsNotExist(err) {
		t.Fatalf("credentials stored: %v", err)
	}
}
