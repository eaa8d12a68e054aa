package network

import (
	"encoding/binary"
	"net"
	"sort"

	"github.com/pkg/errors"
)

// Pool is the address allocation of one network: which host addresses of
// its subnet are taken, and by which container. The network address, the
// gateway (first host address) and the broadcast address are never handed
// out.
type Pool struct {
	Subnet    string            `json:"Subnet"`
	Allocated map[string]string `json:"Allocated"` // IP -> container ID
}

// ErrFull is returned (wrapped) when a subnet has no free address.
var ErrFull = errors.New("no free address")

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

// Allocate gives owner the lowest free address, or the one it already has.
func (p *Pool) Allocate(owner string) (net.IP, error) {
	for ip, o := range p.Allocated {
		if o == owner {
			return net.ParseIP(ip).To4(), nil
		}
	}
	_, subnet, err := net.ParseCIDR(p.Subnet)
	if err != nil {
		return nil, errors.Wrapf(err, "bad subnet %q", p.Subnet)
	}
	_, first, last, err := hostRange(subnet)
	if err != nil {
		return nil, err
	}
	if p.Allocated == nil {
		p.Allocated = map[string]string{}
	}
	for v := first; v <= last; v++ {
		ip := uintToIP(v)
		if _, taken := p.Allocated[ip.String()]; !taken {
			p.Allocated[ip.String()] = owner
			return ip, nil
		}
	}
	return nil, errors.Wrapf(ErrFull, "subnet %s is full (%d addresses in use)", p.Subnet, len(p.Allocated))
}

// AllocateIP gives owner the address ip (--ip): refused if another owner
// holds it or it is not a host address of the subnet other than the
// gateway. An owner holding another address (its --ip was another when
// it first started) keeps that one: addresses live as long as containers.
func (p *Pool) AllocateIP(owner string, ip net.IP) (net.IP, error) {
	for held, o := range p.Allocated {
		if o == owner {
			return net.ParseIP(held).To4(), nil
		}
	}
	_, subnet, err := net.ParseCIDR(p.Subnet)
	if err != nil {
		return nil, errors.Wrapf(err, "bad subnet %q", p.Subnet)
	}
	gw, first, last, err := hostRange(subnet)
	if err != nil {
		return nil, err
	}
	ip4 := ip.To4()
	if ip4 == nil || !subnet.Contains(ip4) {
		return nil, errors.Errorf("address %s is outside the subnet %s", ip, p.Subnet)
	}
	v := ipToUint(ip4)
	if v == gw {
		return nil, errors.Errorf("address %s is the gateway of %s", ip, p.Subnet)
	}
	if v < first || v > last {
		return nil, errors.Errorf("address %s is not a host address of %s", ip, p.Subnet)
	}
	if o, taken := p.Allocated[ip4.String()]; taken {
		return nil, errors.Errorf("address %s is already in use by container %s", ip4, shortID(o))
	}
	if p.Allocated == nil {
		p.Allocated = map[string]string{}
	}
	p.Allocated[ip4.String()] = owner
	return ip4, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Release frees every address owner holds; it reports whether any was held.
func (p *Pool) Release(owner string) bool {
	found := false
	for ip, o := range p.Allocated {
		if o == owner {
			delete(p.Allocated, ip)
			found = true
		}
	}
	return found
}

// Owners lists the containers holding addresses, sorted.
func (p *Pool) Owners() []string {
	var out []string
	for _, o := range p.Allocated {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}
