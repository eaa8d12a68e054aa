package network

import (
	"bufio"
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

// WriteEtcFiles writes a container's /etc/hosts, /etc/hostname and
// /etc/resolv.conf into dir (its record directory) for a container with
// address ip (nil: no network), hostname and name.
func WriteEtcFiles(dir string, ip net.IP, hostname, name string) ([]EtcFile, error) {
	addr := ""
	if ip != nil {
		addr = ip.String()
	}
	contents := []struct{ name, content string }{
		{"hosts", HostsFile(addr, hostname, name)},
		{"hostname", hostname + "\n"},
		{"resolv.conf", ResolvConf("/etc/resolv.conf")},
	}
	files := make([]EtcFile, 0, len(contents))
	for _, c := range contents {
		// Rewritten on every start and unused until then: no fsync needed.
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			return nil, errors.Wrap(err, "write the container's /etc files")
		}
		files = append(files, EtcFile{Path: p, Destination: "/etc/" + c.name})
	}
	return files, nil
}

// HostsFile is the container's /etc/hosts: localhost, and its hostname and
// name on its address (on 127.0.1.1 without a network).
func HostsFile(ip, hostname, name string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	if ip == "" {
		ip = "127.0.1.1"
	}
	b.WriteString(ip + "\t" + hostname)
	if name != "" && name != hostname {
		b.WriteString(" " + name)
	}
	b.WriteString("\n")
	return b.String()
}

// ResolvConf is the container's /etc/resolv.conf: the host's, without
// loopback nameservers (a resolver on the host's 127.0.0.1 is not
// reachable from the container's own loopback).
func ResolvConf(hostResolv string) string {
	f, err := os.Open(hostResolv)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if fields[0] == "nameserver" {
			if len(fields) < 2 {
				continue
			}
			if ip := net.ParseIP(fields[1]); ip == nil || ip.IsLoopback() {
				continue
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
