package tests

// play kube and generate kube end to end: the seed's Pod article (init
// containers, restartPolicy, imagePullPolicy) on the busybox image,
// Kubernetes' own decoder as the judge of what generate kube writes, and
// podman as the peer on both sides of the round trip.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// play runs `play kube -` with y on stdin and fails the test unless it
// exits with want.
func (e *env) play(want int, y string, args ...string) result {
	e.t.Helper()
	return e.runIn([]byte(y), want, append(append([]string{"play", "kube"}, args...), "-")...)
}

// down removes what y made when the test ends, whatever happened.
func (e *env) downAtEnd(y string) {
	e.t.Cleanup(func() {
		if r, err := e.exec([]byte(y), "play", "kube", "--down", "-"); err != nil || r.code != 0 {
			e.t.Errorf("play kube --down: %v %s", err, r.stderr)
		}
	})
}

// inspectField is one inspect template's value for container c.
func (e *env) inspectField(c, tmpl string) string {
	e.t.Helper()
	return e.ok("inspect", "--format", tmpl, c)
}

// exists reports whether mydocker knows a container by this name.
func (e *env) exists(c string) bool {
	r, err := e.exec(nil, "inspect", c)
	return err == nil && r.code == 0
}

// volumes lists the names of this root's volumes.
func (e *env) volumes() []string {
	e.t.Helper()
	return strings.Fields(e.ok("volume", "ls", "-q"))
}

// podExists reports whether a pod of this name exists.
func (e *env) podExists(name string) bool {
	r, err := e.exec(nil, "pod", "inspect", name)
	return err == nil && r.code == 0
}

// assertKubeGone checks that nothing of a played file is left: no
// container, no volume, no pod, no mount.
func (e *env) assertKubeGone(pods ...string) {
	e.t.Helper()
	e.assertNothingLeft()
	if v := e.volumes(); len(v) > 0 {
		e.t.Errorf("volumes left: %v", v)
	}
	for _, p := range pods {
		if e.podExists(p) {
			e.t.Errorf("pod %s left", p)
		}
	}
}

// TestKubePlayBadInput: every bad file or command line exits 125 with
// one line on stderr and makes nothing.
func TestKubePlayBadInput(t *testing.T) {
	e := newEnv(t)
	good := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, emptyDir: {}}]\n  containers: [{name: c, image: busybox}]\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"play", "kube"}, "", "exactly one FILE"},
		{[]string{"play", "kube", path, path}, "", "exactly one FILE"},
		{[]string{"play", "kube", filepath.Join(dir, "missing.yaml")}, "", "no such file"},
		{[]string{"play", "kube", "--down", filepath.Join(dir, "missing.yaml")}, "", "no such file"},
		{[]string{"play", "kube", "--down", "-"}, "kind: Pod\n", `kind "Pod" is not supported`},
		{[]string{"play", "kube", "--bogus", path}, "", "unknown flag --bogus"},
		{[]string{"play", "kube", "-"}, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", `kind "Service" is not supported`},
		{[]string{"play", "kube", "-"}, "a: [\n", "not YAML"},
		{[]string{"play", "kube", "-"}, "", "no Pod or Deployment"},
		{[]string{"play", "kube", "-"}, strings.Replace(good, "name: c,", "name: Bad_Name,", 1), "invalid name"},
		{[]string{"play", "kube", "-"}, strings.Replace(good, "spec:\n", "spec:\n  restartPolicy: Sometimes\n", 1), "invalid restartPolicy"},
		{[]string{"play", "kube", "-"}, strings.Replace(good, "image: busybox}", "image: busybox, imagePullPolicy: Often}", 1), "invalid imagePullPolicy"},
		{[]string{"play", "kube", "-"}, strings.Replace(good, "emptyDir: {}", "hostPath: {path: /nonexistent-kube-test, type: Directory}", 1), "does not exist"},
		{[]string{"play", "kube", "-"}, good + "---\n" + good, "defined twice"},
		{[]string{"generate", "kube"}, "", "requires at least one CONTAINER or POD"},
		{[]string{"generate", "kube", "no-such-thing"}, "", "no such container or pod: no-such-thing"},
	} {
		r := e.runIn([]byte(tc.stdin), 125, tc.args...)
		msg := strings.TrimSpace(r.stderr)
		if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: stderr %q, want one line with %q", tc.args, r.stderr, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, r.stdout)
		}
		e.assertKubeGone("p")
	}
}

