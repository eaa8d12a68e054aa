// Package kube turns Kubernetes YAML into a plan of mydocker commands
// (play kube) and containers back into a v1 Pod (generate kube). It is
// pure: it reads and writes k8s.io/api objects and argument lists, and
// what runs the plan is behind the Executor interface, so the mapping
// from the Pod API to mydocker's flags is tested without a container.
package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one document of a file: a Pod or a Deployment, with the
// fields it sets that play kube does not carry out.
type Object struct {
	Kind       string // "Pod" or "Deployment"
	Name       string
	Pod        *corev1.Pod
	Deployment *appsv1.Deployment
	// Unsupported are the set fields play kube ignores, as JSON paths
	// (spec.containers[0].livenessProbe).
	Unsupported []string
}

// Decode reads every document of a YAML stream (documents separated by
// ---). Documents that are empty (only comments) are skipped; a document
// of another kind, or one that does not decode into its k8s.io/api type,
// is an error naming the document.
func Decode(r io.Reader) ([]Object, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var objs []Object
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read YAML document %d", n)
		}
		obj, empty, err := decodeDocument(doc)
		if err != nil {
			return nil, errors.Wrapf(err, "YAML document %d", n)
		}
		if !empty {
			objs = append(objs, *obj)
		}
	}
	if len(objs) == 0 {
		return nil, errors.New("no Pod or Deployment in the YAML")
	}
	return objs, nil
}

func decodeDocument(doc []byte) (*Object, bool, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, false, errors.Wrap(err, "not YAML")
	}
	js = bytes.TrimSpace(js)
	if string(js) == "null" || len(js) == 0 {
		return nil, true, nil
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, false, errors.New("not a YAML mapping (want an object with apiVersion and kind)")
	}
	apiVersion, _ := raw["apiVersion"].(string)
	kind, _ := raw["kind"].(string)
	obj := &Object{Kind: kind}
	var supported fieldSet
	switch {
	case apiVersion == "v1" && kind == "Pod":
		obj.Pod = &corev1.Pod{}
		err, supported = json.Unmarshal(js, obj.Pod), podFields()
		obj.Name = obj.Pod.Name
	case apiVersion == "apps/v1" && kind == "Deployment":
		obj.Deployment = &appsv1.Deployment{}
		err, supported = json.Unmarshal(js, obj.Deployment), deploymentFields()
		obj.Name = obj.Deployment.Name
	default:
		return nil, false, errors.Errorf("apiVersion %q kind %q is not supported: want v1 Pod or apps/v1 Deployment", apiVersion, kind)
	}
	if err != nil {
		return nil, false, errors.Wrapf(err, "decode %s", kind)
	}
	obj.Unsupported = supported.unsupported(raw)
	return obj, false, nil
}

// Warning is the one line that lists every unsupported field set in
// objs, or "" when there is none.
func Warning(objs []Object) string {
	var parts []string
	for _, o := range objs {
		if len(o.Unsupported) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s: %s", o.Kind, o.Name, strings.Join(o.Unsupported, ", ")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "play kube ignores these fields it does not support: " + strings.Join(parts, "; ")
}
