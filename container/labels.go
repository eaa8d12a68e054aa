package container

import (
	"bufio"
	"os"
	"strings"

	"github.com/pkg/errors"
)

// ParseLabels reads --label-file files, then -l/--label flags, as Docker:
// each is KEY=VALUE or KEY (an empty value); a later label replaces an
// earlier one with the same key. In a file, blank lines and lines
// starting with # are skipped.
func ParseLabels(flags, files []string) (map[string]string, error) {
	var all []string
	for _, path := range files {
		lines, err := readLabelFile(path)
		if err != nil {
			return nil, err
		}
		all = append(all, lines...)
	}
	all = append(all, flags...)
	if len(all) == 0 {
		return nil, nil
	}
	labels := map[string]string{}
	for _, l := range all {
		k, v, err := ParseLabel(l)
		if err != nil {
			return nil, err
		}
		labels[k] = v
	}
	return labels, nil
}

// ParseLabel reads one label, KEY=VALUE or KEY.
func ParseLabel(s string) (key, value string, err error) {
	key, value, _ = strings.Cut(s, "=")
	switch {
	case strings.TrimSpace(key) == "":
		return "", "", errors.Errorf("invalid label %q: empty name", s)
	case strings.ContainsAny(key, " \t\n\r\v\f"):
		return "", "", errors.Errorf("invalid label %q: the name contains whitespace", s)
	case strings.ContainsRune(s, 0):
		return "", "", errors.Errorf("invalid label %q: contains NUL", s)
	}
	return key, value, nil
}

func readLabelFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "--label-file")
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.TrimRight(line, "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(err, "--label-file %s", path)
	}
	return out, nil
}

// MergeLabels is the container's labels: the image's, overridden by the
// command line's, as Docker merges them.
func MergeLabels(image, cli map[string]string) map[string]string {
	if len(image) == 0 && len(cli) == 0 {
		return nil
	}
	out := make(map[string]string, len(image)+len(cli))
	for k, v := range image {
		out[k] = v
	}
	for k, v := range cli {
		out[k] = v
	}
	return out
}