// TestKubePullNeverMissingImage: imagePullPolicy Never with an image that
// is not here fails clearly before anything is made; IfNotPresent uses
// the image that is here (no registry is reachable: a pull would fail).
func TestKubePullNeverMissingImage(t *testing.T) {
	e := newEnv(t)
	y := `apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  volumes: [{name: v, emptyDir: {}}]
  containers:
  - {name: a, image: busybox, imagePullPolicy: IfNotPresent, args: [sleep, "1000"]}
  - {name: b, image: "localhost:1/not-here:1", imagePullPolicy: Never, args: [sleep, "1000"]}
`
	r := e.play(125, y)
	msg := strings.TrimSpace(r.stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "image localhost:1/not-here:1 is not here and its imagePullPolicy is Never") {
		t.Fatalf("stderr %q", r.stderr)
	}
	e.assertKubeGone("never")
}

// TestKubeSeedInitContainers is the seed's myapp-pod, its Service
// lookups replaced by files another container writes into the pod's
// emptyDir: the init containers run one at a time, in order, each to
// completion, and the app container starts only after both.
func TestKubeSeedInitContainers(t *testing.T) {
	e := newEnv(t)
	y := `apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app: myapp
spec:
  volumes: [{name: work, emptyDir: {}}]
  containers:
  - name: myapp-container
    image: busybox
    command: ['sh', '-c', 'echo The app is running! && echo app >> /work/order && sleep 3600']
    volumeMounts: [{name: work, mountPath: /work}]
  initContainers:
  - name: init-myservice
    image: busybox
    command: ['sh', '-c', 'until [ -f /work/myservice ]; do echo waiting for myservice; sleep 0.2; done; echo myservice >> /work/order']
    volumeMounts: [{name: work, mountPath: /work}]
  - name: init-mydb
    image: busybox
    command: ['sh', '-c', 'until [ -f /work/mydb ]; do echo waiting for mydb; sleep 0.2; done; echo mydb >> /work/order']
    volumeMounts: [{name: work, mountPath: /work}]
`
	e.downAtEnd(y)
	done := make(chan result, 1)
	go func() {
		r, _ := e.exec([]byte(y), "play", "kube", "-")
		done <- r
	}()
	// Until then play kube makes a volume, a pod (its infra container
	// starts) and a container: slow under an emulated VM.
	waitLong(t, "init-myservice to run", func() bool {
		return e.exists("myapp-pod-init-myservice") && e.inspectField("myapp-pod-init-myservice", "{{.State.Status}}") == "running"
	})
	if e.exists("myapp-pod-init-mydb") || e.exists("myapp-pod-myapp-container") {
		t.Fatal("the next container exists while the first init container runs")
	}
	// mydb "comes up" first: init-mydb must still wait its turn.
	e.ok("run", "--rm", "-v", "myapp-pod-work:/work", "busybox", "touch", "/work/mydb")
	e.ok("run", "--rm", "-v", "myapp-pod-work:/work", "busybox", "touch", "/work/myservice")
	var r result
	select {
	case r = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("play kube did not finish after the init containers' conditions were met")
	}
	if r.code != 0 {
		t.Fatalf("play kube: exit %d: %s", r.code, r.stderr)
	}
	// podman's words: the pod, its app container, a blank line.
	lines := strings.Split(r.stdout, "\n")
	if len(lines) != 6 || lines[0] != "Pod:" || lines[2] != "Container:" || lines[4] != "" || lines[5] != "" {
		t.Fatalf("output %q", r.stdout)
	}
	if id := e.inspectField("myapp-pod-myapp-container", "{{.Id}}"); id != lines[3] {
		t.Errorf("printed container %s, the app container is %s", lines[3], id)
	}
	waitLong(t, "the app to write", func() bool {
		out, _ := e.exec(nil, "exec", "myapp-pod-myapp-container", "cat", "/work/order")
		return strings.Contains(out.stdout, "app")
	})
	if got := e.ok("exec", "myapp-pod-myapp-container", "cat", "/work/order"); got != "myservice\nmydb\napp" {
		t.Errorf("order %q", got)
	}
	for _, c := range []string{"myapp-pod-init-myservice", "myapp-pod-init-mydb"} {
		if st := e.inspectField(c, "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 0" {
			t.Errorf("%s: %s", c, st)
		}
	}
	// init-myservice waited; init-mydb found its file there already.
	if !strings.Contains(e.ok("logs", "myapp-pod-init-myservice"), "waiting for myservice") {
		t.Error("init-myservice did not wait")
	}
	if got := e.inspectField("myapp-pod-myapp-container", "{{.Pod}}"); got != lines[1] {
		t.Errorf("app container's Pod %q, want %q", got, lines[1])
	}
	if got := e.inspectField("myapp-pod-myapp-container", "{{.HostConfig.RestartPolicy.Name}}"); got != "always" {
		t.Errorf("restart policy %q", got)
	}
}

// initRetryPod's init container fails until it has run three times.
const initRetryPod = `apiVersion: v1
kind: Pod
metadata: {name: retry}
spec:
  restartPolicy: %s
  volumes: [{name: w, emptyDir: {}}]
  initContainers:
  - name: flaky
    image: busybox
    command: ['sh', '-c', 'echo x >> /w/tries; [ $(wc -l < /w/tries) -ge 3 ]']
    volumeMounts: [{name: w, mountPath: /w}]
  containers:
  - name: app
    image: busybox
    command: ['sh', '-c', 'wc -l < /w/tries; sleep 3600']
    volumeMounts: [{name: w, mountPath: /w}]
`

// TestKubeInitRetry: a failing init container is started again under
// OnFailure and Always (Always acts as OnFailure for init containers),
// and fails the pod under Never: the app container never starts and the
// pod stays, failed, until --down.
func TestKubeInitRetry(t *testing.T) {
	for _, policy := range []string{"OnFailure", "Always"} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t)
			y := fmt.Sprintf(initRetryPod, policy)
			e.downAtEnd(y)
			e.play(0, y)
			waitLong(t, "the app's log", func() bool { out, _ := e.exec(nil, "logs", "retry-app"); return out.stdout != "" })
			if got := strings.TrimSpace(e.ok("logs", "retry-app")); got != "3" {
				t.Errorf("the app saw %q tries of the init container, want 3", got)
			}
		})
	}
	t.Run("Never", func(t *testing.T) {
		e := newEnv(t)
		y := fmt.Sprintf(initRetryPod, "Never")
		r := e.play(1, y)
		if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "init container retry-flaky exited with code 1 and restartPolicy is Never") {
			t.Errorf("stderr %q", r.stderr)
		}
		if e.exists("retry-app") {
			t.Error("the app container was made after its init container failed")
		}
		if st := e.inspectField("retry-flaky", "{{.State.Status}} {{.State.ExitCode}}"); st != "exited 1" {
			t.Errorf("init container %s", st)
		}
		if !e.podExists("retry") {
			t.Fatal("the failed pod is gone: Kubernetes keeps it")
		}
		e.play(0, y, "--down")
		e.assertKubeGone("retry")
	})
}

