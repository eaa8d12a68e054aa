package network

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// ID is the network's ID as inspect shows it: derived from its name and
// creation time, so it is stable while the network exists and differs
// for a network of the same name made again.
func (n *Network) ID() string {
	sum := sha256.Sum256([]byte(n.Name + "\x00" + n.Created.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:])
}

// Inspect is `network inspect`'s document, with Docker's field names.
type Inspect struct {
	Name       string                   `json:"Name"`
	ID         string                   `json:"Id"`
	Created    time.Time                `json:"Created"`
	Scope      string                   `json:"Scope"`
	Driver     string                   `json:"Driver"`
	EnableIPv6 bool                     `json:"EnableIPv6"`
	IPAM       IPAM                     `json:"IPAM"`
	Internal   bool                     `json:"Internal"`
	Attachable bool                     `json:"Attachable"`
	Ingress    bool                     `json:"Ingress"`
	Containers map[string]InspectMember `json:"Containers"`
	Options    map[string]string        `json:"Options"`
	Labels     map[string]string        `json:"Labels"`
}

// IPAM is how the network's addresses are given out.
type IPAM struct {
	Driver  string            `json:"Driver"`
	Options map[string]string `json:"Options"`
	Config  []IPAMConfig      `json:"Config"`
}

// IPAMConfig is one subnet of a network.
type IPAMConfig struct {
	Subnet  string `json:"Subnet"`
	Gateway string `json:"Gateway"`
}

// InspectMember is a running container on the network, keyed by its ID.
type InspectMember struct {
	Name        string `json:"Name"`
	EndpointID  string `json:"EndpointID"`
	MacAddress  string `json:"MacAddress"`
	IPv4Address string `json:"IPv4Address"` // with its prefix: 10.0.0.2/24
	IPv6Address string `json:"IPv6Address"`
}

// Attached is what Inspect needs of a container on the network.
type Attached struct {
	ID, Name string
	Endpoint Endpoint
}

// Inspect describes n, with the running containers on it, as docker
// network inspect does.
func (n *Network) Inspect(members []Attached) *Inspect {
	out := &Inspect{
		Name: n.Name, ID: n.ID(), Created: n.Created.UTC(), Scope: "local", Driver: n.Driver,
		IPAM:       IPAM{Driver: "default", Options: map[string]string{}, Config: []IPAMConfig{{Subnet: n.Subnet, Gateway: n.Gateway}}},
		Containers: map[string]InspectMember{},
		Options:    map[string]string{"com.docker.network.bridge.name": n.Bridge},
		Labels:     map[string]string{},
	}
	for _, m := range members {
		ep := m.Endpoint
		out.Containers[m.ID] = InspectMember{Name: m.Name, EndpointID: m.ID, MacAddress: ep.MacAddress,
			IPv4Address: ep.IPAddress + "/" + strconv.Itoa(ep.PrefixLen)}
	}
	return out
}

// Id is {{.Id}}, the spelling of Docker's JSON, which templates use as
// often as the Go field's {{.ID}}.
func (v *Inspect) Id() string { return v.ID } //nolint:revive // Docker's spelling
