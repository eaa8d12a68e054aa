package kube

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// fieldSet is the set of JSON paths play kube carries out. A path names
// list elements by [] and the keys of a free-form map (labels) by *; an
// interior path (spec.containers[]) is in the set when it, or anything
// under it, is supported.
type fieldSet map[string]bool

// containerFields are the fields of a container (init or app) that
// play kube carries out, relative to the container.
var containerFields = []string{
	"name", "image", "imagePullPolicy", "command[]", "args[]", "workingDir",
	"env[].name", "env[].value",
	"ports[].containerPort", "ports[].hostPort", "ports[].protocol", "ports[].hostIP",
	"resources.limits.memory", "resources.limits.cpu",
	"securityContext.privileged", "securityContext.capabilities.add[]", "securityContext.capabilities.drop[]",
	"volumeMounts[].name", "volumeMounts[].mountPath", "volumeMounts[].readOnly",
}

// podSpecFields are the supported fields of a PodSpec.
func podSpecFields() []string {
	var out []string
	for _, c := range containerFields {
		out = append(out, "containers[]."+c, "initContainers[]."+c)
	}
	return append(out, "restartPolicy",
		"volumes[].name", "volumes[].hostPath.path", "volumes[].hostPath.type", "volumes[].emptyDir")
}

// metadataFields: the name, the labels, and creationTimestamp, which a
// server sets and ignores on create, as here (podman writes it).
var metadataFields = []string{"metadata.name", "metadata.labels.*", "metadata.creationTimestamp"}

// podFields and deploymentFields are built on first use: every mydocker
// process initialises this package, and few of them play YAML.
var podFields = sync.OnceValue(func() fieldSet {
	return newFieldSet(append(append([]string{"apiVersion", "kind"}, metadataFields...),
		prefixed("spec.", podSpecFields())...))
})

var deploymentFields = sync.OnceValue(func() fieldSet {
	return newFieldSet(append(append([]string{"apiVersion", "kind", "spec.replicas",
		"spec.selector.matchLabels.*", "spec.template.metadata.name", "spec.template.metadata.labels.*",
		"spec.template.metadata.creationTimestamp"}, metadataFields...),
		prefixed("spec.template.spec.", podSpecFields())...))
})

func prefixed(prefix string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = prefix + p
	}
	return out
}

// newFieldSet holds every path and each of its ancestors.
func newFieldSet(paths []string) fieldSet {
	s := fieldSet{}
	for _, p := range paths {
		for {
			s[p] = true
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return s
}

// unsupported walks a decoded document and returns the path of every
// field that is set (not null, not an empty map or list) and not in s,
// in a stable order. It walks the document as written, so a misspelt
// field that the typed decoding dropped is reported too.
func (s fieldSet) unsupported(doc map[string]any) []string {
	var out []string
	s.walk("", "", doc, &out)
	sort.Strings(out)
	return out
}

// walk visits v at pattern (the set's spelling) and shown (with indexes).
func (s fieldSet) walk(pattern, shown string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p, sh := join(pattern, k), join(shown, k)
			if s[join(pattern, "*")] {
				p = join(pattern, "*")
			}
			if !s[p] {
				if isSet(child) {
					*out = append(*out, sh)
				}
				continue
			}
			s.walk(p, sh, child, out)
		}
	case []any:
		for i, child := range x {
			p, sh := pattern+"[]", shown+"["+strconv.Itoa(i)+"]"
			if !s[p] {
				if isSet(child) {
					*out = append(*out, sh)
				}
				continue
			}
			s.walk(p, sh, child, out)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isSet reports whether a field has a value: null and empty objects or
// lists say nothing (generators write status: {} and resources: {}).
func isSet(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}