// TestKubeRestartPolicy is the seed's `sleep N; exit 3` container under
// each restartPolicy: Always and OnFailure restart it (RESTARTS grows),
// Never leaves it exited with 3; a container exiting 0 is restarted
// only under Always.
func TestKubeRestartPolicy(t *testing.T) {
	e := newEnv(t)
	var docs []string
	for _, p := range []struct{ name, policy, code string }{
		{"always", "Always", "3"}, {"onfailure", "OnFailure", "3"}, {"never", "Never", "3"},
		{"always-ok", "Always", "0"}, {"onfailure-ok", "OnFailure", "0"},
	} {
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  restartPolicy: %s
  containers:
  - name: busybox
    image: busybox
    args: [/bin/sh, -c, 'sleep 1; exit %s']
`, p.name, p.policy, p.code))
	}
	y := strings.Join(docs, "---\n")
	e.downAtEnd(y)
	e.play(0, y)
	restarts := func(c string) int {
		n, err := strconv.Atoi(e.inspectField(c, "{{.RestartCount}}"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []string{"always-busybox", "onfailure-busybox", "always-ok-busybox"} {
		waitLong(t, c+" to be restarted twice", func() bool { return restarts(c) >= 2 })
	}
	for _, c := range []string{"never-busybox", "onfailure-ok-busybox"} {
		want := "exited 3"
		if c == "onfailure-ok-busybox" {
			want = "exited 0"
		}
		waitLong(t, c+" to exit", func() bool { return e.inspectField(c, "{{.State.Status}} {{.State.ExitCode}}") == want })
		if n := restarts(c); n != 0 {
			t.Errorf("%s restarted %d times", c, n)
		}
	}
	for c, want := range map[string]string{"always-busybox": "always", "onfailure-busybox": "on-failure", "never-busybox": "no"} {
		if got := e.inspectField(c, "{{.HostConfig.RestartPolicy.Name}}"); got != want {
			t.Errorf("%s: --restart %q, want %q", c, got, want)
		}
	}
}

// TestKubeHostPortFromStdin plays a pod from stdin whose hostPort is
// reached on 127.0.0.1, serving a read-only hostPath volume, whose other
// container reaches the same server on localhost, and checks the
// unsupported fields are listed in one warning.
func TestKubeHostPortFromStdin(t *testing.T) {
	e := newEnv(t)
	www := filepath.Join(t.TempDir(), "www")
	port := freePort(t)
	y := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {note: x}
spec:
  hostname: ignored
  volumes: [{name: www, hostPath: {path: %s, type: DirectoryOrCreate}}]
  containers:
  - name: httpd
    image: busybox
    command: [httpd, -f, -p, "80", -h, /www]
    ports: [{containerPort: 80, hostPort: %d, name: http}]
    volumeMounts: [{name: www, mountPath: /www, readOnly: true}]
    env: [{name: GREETING, value: hello}, {name: WHO, value: "$(GREETING) world"}]
    workingDir: /www
    livenessProbe: {tcpSocket: {port: 80}}
  - name: sidecar
    image: busybox
    command: [sh, -c, 'until wget -qO- http://localhost/index.html; do sleep 0.2; done; sleep 3600']
`, www, port)
	e.downAtEnd(y)
	r := e.play(0, y)
	warn := strings.TrimSpace(r.stderr)
	if strings.Contains(warn, "\n") {
		t.Errorf("more than one line on stderr: %q", r.stderr)
	}
	for _, f := range []string{"metadata.annotations", "spec.hostname", "spec.containers[0].ports[0].name", "spec.containers[0].livenessProbe"} {
		if !strings.Contains(warn, f) {
			t.Errorf("warning %q does not list %s", warn, f)
		}
	}
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var body string
	waitLong(t, "the hostPort to answer", func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == 200
	})
	if body != "from the host\n" {
		t.Errorf("body %q", body)
	}
	// The pod's containers share its network: the sidecar reaches httpd
	// on localhost.
	waitLong(t, "the sidecar to fetch the page over localhost", func() bool {
		out, _ := e.exec(nil, "logs", "web-sidecar")
		return strings.Contains(out.stdout, "from the host")
	})
	if r := e.run(1, "exec", "web-httpd", "touch", "/www/x"); !strings.Contains(r.stderr, "Read-only") {
		t.Errorf("readOnly hostPath written: %q", r.stderr)
	}
	if got := e.ok("exec", "web-httpd", "sh", "-c", "echo $WHO $PWD"); got != "hello world /www" {
		t.Errorf("env and workdir %q", got)
	}
}

