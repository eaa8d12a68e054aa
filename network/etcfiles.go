package network

import (
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// EtcFile is one of a container's /etc files: written at Path on the host,
// bind-mounted at Destination inside the container.
type EtcFile struct {
	Path, Destination string
}

// EtcConfig is what a container's /etc/hosts, /etc/hostname and
// /etc/resolv.conf say.
type EtcConfig struct {
	IP         net.IP // nil: no address of its own (none, host)
	Hostname   string
	Name       string
	HostNet    bool      // shares the host's network: the host's files
	ExtraHosts []AddHost // --add-host, host-gateway already resolved
	DNS        DNSConfig
}

// Where the host's own files are read from.
const (
	hostHostsFile  = "/etc/hosts"
	hostResolvFile = "/etc/resolv.conf"
)

// WriteEtcFiles writes a container's /etc/hosts, /etc/hostname and
// /etc/resolv.conf into dir (its record directory). With the host's
// network they are copies of the host's files, never the files
// themselves: the container may write its own.
func WriteEtcFiles(dir string, c EtcConfig) ([]EtcFile, error) {
	contents := []struct{ name, content string }{
		{"hosts", HostsFile(c)},
		{"hostname", c.Hostname + "\n"},
		{"resolv.conf", ResolvConf(hostResolvFile, c.DNS, c.HostNet)},
	}
	files := make([]EtcFile, 0, len(contents))
	for _, f := range contents {
		// Rewritten on every start and unused until then: no fsync needed.
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			return nil, errors.Wrap(err, "write the container's /etc files")
		}
		files = append(files, EtcFile{Path: p, Destination: "/etc/" + f.name})
	}
	return files, nil
}

// HostsFile is the container's own /etc/hosts: localhost, its hostname
// and name on its address (on 127.0.1.1 without one), and --add-host's
// entries; with the host's network, the host's file and --add-host's.
// Peers on a user network are added by the network (see Store.Join).
func HostsFile(c EtcConfig) string {
	var b strings.Builder
	if c.HostNet {
		if data, err := os.ReadFile(hostHostsFile); err == nil {
			b.Write(data)
			if len(data) > 0 && data[len(data)-1] != '\n' {
				b.WriteString("\n")
			}
		} else {
			b.WriteString("127.0.0.1\tlocalhost\n")
		}
	} else {
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	}
	for _, h := range c.ExtraHosts {
		b.WriteString(h.IP + "\t" + h.Name + "\n")
	}
	if c.HostNet {
		return b.String()
	}
	ip := "127.0.1.1"
	if c.IP != nil {
		ip = c.IP.String()
	}
	b.WriteString(ip + "\t" + c.Hostname)
	if c.Name != "" && c.Name != c.Hostname {
		b.WriteString(" " + c.Name)
	}
	b.WriteString("\n")
	return b.String()
}
