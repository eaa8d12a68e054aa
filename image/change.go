package image

import (
	"encoding/json"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
)

// ApplyChange applies one Dockerfile instruction given to `commit
// --change` to an image config, as Docker does for the instructions it
// allows there: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR,
// STOPSIGNAL and VOLUME.
func ApplyChange(c *v1.Config, change string) error {
	instr, rest, _ := strings.Cut(strings.TrimSpace(change), " ")
	rest = strings.TrimSpace(rest)
	bad := func(why string) error { return errors.Errorf("invalid --change %q: %s", change, why) }
	if rest == "" {
		return bad("missing argument")
	}
	switch strings.ToUpper(instr) {
	case "CMD":
		c.Cmd = commandForm(rest)
	case "ENTRYPOINT":
		c.Entrypoint = commandForm(rest)
	case "ENV":
		pairs, err := keyValues(rest, true)
		if err != nil {
			return bad(err.Error())
		}
		for _, kv := range pairs {
			c.Env = setEnv(c.Env, kv[0], kv[1])
		}
	case "LABEL":
		pairs, err := keyValues(rest, false)
		if err != nil {
			return bad(err.Error())
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, kv := range pairs {
			c.Labels[kv[0]] = kv[1]
		}
	case "EXPOSE":
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range strings.Fields(rest) {
			port, proto, _ := strings.Cut(p, "/")
			if proto == "" {
				proto = "tcp"
			}
			if !isPort(port) || (proto != "tcp" && proto != "udp" && proto != "sctp") {
				return bad("not a port: " + p)
			}
			c.ExposedPorts[port+"/"+proto] = struct{}{}
		}
	case "USER":
		c.User = rest
	case "WORKDIR":
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		c.WorkingDir = rest
	case "STOPSIGNAL":
		c.StopSignal = rest
	case "VOLUME":
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		var vols []string
		if err := json.Unmarshal([]byte(rest), &vols); err != nil {
			vols = strings.Fields(rest)
		}
		for _, v := range vols {
			c.Volumes[v] = struct{}{}
		}
	default:
		return bad(instr + " is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL, VOLUME")
	}
	return nil
}

// commandForm reads CMD/ENTRYPOINT: a JSON array (exec form) or a shell
// command, run by /bin/sh -c.
func commandForm(s string) []string {
	var args []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &args) == nil {
		return args
	}
	return []string{"/bin/sh", "-c", s}
}

// keyValues reads "K=V K2=V2" (quotes allowed) or, for ENV, the old "K V" form.
func keyValues(s string, legacy bool) ([][2]string, error) {
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	if legacy && len(words) > 0 && !strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(s, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, errors.Errorf("%q is not KEY=VALUE", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// splitWords splits on blanks, honouring double and single quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n > 0 && n < 65536
}