// TestKubeDeploymentDown: a Deployment's replicas are that many pods, and
// --down (from a file) removes them, their containers and volumes.
func TestKubeDeploymentDown(t *testing.T) {
	e := newEnv(t)
	y := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      volumes: [{name: cache, emptyDir: {}}]
      containers:
      - {name: c, image: busybox, args: [sleep, "3600"], volumeMounts: [{name: cache, mountPath: /cache}]}
`
	path := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	e.downAtEnd(y)
	out := e.ok("play", "kube", path)
	if n := strings.Count(out, "Pod:"); n != 2 {
		t.Errorf("%d pods printed: %q", n, out)
	}
	ids := strings.Fields(e.ok("pod", "ps", "-q", "--no-trunc"))
	for _, c := range []string{"web-pod-0-c", "web-pod-1-c"} {
		if st := e.inspectField(c, "{{.State.Status}}"); st != "running" {
			t.Errorf("%s %s", c, st)
		}
	}
	if v := e.volumes(); strings.Join(v, " ") != "web-pod-0-cache web-pod-1-cache" {
		t.Errorf("volumes %v", v)
	}
	out = e.ok("play", "kube", "--down", path)
	if !strings.HasPrefix(out, "Pods stopped:\n") || !strings.Contains(out, "\nPods removed:\n") || len(ids) != 2 ||
		!strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) {
		t.Errorf("--down printed %q (pods %v)", out, ids)
	}
	e.assertKubeGone("web-pod-0", "web-pod-1")
	// Again: nothing to remove is no error.
	e.ok("play", "kube", "--down", path)
}

// TestKubeKilledHalfWay: play kube killed with SIGKILL while an init
// container runs leaves a half-made pod; --down (or pod rm -f) removes
// all of it.
func TestKubeKilledHalfWay(t *testing.T) {
	for _, how := range []string{"down", "pod rm"} {
		t.Run(strings.ReplaceAll(how, " ", "-"), func(t *testing.T) {
			e := newEnv(t)
			y := `apiVersion: v1
kind: Pod
metadata: {name: half}
spec:
  volumes: [{name: w, emptyDir: {}}]
  initContainers:
  - {name: wait, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: w, mountPath: /w}]}
  containers:
  - {name: app, image: busybox, args: [sleep, "3600"]}
