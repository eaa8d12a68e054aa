package container

import (
	"os"
	"strings"

	"github.com/pkg/errors"

	"mydocker/constant"
)

// ParseEnv validates -e values. K=V sets K; a bare K copies K from the
// caller's environment as Docker does, and is dropped if unset there.
func ParseEnv(specs []string) ([]string, error) {
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		key, _, hasValue := strings.Cut(s, "=")
		if key == "" {
			return nil, errors.Errorf("invalid env %q: empty variable name", s)
		}
		if strings.ContainsAny(key, " \t\n") || strings.ContainsRune(s, 0) {
			return nil, errors.Errorf("invalid env %q: bad variable name", s)
		}
		if !hasValue {
			v, ok := os.LookupEnv(key)
			if !ok {
				continue
			}
			s = key + "=" + v
		}
		out = append(out, s)
	}
	return out, nil
}

// MergeEnv returns base (the image's Env) with every entry of extra (-e)
// applied on top (later wins), keeping first-seen order, and adds the
// default PATH if neither list sets it. HOME is left to the inside, which
// takes it from the user's /etc/passwd entry when it is unset.
func MergeEnv(base, extra []string) []string {
	idx := map[string]int{}
	var out []string
	for _, list := range [][]string{base, extra} {
		for _, kv := range list {
			k, _, _ := strings.Cut(kv, "=")
			if i, ok := idx[k]; ok {
				out[i] = kv
				continue
			}
			idx[k] = len(out)
			out = append(out, kv)
		}
	}
	if _, ok := idx["PATH"]; !ok {
		out = append(out, "PATH="+constant.DefaultPath)
	}
	return out
}
