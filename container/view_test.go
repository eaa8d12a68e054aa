package container

import (
	"testing"
	"time"

	"mydocker/network"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "Less than a second"},
		{999 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{59 * time.Second, "59 seconds"},
		{60 * time.Second, "About a minute"},
		{119 * time.Second, "About a minute"},
		{2 * time.Minute, "2 minutes"},
		{59 * time.Minute, "59 minutes"},
		{89 * time.Minute, "About an hour"},
		{90 * time.Minute, "2 hours"},
		{47 * time.Hour, "47 hours"},
		{48 * time.Hour, "2 days"},
		{15 * 24 * time.Hour, "2 weeks"},
		{70 * 24 * time.Hour, "2 months"},
		{800 * 24 * time.Hour, "2 years"},
	}
	for _, tt := range tests {
		if got := HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		st   State
		want string
	}{
		{State{Status: StatusCreated}, "Created"},
		{State{Status: StatusRunning, StartedAt: now.Add(-3 * time.Second)}, "Up 3 seconds"},
		{State{Status: StatusRunning, Paused: true, StartedAt: now.Add(-time.Second)}, "Up 1 second (Paused)"},
		{State{Status: StatusExited, ExitCode: 0, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-2 * time.Minute)}, "Exited (0) 2 minutes ago"},
		{State{Status: StatusExited, ExitCode: 137, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-time.Minute)}, "Exited (137) About a minute ago"},
		{State{Status: StatusExited, ExitCode: 1, StartedAt: now}, "Exited (1)"},
		{State{Status: StatusExited}, "Created"}, // never started (a failed start)
	}
	for _, tt := range tests {
		rec := &Record{State: tt.st}
		if got := rec.StatusText(now); got != tt.want {
			t.Errorf("StatusText(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func TestPortsText(t *testing.T) {
	p := func(hostIP string, host, ctr int, proto string) network.PortMapping {
		return network.PortMapping{HostIP: hostIP, HostPort: host, ContainerPort: ctr, Protocol: proto}
	}
	tests := []struct {
		ports   []network.PortMapping
		exposed []string
		want    string
	}{
		{nil, nil, ""},
		{[]network.PortMapping{p("", 8080, 80, "tcp")}, []string{"80/tcp"}, "0.0.0.0:8080->80/tcp"},
		{[]network.PortMapping{p("127.0.0.1", 9000, 90, "udp"), p("", 8080, 80, "tcp")}, nil,
			"0.0.0.0:8080->80/tcp, 127.0.0.1:9000->90/udp"},
		{[]network.PortMapping{p("", 8081, 81, "tcp"), p("", 8080, 80, "tcp"), p("", 8082, 82, "tcp")}, nil,
			"0.0.0.0:8080-8082->80-82/tcp"},
		{[]network.PortMapping{p("", 8080, 80, "tcp"), p("", 9090, 81, "tcp")}, nil,
			"0.0.0.0:8080->80/tcp, 0.0.0.0:9090->81/tcp"},
		{[]network.PortMapping{p("", 8080, 80, "tcp")}, []string{"80/tcp", "53/udp"}, "0.0.0.0:8080->80/tcp, 53/udp"},
	}
	for _, tt := range tests {
		rec := &Record{State: State{Status: StatusRunning}, NetworkSettings: network.Endpoint{Ports: tt.ports}}
		for _, e := range tt.exposed {
			rec.Config.expose(e)
		}
		if got := rec.PortsText(); got != tt.want {
			t.Errorf("PortsText(%v) = %q, want %q", tt.ports, got, tt.want)
		}
		rec.State.Status = StatusExited
		if got := rec.PortsText(); got != "" {
			t.Errorf("an exited container shows ports %q", got)
		}
	}
}