`
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.cmd(ctx, "play", "kube", "-")
			c.Stdin = strings.NewReader(y)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			waitLong(t, "the init container to run", func() bool {
				return e.exists("half-wait") && e.inspectField("half-wait", "{{.State.Status}}") == "running"
			})
			if err := c.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.Wait()
			e.noteState()
			if how == "down" {
				e.runIn([]byte(y), 0, "play", "kube", "--down", "-")
			} else {
				e.ok("pod", "rm", "-f", "half")
				e.ok("volume", "rm", "half-w")
			}
			e.assertKubeGone("half")
		})
	}
}

// waitLong is waitFor for what takes several mydocker commands, each
// slow under vmtest's emulated CPU: a safety net, not a timed assertion.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// decodeStrict decodes one generated Pod as the API server would: a
// field k8s.io/api does not know is an error.
func decodeStrict(t *testing.T, y string) *corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(y), &pod); err != nil {
		t.Fatalf("generated YAML does not decode strictly: %v\n%s", err, y)
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" || pod.Name == "" {
		t.Fatalf("generated %s/%s %q", pod.APIVersion, pod.Kind, pod.Name)
	}
	return &pod
}

// TestKubeGenerateRoundTrip: generate kube writes a Pod that Kubernetes'
// types decode strictly, and playing it gives the same pod back: the
// same YAML when generated again, from a container and from a played pod
// with an init container and an emptyDir.
func TestKubeGenerateRoundTrip(t *testing.T) {
	e := newEnv(t)
	data := t.TempDir()
	port := freePort(t)
	e.ok("run", "-d", "--name", "web", "-e", "GREETING=hi", "-w", "/tmp", "-m", "64m", "--cpus", "0.5",
		"--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD", "-l", "app=web", "-v", data+":/data:ro",
		"-p", fmt.Sprintf("%d:80", port), "--restart", "on-failure", "busybox", "sleep", "3600")
	first := e.ok("generate", "kube", "web")
	pod := decodeStrict(t, first)
	c := pod.Spec.Containers[0]
	if pod.Name != "web-pod" || c.Name != "web" || c.Image != "busybox" || strings.Join(c.Args, " ") != "sleep 3600" ||
		c.WorkingDir != "/tmp" || pod.Labels["app"] != "web" || pod.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("generated:\n%s", first)
	}
	if len(c.Env) != 1 || c.Env[0].Name != "GREETING" || c.Env[0].Value != "hi" {
		t.Errorf("env %v: want only what differs from the image", c.Env)
	}
	if m := c.Resources.Limits.Memory(); m.Value() != 64<<20 {
		t.Errorf("memory %v", m)
	}
	if cpu := c.Resources.Limits.Cpu(); cpu.MilliValue() != 500 {
		t.Errorf("cpu %v", cpu)
	}
	if len(c.Ports) != 1 || c.Ports[0].HostPort != int32(port) || c.Ports[0].ContainerPort != 80 {
		t.Errorf("ports %v", c.Ports)
	}
	if len(pod.Spec.Volumes) != 1 || pod.Spec.Volumes[0].HostPath == nil || pod.Spec.Volumes[0].HostPath.Path != data ||
		len(c.VolumeMounts) != 1 || !c.VolumeMounts[0].ReadOnly || c.VolumeMounts[0].MountPath != "/data" {
		t.Errorf("volumes %v mounts %v", pod.Spec.Volumes, c.VolumeMounts)
	}
	e.ok("rm", "-f", "web")
	e.downAtEnd(first)
	e.play(0, first)
	if again := e.ok("generate", "kube", "web-pod"); again != first {
		t.Errorf("played back and generated again:\n%s\nfirst:\n%s", again, first)
	}
	if got := e.ok("exec", "web-pod-web", "sh", "-c", "echo $GREETING $PWD"); got != "hi /tmp" {
		t.Errorf("played container: %q", got)
	}

	// A played pod with an init container and an emptyDir comes back
	// with both, and plays again into the same.
	y := `apiVersion: v1
