package network

import (
	"encoding/binary"
	stderrors "errors"
	"net"

	"github.com/pkg/errors"
)

// Pool is the address pool of one network, as ipam/<network>.json keeps
// it: its subnet. The network address, the gateway (first host address)
// and the broadcast address are never handed out. Which addresses are
// taken, and by whom, is kept beside it (addrs.go), so that an
// allocation never rewrites every other.
type Pool struct {
	Subnet string `json:"Subnet"`
	// Allocated (IP -> container ID) is where mydocker kept every
	// allocation before addrs.go; it is moved there on first use and
	// written empty.
	Allocated map[string]string `json:"Allocated"`
}

// ErrFull is returned (wrapped) when a subnet has no free address.
var ErrFull = stderrors.New("no free address")

func ipToUint(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }

func uintToIP(v uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, v)
	return ip
}

// hostRange is the first and last assignable address of an IPv4 subnet:
// the gateway takes the first host address.
func hostRange(subnet *net.IPNet) (gateway, first, last uint32, err error) {
	ones, bits := subnet.Mask.Size()
	if bits != 32 {
		return 0, 0, 0, errors.Errorf("subnet %s is not IPv4", subnet)
	}
	if ones > 30 {
		return 0, 0, 0, errors.Errorf("subnet %s is too small: it needs room for a gateway and a container (/30 at most)", subnet)
	}
	base := ipToUint(subnet.IP)
	size := uint32(1) << (32 - ones)
	return base + 1, base + 2, base + size - 2, nil
}

// Gateway is the first host address of subnet.
func Gateway(subnet *net.IPNet) (net.IP, error) {
	gw, _, _, err := hostRange(subnet)
	if err != nil {
		return nil, err
	}
	return uintToIP(gw), nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
