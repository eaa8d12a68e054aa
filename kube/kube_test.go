package kube

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// seedPod is the seed article's Pod with init containers, on busybox.
const seedPod = `apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app: myapp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', 'until nslookup myservice; do echo waiting for myservice; sleep 2; done;']
  - name: init-mydb
    image: busybox:1.28
    command: ['sh', '-c', 'until nslookup mydb; do echo waiting for mydb; sleep 2; done;']
`

func mustDecode(t *testing.T, y string) []Object {
	t.Helper()
	objs, err := Decode(strings.NewReader(y))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		check func(t *testing.T, p *Plan)
	}{
		{"seed init containers", seedPod, func(t *testing.T, p *Plan) {
			pod := p.Pods[0]
			want := []string{"pod", "create", "--name", "myapp-pod", "-l", "app=myapp"}
			if !reflect.DeepEqual(pod.Create, want) {
				t.Errorf("create %q, want %q", pod.Create, want)
			}
			if len(pod.Init) != 2 || pod.Init[0].Name != "myapp-pod-init-myservice" || pod.Init[1].Name != "myapp-pod-init-mydb" {
				t.Fatalf("init %+v", pod.Init)
			}
			wantInit := []string{"create", "--label", LabelInit + "=true", "--pod", "myapp-pod", "--name", "myapp-pod-init-myservice",
				"--pull", "never", "--entrypoint", "sh", "busybox:1.28", "-c", "until nslookup myservice; do echo waiting for myservice; sleep 2; done;"}
			if !reflect.DeepEqual(pod.Init[0].Args, wantInit) {
				t.Errorf("init args %q\nwant %q", pod.Init[0].Args, wantInit)
			}
			wantApp := []string{"run", "--detach", "--restart", "always", "--pod", "myapp-pod", "--name", "myapp-pod-myapp-container",
				"--pull", "never", "--entrypoint", "sh", "busybox:1.28", "-c", "echo The app is running! && sleep 3600"}
			if !reflect.DeepEqual(pod.Containers[0].Args, wantApp) {
				t.Errorf("app args %q\nwant %q", pod.Containers[0].Args, wantApp)
			}
			if pod.RestartPolicy != corev1.RestartPolicyAlways {
				t.Errorf("restart policy %q", pod.RestartPolicy)
			}
			if want := []ImagePull{{"busybox:1.28", corev1.PullIfNotPresent}}; !reflect.DeepEqual(pod.Images, want) {
				t.Errorf("images %v", pod.Images)
			}
		}},
		{"every supported field", `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  restartPolicy: OnFailure
  volumes:
  - {name: data, emptyDir: {}}
  - name: conf
    hostPath: {path: /etc/web/, type: DirectoryOrCreate}
  containers:
  - name: srv
    image: busybox
    imagePullPolicy: Never
    args: [httpd, -f]
    env: [{name: A, value: "1"}, {name: B, value: "x=y"}]
    workingDir: /srv
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 53, hostPort: 5353, protocol: UDP, hostIP: 127.0.0.1}
    - {containerPort: 9000}
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    securityContext:
      privileged: true
      capabilities: {add: [NET_ADMIN], drop: [MKNOD]}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: conf, mountPath: /conf, readOnly: true}
`, func(t *testing.T, p *Plan) {
			pod := p.Pods[0]
			want := []string{"run", "--detach", "--restart", "on-failure", "--pod", "web", "--name", "web-srv",
				"--env", "A=1", "--env", "B=x=y", "--workdir", "/srv", "--memory", "67108864", "--cpus", "0.5",
				"--privileged", "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
				"--mount", "type=volume,source=web-data,target=/data", "--mount", "type=bind,source=/etc/web,target=/conf,readonly",
				"--pull", "never", "busybox", "httpd", "-f"}
			if !reflect.DeepEqual(pod.Containers[0].Args, want) {
				t.Errorf("args %q\nwant %q", pod.Containers[0].Args, want)
			}
			wantCreate := []string{"pod", "create", "--name", "web", "-p", "8080:80/tcp", "-p", "127.0.0.1:5353:53/udp"}
			if !reflect.DeepEqual(pod.Create, wantCreate) {
				t.Errorf("create %q, want %q", pod.Create, wantCreate)
			}
			if want := [][]string{{"volume", "create", "--label", LabelPod + "=web", "--label", LabelVolume + "=data", "web-data"}}; !reflect.DeepEqual(pod.Volumes, want) {
				t.Errorf("volumes %q", pod.Volumes)
			}
			if want := []HostPath{{"/etc/web", corev1.HostPathDirectoryOrCreate}}; !reflect.DeepEqual(pod.HostPaths, want) {
				t.Errorf("host paths %v", pod.HostPaths)
			}
			if want := []ImagePull{{"busybox", corev1.PullNever}}; !reflect.DeepEqual(pod.Images, want) {
				t.Errorf("images %v", pod.Images)
			}
		}},
		{"restart Never and command alone", `apiVersion: v1
kind: Pod
metadata: {name: foo}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: ['true']}
`, func(t *testing.T, p *Plan) {
			want := []string{"run", "--detach", "--restart", "no", "--pod", "foo", "--name", "foo-c", "--pull", "never", "--entrypoint", "true", "busybox"}
			if got := p.Pods[0].Containers[0].Args; !reflect.DeepEqual(got, want) {
				t.Errorf("args %q\nwant %q", got, want)
			}
		}},
		{"$(VAR) expansion", `apiVersion: v1
kind: Pod
metadata: {name: x}
spec:
  containers:
  - name: c
    image: busybox
    env: [{name: A, value: a}, {name: B, value: "$(A)b$(C)"}, {name: C, value: c}]
    command: [sh, -c, 'echo $(B) $$(A) $HOME']
    args: [$(C)]
`, func(t *testing.T, p *Plan) {
			want := []string{"run", "--detach", "--restart", "always", "--pod", "x", "--name", "x-c",
				"--env", "A=a", "--env", "B=ab$(C)", "--env", "C=c", "--pull", "never", "--entrypoint", "sh", "busybox",
				"-c", "echo ab$(C) $(A) $HOME", "c"}
			if got := p.Pods[0].Containers[0].Args; !reflect.DeepEqual(got, want) {
				t.Errorf("args %q\nwant %q", got, want)
			}
		}},
		{"deployment replicas", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {tier: front, app: old}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox, args: [sleep, "100"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  containers: [{name: c, image: busybox}]
`, func(t *testing.T, p *Plan) {
			var names []string
			for _, pod := range p.Pods {
				names = append(names, pod.Name)
			}
			if want := []string{"web-pod-0", "web-pod-1", "web-pod-2", "solo"}; !reflect.DeepEqual(names, want) {
				t.Errorf("pods %v", names)
			}
			want := []string{"pod", "create", "--name", "web-pod-1", "-l", "app=web", "-l", "tier=front"}
			if !reflect.DeepEqual(p.Pods[1].Create, want) {
				t.Errorf("create %q", p.Pods[1].Create)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(mustDecode(t, tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

func TestPlanRefuses(t *testing.T) {
	pod := func(spec string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec
	}
	for _, tc := range []struct{ yaml, want string }{
		{"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", `kind "Service" is not supported`},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: busybox}]}\n", "invalid metadata.name"},
		{"apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: busybox}]}\n", "metadata.name is required"},
		{pod("  containers: []\n"), "at least one container"},
		{pod("  containers: [{name: c}]\n"), "image is required"},
		{pod("  containers: [{name: C, image: busybox}]\n"), "invalid name"},
		{pod("  containers: [{name: c, image: busybox}, {name: c, image: busybox}]\n"), "used twice"},
		{pod("  restartPolicy: Sometimes\n  containers: [{name: c, image: busybox}]\n"), "invalid restartPolicy"},
		{pod("  containers: [{name: c, image: busybox, imagePullPolicy: Often}]\n"), "invalid imagePullPolicy"},
		{pod("  containers: [{name: c, image: busybox, volumeMounts: [{name: v, mountPath: /v}]}]\n"), `no volume named "v"`},
		{pod("  volumes: [{name: v, configMap: {name: x}}]\n  containers: [{name: c, image: busybox}]\n"), "only hostPath and emptyDir"},
		{pod("  volumes: [{name: v, hostPath: {path: rel}}]\n  containers: [{name: c, image: busybox}]\n"), "want an absolute path"},
		{pod("  volumes: [{name: v, hostPath: {path: /x, type: Weird}}]\n  containers: [{name: c, image: busybox}]\n"), "invalid hostPath.type"},
		{pod("  containers: [{name: c, image: busybox, ports: [{containerPort: 0, hostPort: 80}]}]\n"), "invalid containerPort"},
		{pod("  containers: [{name: c, image: busybox, ports: [{containerPort: 80, protocol: SCTP}]}]\n"), "protocol"},
		{pod("  containers: [{name: c, image: busybox, workingDir: rel}]\n"), "workingDir"},
		{pod("  containers: [{name: c, image: busybox, resources: {limits: {memory: 0}}}]\n"), "resources.limits.memory"},
		{pod("  containers: [{name: c, image: busybox, command: ['']}]\n"), "empty program name"},
		{pod("  containers: [{name: c, image: busybox, env: [{name: ''}]}]\n"), "invalid env name"},
		{pod("  containers: {name: c}\n"), "decode Pod"},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: z}}\n    spec: {containers: [{name: c, image: busybox}]}\n", "does not match"},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: -1\n  template: {spec: {containers: [{name: c, image: busybox}]}}\n", "invalid spec.replicas"},
		{pod("  containers: [{name: c, image: busybox}]\n") + "---\n" + pod("  containers: [{name: c, image: busybox}]\n"), "defined twice"},
		{"# nothing\n", "no Pod or Deployment"},
		{"- a\n- b\n", "not a YAML mapping"},
		{"a: [\n", "not YAML"},
	} {
		objs, err := Decode(strings.NewReader(tc.yaml))
		if err == nil {
			_, err = MakePlan(objs)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error of several lines: %q", tc.yaml, err)
		}
	}
}

func TestUnsupportedFields(t *testing.T) {
	objs := mustDecode(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations: {a: b}
  labels: {x: 'y'}
spec:
  hostname: h
  nodeSelector: {}
  volumes: [{name: v, emptyDir: {medium: Memory}}]
  containers:
  - name: c
    image: busybox
    livenessProbe: {exec: {command: ['true']}}
    resources: {requests: {cpu: 1}, limits: {cpu: 1}}
    env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    comand: [typo]
    ports: [{containerPort: 80, name: http}]
    securityContext: {runAsUser: 0, privileged: false}
status: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  strategy: {type: Recreate}
  template:
    spec: {containers: [{name: c, image: busybox, tty: true}]}
`)
	want := []string{"metadata.annotations", "spec.containers[0].comand", "spec.containers[0].env[0].valueFrom",
		"spec.containers[0].livenessProbe", "spec.containers[0].ports[0].name", "spec.containers[0].resources.requests",
		"spec.containers[0].securityContext.runAsUser", "spec.hostname", "spec.volumes[0].emptyDir.medium"}
	if !reflect.DeepEqual(objs[0].Unsupported, want) {
		t.Errorf("unsupported\n%q\nwant\n%q", objs[0].Unsupported, want)
	}
	if want := []string{"spec.strategy", "spec.template.spec.containers[0].tty"}; !reflect.DeepEqual(objs[1].Unsupported, want) {
		t.Errorf("deployment unsupported %q", objs[1].Unsupported)
	}
	w := Warning(objs)
	if strings.Contains(w, "\n") || !strings.Contains(w, "Pod p: metadata.annotations") || !strings.Contains(w, "; Deployment d: spec.strategy") {
		t.Errorf("warning %q", w)
	}
	if w := Warning(mustDecode(t, seedPod)); w != "" {
		t.Errorf("the seed's pod warns: %q", w)
	}
}

// fakeExec records the commands and answers from a script.
type fakeExec struct {
	calls   []string
	fail    map[string]error // command prefix -> error
	exits   map[string][]int // attached container -> exit codes, in turn
	slept   []time.Duration
	present map[string]bool
	labels  map[string]string // volume -> its LabelPod
}

func (f *fakeExec) Mydocker(args ...string) (string, error) {
	cmd := strings.Join(args, " ")
	f.calls = append(f.calls, cmd)
	for prefix, err := range f.fail {
		if strings.HasPrefix(cmd, prefix) {
			return "", err
		}
	}
	if args[0] == "pull" {
		f.present[args[1]] = true
	}
	if args[1] == "inspect" {
		if !f.present[args[len(args)-1]] {
			return "", errors.New("no such " + args[0])
		}
		if args[0] == "volume" {
			return f.labels[args[len(args)-1]] + "\n", nil
		}
	}
	return "id-of-" + args[len(args)-1] + "\n", nil
}

func (f *fakeExec) Attached(args ...string) (int, error) {
	f.calls = append(f.calls, strings.Join(args, " "))
	name := args[len(args)-1]
	codes := f.exits[name]
	if len(codes) == 0 {
		return 0, nil
	}
	f.exits[name] = codes[1:]
	return codes[0], nil
}

func (f *fakeExec) HostPath(p string, typ corev1.HostPathType) error {
	f.calls = append(f.calls, "hostpath "+p+" "+string(typ))
	return f.fail["hostpath"]
}

func (f *fakeExec) Sleep(d time.Duration) { f.slept = append(f.slept, d) }

const initPod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  restartPolicy: %s
  volumes: [{name: v, emptyDir: {}}, {name: h, hostPath: {path: /h}}]
  initContainers:
  - {name: i1, image: busybox, imagePullPolicy: Always}
  - {name: i2, image: busybox}
  containers:
  - {name: a, image: busybox}
  - {name: b, image: other, imagePullPolicy: Never}
`

func planOf(t *testing.T, y string) *Plan {
	t.Helper()
	p, err := MakePlan(mustDecode(t, y))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func short(calls []string) []string {
	var out []string
	for _, c := range calls {
		f := strings.Fields(c)
		if len(f) > 2 {
			f = f[:2]
		}
		out = append(out, strings.Join(f, " ")+" "+c[strings.LastIndex(c, " ")+1:])
	}
	return out
}

func TestPlayOrderAndInitRetry(t *testing.T) {
	for _, tc := range []struct {
		policy string
		exits  []int
		sleeps []time.Duration
		failed bool
	}{
		{"Always", []int{1, 2, 1, 0}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, false},
		{"OnFailure", []int{3, 0}, []time.Duration{time.Second}, false},
		{"Never", []int{3}, nil, true},
		{"Never", nil, nil, false},
	} {
		f := &fakeExec{exits: map[string][]int{"p-i1": tc.exits}, present: map[string]bool{"other": true}}
		res, err := Play(planOf(t, strings.Replace(initPod, "%s", tc.policy, 1)), f)
		if err != nil {
			t.Fatalf("%s: %v", tc.policy, err)
		}
		if !reflect.DeepEqual(f.slept, tc.sleeps) {
			t.Errorf("%s: back-off %v, want %v", tc.policy, f.slept, tc.sleeps)
		}
		want := []string{"pull busybox busybox", "image inspect busybox", "image inspect other",
			"pod inspect p", "volume inspect p-v", "hostpath /h ", "volume create p-v", "pod create p", "create --label busybox"}
		for range max(len(tc.exits), 1) {
			want = append(want, "start --attach p-i1")
		}
		if !tc.failed {
			want = append(want, "create --label busybox", "start --attach p-i2", "run --detach busybox", "run --detach other")
		}
		if got := short(f.calls); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: calls\n%q\nwant\n%q", tc.policy, got, want)
		}
		var ife *InitFailedError
		if tc.failed != errors.As(res[0].Err, &ife) {
			t.Errorf("%s: pod error %v", tc.policy, res[0].Err)
		}
		if !tc.failed && (res[0].ID != "id-of-p" || len(res[0].Containers) != 2 || len(res[0].Init) != 2) {
			t.Errorf("%s: result %+v", tc.policy, res[0])
		}
	}
}

func TestPlayFailuresLeaveNothing(t *testing.T) {
	y := strings.Replace(initPod, "%s", "Always", 1)
	// A Never image that is missing fails before anything is made.
	f := &fakeExec{present: map[string]bool{}}
	if _, err := Play(planOf(t, y), f); err == nil || !strings.Contains(err.Error(), "image other is not here and its imagePullPolicy is Never") {
		t.Fatalf("error %v", err)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "volume") || strings.HasPrefix(c, "pod") || strings.HasPrefix(c, "hostpath") {
			t.Errorf("made %q before checking images", c)
		}
	}
	// A container that cannot be made: the pod and the volume go again.
	f = &fakeExec{present: map[string]bool{"other": true}, fail: map[string]error{"run --detach --restart always --pod p --name p-b": errors.New("boom")}}
	_, err := Play(planOf(t, y), f)
	if err == nil || !strings.Contains(err.Error(), "pod p: container p-b: boom") {
		t.Fatalf("error %v", err)
	}
	tail := f.calls[len(f.calls)-2:]
	if want := []string{"pod rm -f p", "volume rm p-v"}; !reflect.DeepEqual(tail, want) {
		t.Errorf("undo %q, want %q", tail, want)
	}
}

// TestPlayRefusesWhatExists: a pod or volume of the same name is left
// alone, and nothing is made.
func TestPlayRefusesWhatExists(t *testing.T) {
	y := strings.Replace(initPod, "%s", "Always", 1)
	for _, taken := range []string{"p", "p-v"} {
		f := &fakeExec{present: map[string]bool{"other": true, taken: true}}
		_, err := Play(planOf(t, y), f)
		if err == nil || !strings.Contains(err.Error(), taken+" already exists") {
			t.Errorf("%s taken: error %v", taken, err)
		}
		for _, c := range f.calls {
			if strings.Contains(c, " create") || strings.Contains(c, " rm ") || strings.HasPrefix(c, "create") || strings.HasPrefix(c, "hostpath") {
				t.Errorf("%s taken: %q", taken, c)
			}
		}
	}
}

// TestDown removes the pods that exist and only the volumes play kube
// made for them.
func TestDown(t *testing.T) {
	p := planOf(t, strings.Replace(initPod, "%s", "Always", 1)+"---\n"+strings.NewReplacer("name: p}", "name: q}", "%s", "Never").Replace(initPod))
	f := &fakeExec{present: map[string]bool{"q": true, "p-v": true, "q-v": true}, labels: map[string]string{"p-v": "someone-else", "q-v": "q"}}
	removed, err := Down(p, f)
	if err != nil || !reflect.DeepEqual(removed, []string{"id-of-q"}) {
		t.Fatalf("removed %v, %v", removed, err)
	}
	var rms []string
	for _, c := range f.calls {
		if strings.Contains(c, " rm ") {
			rms = append(rms, c)
		}
	}
	if want := []string{"pod rm -f q", "volume rm q-v"}; !reflect.DeepEqual(rms, want) {
		t.Errorf("removed %q, want %q", rms, want)
	}
}

// TestGenerateDecodesStrictlyAndPlaysBack: generate's YAML is a valid
// v1 Pod (strict decoding: no field k8s.io/api does not know), and
// playing it makes the same containers.
func TestGenerateDecodesStrictlyAndPlaysBack(t *testing.T) {
	src := PodSource{Name: "web-pod", Labels: map[string]string{"app": "web"}, Containers: []ContainerSource{{
		Name: "web", Image: "busybox", Cmd: []string{"httpd", "-f"}, Env: []string{"PATH=/bin", "A=1"}, ImageEnv: []string{"PATH=/bin"},
		WorkingDir: "/srv", Ports: []Port{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 53, Protocol: "udp"}},
		Memory: 64 << 20, NanoCPUs: 5e8, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"}, Privileged: true,
		Mounts: []Mount{{Source: "/srv/data", Destination: "/data", ReadOnly: true}, {Source: "/var/lib/x/_data", Destination: "/cache", EmptyDir: "cache"},
			{Source: "/etc/hosts.conf", Destination: "/etc/x.conf", File: true}},
		Restart: "on-failure",
	}, {
		Name: "web-pod-init", Image: "busybox", Entrypoint: []string{"sh"}, Cmd: []string{"-c", "true"}, Init: true, Restart: "no",
	}}}
	pod, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal([]*corev1.Pod{pod})
	if err != nil {
		t.Fatal(err)
	}
	var strict corev1.Pod
	if err := yaml.UnmarshalStrict(data, &strict); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, data)
	}
	objs := mustDecode(t, string(data))
	if len(objs[0].Unsupported) > 0 {
		t.Errorf("generated fields play kube does not support: %v\n%s", objs[0].Unsupported, data)
	}
	p, err := MakePlan(objs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--detach", "--restart", "on-failure", "--pod", "web-pod", "--name", "web-pod-web",
		"--env", "A=1", "--workdir", "/srv", "--memory", "67108864", "--cpus", "0.5",
		"--privileged", "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
		"--mount", "type=bind,source=/srv/data,target=/data,readonly", "--mount", "type=volume,source=web-pod-cache,target=/cache",
		"--mount", "type=bind,source=/etc/hosts.conf,target=/etc/x.conf",
		"--pull", "never", "busybox", "httpd", "-f"}
	if got := p.Pods[0].Containers[0].Args; !reflect.DeepEqual(got, want) {
		t.Errorf("played back as %q\nwant %q", got, want)
	}
	if got := p.Pods[0].Init[0].Name; got != "web-pod-init" {
		t.Errorf("init container %q", got)
	}
	wantCreate := []string{"pod", "create", "--name", "web-pod", "-l", "app=web", "-p", "8080:80/tcp", "-p", "127.0.0.1:53:53/udp"}
	if !reflect.DeepEqual(p.Pods[0].Create, wantCreate) {
		t.Errorf("create %q", p.Pods[0].Create)
	}
	if want := []HostPath{{"/srv/data", corev1.HostPathDirectory}, {"/etc/hosts.conf", corev1.HostPathFile}}; !reflect.DeepEqual(p.Pods[0].HostPaths, want) {
		t.Errorf("host paths %v", p.Pods[0].HostPaths)
	}
}

func TestGenerateRefuses(t *testing.T) {
	if _, err := Generate(PodSource{Name: "p"}); err == nil {
		t.Error("a pod without containers")
	}
	_, err := Generate(PodSource{Name: "p", Containers: []ContainerSource{{Name: "a", Image: "x", Restart: "always"}, {Name: "b", Image: "x", Restart: "no"}}})
	if err == nil || !strings.Contains(err.Error(), "different restart policies") {
		t.Errorf("error %v", err)
	}
}

func TestDNSLabel(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "My_Box.1": "my-box-1", "/srv/data": "srv-data", "___": "x",
		strings.Repeat("a", 70): strings.Repeat("a", 63)} {
		if got := DNSLabel(in); got != want {
			t.Errorf("DNSLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPlan feeds arbitrary YAML to the decoder and the planner: they
// return an error or a plan, never panic, and a plan's names are ones
// mydocker accepts.
func FuzzPlan(f *testing.F) {
	f.Add(seedPod)
	f.Add(strings.Replace(initPod, "%s", "Never", 1))
	f.Add("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2, template: {spec: {containers: [{name: c, image: b}]}}}\n")
	f.Fuzz(func(t *testing.T, y string) {
		objs, err := Decode(strings.NewReader(y))
		if err != nil {
			return
		}
		_ = Warning(objs)
		p, err := MakePlan(objs)
		if err != nil {
			return
		}
		for _, pod := range p.Pods {
			if len(pod.Containers) == 0 || pod.Name == "" {
				t.Fatalf("pod %+v", pod)
			}
			for _, c := range append(pod.Init, pod.Containers...) {
				if strings.ContainsAny(c.Name, "/ \n") {
					t.Fatalf("container name %q", c.Name)
				}
			}
		}
	})
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "two words", "EMPTY": ""}
	for in, want := range map[string]string{
		"plain": "plain", "$(A)": "1", "x$(A)y$(B)": "x1ytwo words", "$(EMPTY)-": "-",
		"$(UNDEFINED)": "$(UNDEFINED)", "$$(A)": "$(A)", "$$": "$", "$": "$", "a$b": "a$b",
		"$(A": "$(A", "$()": "$()", "$$$(A)": "$1", "echo $HOME": "echo $HOME",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
		if back := expand(escape(in), vars); back != in {
			t.Errorf("expand(escape(%q)) = %q", in, back)
		}
	}
}

func FuzzExpand(f *testing.F) {
	f.Add("$(A) $$(B) $(C")
	f.Fuzz(func(t *testing.T, s string) {
		got := expand(s, map[string]string{"A": "x"})
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("expand(%q) = %q without a $", s, got)
		}
		if len(got) > len(s)+len(s)/3+1 {
			t.Fatalf("expand(%q) grew to %q", s, got)
		}
		// What generate writes, the kubelet (and play kube) runs as it was.
		if back := expand(escape(s), map[string]string{"A": "x"}); back != s {
			t.Fatalf("expand(escape(%q)) = %q", s, back)
		}
	})
}