kind: Pod
metadata:
  labels:
    app: two
  name: two
spec:
  containers:
  - args:
    - sleep
    - "3600"
    image: busybox
    name: app
    volumeMounts:
    - mountPath: /w
      name: w
  initContainers:
  - command:
    - touch
    args:
    - /w/ready
    image: busybox
    name: prep
    volumeMounts:
    - mountPath: /w
      name: w
  restartPolicy: Always
  volumes:
  - emptyDir: {}
    name: w
status: {}
`
	e.downAtEnd(y)
	e.play(0, y)
	gen := e.ok("generate", "kube", "two")
	if got, want := decodeStrict(t, gen), decodeStrict(t, y); !reflect.DeepEqual(got, want) {
		t.Errorf("generated:\n%s\nplayed:\n%s", gen, y)
	}
	e.play(0, y, "--down")
	e.play(0, gen)
	if got := e.ok("exec", "two-app", "ls", "/w"); got != "ready" {
		t.Errorf("the init container's file: %q", got)
	}
	if again := e.ok("generate", "kube", "two"); again != gen {
		t.Errorf("generated again:\n%s\nfirst:\n%s", again, gen)
	}
}

// TestKubePeerPodman: YAML that podman generate kube writes plays here
// (warnings for podman's own fields are allowed, the pod must run), and
// YAML written here plays in podman.
func TestKubePeerPodman(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	ref := p.load(archive)
	e.ok("tag", "busybox", ref)

	// mydocker -> podman.
	e.ok("run", "-d", "--name", "ours", "-e", "FROM=mydocker", "-w", "/tmp", ref, "sh", "-c", "echo $FROM in $PWD; sleep 3600")
	mine := e.ok("generate", "kube", "ours")
	decodeStrict(t, mine)
	yamlPath := filepath.Join(t.TempDir(), "ours.yaml")
	if err := os.WriteFile(yamlPath, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	// Made, not started: what is checked is how podman reads the YAML
	// (starting a podman pod's infra container fails in vmtest's guest).
	p.run("play", "kube", "--start=false", "--network", "none", yamlPath)
	t.Cleanup(func() {
		if _, errOut, err := p.exec("play", "kube", "--down", yamlPath); err != nil {
			t.Errorf("podman play kube --down: %v: %s", err, errOut)
		}
		waitFor(t, "podman's processes to exit", func() bool { return !processUses(p.dir) })
	})
	var made struct {
		WorkingDir string
		Cmd, Env   []string
	}
	if err := json.Unmarshal([]byte(p.run("inspect", "--format", "{{json .Config}}", "ours-pod-ours")), &made); err != nil {
		t.Fatal(err)
	}
	if made.WorkingDir != "/tmp" || strings.Join(made.Cmd, "|") != "sh|-c|echo $FROM in $PWD; sleep 3600" || !slices.Contains(made.Env, "FROM=mydocker") {
		t.Errorf("podman made the container as %+v", made)
	}

	// podman -> mydocker.
	p.run("run", "-d", "--name", "peer", "--network", "none", "--cgroup-parent", p.cgroupParent,
		"-e", "FROM=podman", "-w", "/tmp", ref, "sh", "-c", "echo $FROM in $PWD; sleep 3600")
	theirs := p.run("generate", "kube", "peer")
	p.run("rm", "-f", "-t", "0", "peer")
	e.downAtEnd(theirs)
	r := e.play(0, theirs)
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("more than one warning line: %q", r.stderr)
	}
	var played string
	for _, id := range e.containerIDs() {
		if name := e.inspectField(id, "{{.Name}}"); strings.HasSuffix(name, "-peer") {
			played = id
		}
	}
	if played == "" {
		t.Fatalf("no container named *-peer after playing podman's YAML:\n%s", theirs)
	}
	waitLong(t, "the played container's output", func() bool {
		out, _ := e.exec(nil, "logs", played)
		return strings.Contains(out.stdout, "podman in /tmp")
	})

}

// TestKubePullAlways: imagePullPolicy Always pulls the image through the
// image store (here from a registry on loopback) before the pod is made.
func TestKubePullAlways(t *testing.T) {
	e := newEnv(t)
	r := startRegistry(t, false)
	ref := pushPeerImage(t, r, "peers/kube:1")
	if res, _ := e.exec(nil, "image", "inspect", ref); res.code == 0 {
		t.Fatal("the image is here before play kube")
	}
	y := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: pulled}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: %q, imagePullPolicy: Always, command: [sh, -c, 'cat /data/hello; echo $PEERS']}
`, ref)
	e.downAtEnd(y)
	e.play(0, y)
	e.ok("image", "inspect", ref)
	waitLong(t, "the pulled image's container to exit", func() bool {
		return e.inspectField("pulled-c", "{{.State.Status}}") == "exited"
	})
	if got := e.ok("logs", "pulled-c"); got != strings.TrimSpace(peerHello)+"\nmulti" {
		t.Errorf("the container of the pulled image printed %q", got)
	}
}

