package network

import (
	"bufio"
	"net"
	"os"
	"strings"
)

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