// TestKubeLeavesOthersAlone: a pod or volume of the same name that play
// kube did not make is refused, not taken over, and --down leaves it.
func TestKubeLeavesOthersAlone(t *testing.T) {
	e := newEnv(t)
	y := `apiVersion: v1
kind: Pod
metadata: {name: mine}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers: [{name: c, image: busybox, args: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /data}]}]
`
	e.ok("volume", "create", "mine-data")
	e.ok("run", "--rm", "-v", "mine-data:/data", "busybox", "sh", "-c", "echo precious > /data/f")
	r := e.play(125, y)
	if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "volume mine-data already exists") {
		t.Errorf("stderr %q", r.stderr)
	}
	e.play(0, y, "--down")
	if got := e.ok("run", "--rm", "-v", "mine-data:/data", "busybox", "cat", "/data/f"); got != "precious" {
		t.Errorf("the user's volume holds %q", got)
	}
	e.ok("volume", "rm", "mine-data")

	// Played twice: the second is refused, the first pod runs on.
	e.downAtEnd(y)
	e.play(0, y)
	r = e.play(125, y)
	if msg := strings.TrimSpace(r.stderr); !strings.Contains(msg, "pod mine already exists") {
		t.Errorf("stderr %q", r.stderr)
	}
	if st := e.inspectField("mine-c", "{{.State.Status}}"); st != "running" {
		t.Errorf("the first pod's container is %s", st)
	}
	e.play(0, y, "--down")
	e.assertKubeGone("mine")
}

// play kube and generate kube run mydocker-kube from beside mydocker;
// without it they say so in one line, exit 125 and leave nothing.
func TestKubeCommandsNeedKubeProgram(t *testing.T) {
	e := newEnv(t)
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside")
	yaml := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(yaml, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sleep, \"1000\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"play", "kube", yaml}, {"generate", "kube", "web"}} {
		r := e.runWith(bin, args...)
		if r.code != 125 || !strings.Contains(r.stderr, "mydocker-kube is not beside") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v without mydocker-kube: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("left containers behind: %q", out)
	}
	// With it, the same command line works through it.
	e.ok("play", "kube", yaml)
	if out := e.ok("ps", "--format", "{{.Names}}"); !strings.Contains(out, "web") {
		t.Errorf("play kube through mydocker-kube made: %q", out)
	}
}
