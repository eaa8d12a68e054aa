package network

import (
	"math/bits"
	"net"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// The addresses of a network on disk. Every allocation costs the same
// whether the network holds no address or thousands: nothing is read or
// written per address already held, and nothing is fsynced.
//
//	ipam/<network>.json            the pool: its subnet (older mydockers also
//	                               kept every allocation in it; moved out below
//	                               on first use)
//	ipam/<network>.d/addr/<ip>   -> <container ID>  who holds ip: the truth
//	ipam/<network>.d/owner/<id>  -> <ip>            what id holds: one readlink
//	ipam/<network>.d/bitmap      one bit per host address, set when taken:
//	                               where the lowest free one is, without
//	                               listing anything
//
// A symbolic link is made or removed whole, so no crash leaves a torn
// entry. The owner link is made before the address link and removed
// after it, so an address link always has its owner's; an owner link
// without its address link (a killed allocate or release) is stale and
// held() drops it. The bitmap is only a hint kept under the store lock:
// a clear bit over a taken address costs one failed claim (which sets
// it), and a set bit over a free address (a clear lost with the page
// cache in a power cut) is found when the bitmap says the subnet is full
// and it is rebuilt from the links. Nothing is fsynced: after a power
// cut every container is stopped anyway, and a container that starts
// again asks for its address again.

// addrSet is the allocation state of one network.
type addrSet struct {
	dir             string
	gw, first, last uint32
	subnet          string
	bitmapPath      string
	addrDir, ownDir string
}

func (s *Store) addrSetDir(name string) string { return filepath.Join(s.dir, "ipam", name+".d") }

// addrs opens the allocation state of network name, whose pool is p,
// first moving into it the allocations an older mydocker kept in p.
// The caller holds the store lock.
func (s *Store) addrs(name string, p *Pool) (*addrSet, error) {
	_, subnet, err := net.ParseCIDR(p.Subnet)
	if err != nil {
		return nil, errors.Wrapf(err, "bad subnet %q of network %s", p.Subnet, name)
	}
	gw, first, last, err := hostRange(subnet)
	if err != nil {
		return nil, err
	}
	dir := s.addrSetDir(name)
	a := &addrSet{dir: dir, gw: gw, first: first, last: last, subnet: p.Subnet,
		bitmapPath: filepath.Join(dir, "bitmap"), addrDir: filepath.Join(dir, "addr"), ownDir: filepath.Join(dir, "owner")}
	for _, d := range []string{a.addrDir, a.ownDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, errors.Wrapf(err, "create address state of network %s", name)
		}
	}
	if len(p.Allocated) > 0 {
		if err := s.migrate(name, a, p); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// migrate moves the allocations of a pool written by an older mydocker
// into links, then empties the pool's list. A migration cut short is
// done again: each step can be repeated.
func (s *Store) migrate(name string, a *addrSet, p *Pool) error {
	for ipStr, owner := range p.Allocated {
		ip := net.ParseIP(ipStr).To4()
		if ip == nil || !validOwner(owner) {
			continue // nothing a link can name
		}
		v := ipToUint(ip)
		if v < a.first || v > a.last {
			continue
		}
		if held, err := a.held(owner); err != nil {
			return err
		} else if held != nil {
			continue // done by a migration cut short
		}
		if err := a.claim(owner, v); err != nil && !os.IsExist(errors.Cause(err)) {
			return errors.Wrapf(err, "move address %s of network %s", ipStr, name)
		}
	}
	if err := a.rebuild(); err != nil {
		return err
	}
	return s.savePool(name, &Pool{Subnet: p.Subnet, Allocated: map[string]string{}})
}

// validOwner says whether owner can name a link (a container ID can).
func validOwner(owner string) bool {
	return owner != "" && owner != "." && owner != ".." && filepath.Base(owner) == owner
}

func (a *addrSet) addrPath(v uint32) string   { return filepath.Join(a.addrDir, uintToIP(v).String()) }
func (a *addrSet) ownerPath(id string) string { return filepath.Join(a.ownDir, id) }

// held returns the address owner holds, or nil. A stale owner link is
// removed.
func (a *addrSet) held(owner string) (net.IP, error) {
	if !validOwner(owner) {
		return nil, errors.Errorf("invalid address holder %q", owner)
	}
	target, err := os.Readlink(a.ownerPath(owner))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "read address holder")
	}
	if ip := net.ParseIP(target).To4(); ip != nil {
		if o, err := os.Readlink(a.addrPath(ipToUint(ip))); err == nil && o == owner {
			return ip, nil
		}
	}
	if err := os.Remove(a.ownerPath(owner)); err != nil && !os.IsNotExist(err) {
		return nil, errors.Wrap(err, "remove stale address holder")
	}
	return nil, nil
}

// claim makes address v owner's; it fails with an error os.IsExist
// recognises (through errors.Cause) if v is taken.
func (a *addrSet) claim(owner string, v uint32) error {
	ip := uintToIP(v).String()
	// The owner link first, replaced whole by a rename: a stale one (see
	// held) may be there.
	tmp := a.ownerPath("." + owner + ".tmp")
	if err := os.Remove(tmp); err != nil && !os.IsNotExist(err) {
		return errors.Wrap(err, "remove leftover address holder")
	}
	if err := os.Symlink(ip, tmp); err != nil {
		return errors.Wrap(err, "record address holder")
	}
	if err := os.Rename(tmp, a.ownerPath(owner)); err != nil {
		return errors.Wrap(err, "record address holder")
	}
	if err := os.Symlink(owner, a.addrPath(v)); err != nil {
		if rerr := os.Remove(a.ownerPath(owner)); rerr != nil && !os.IsNotExist(rerr) {
			return errors.Wrap(rerr, "remove address holder")
		}
		if os.IsExist(err) {
			return errors.Wrapf(os.ErrExist, "address %s is taken", ip)
		}
		return errors.Wrapf(err, "claim address %s", ip)
	}
	return nil
}

// allocate gives owner the address it holds, else want if set (--ip),
// else the lowest free one.
func (a *addrSet) allocate(owner string, want net.IP) (net.IP, error) {
	if ip, err := a.held(owner); ip != nil || err != nil {
		return ip, err
	}
	if want != nil {
		v, err := a.checkWanted(want)
		if err != nil {
			return nil, err
		}
		if err := a.claim(owner, v); err != nil {
			if os.IsExist(errors.Cause(err)) {
				o, _ := os.Readlink(a.addrPath(v))
				return nil, errors.Errorf("address %s is already in use by container %s", uintToIP(v), shortID(o))
			}
			return nil, err
		}
		return uintToIP(v), a.setBit(v, true)
	}
	for rebuilt := false; ; {
		v, ok, err := a.lowestClear()
		if err != nil {
			return nil, err
		}
		if !ok {
			if rebuilt {
				held, _ := os.ReadDir(a.addrDir)
				return nil, errors.Wrapf(ErrFull, "subnet %s is full (%d addresses in use)", a.subnet, len(held))
			}
			if err := a.rebuild(); err != nil {
				return nil, err
			}
			rebuilt = true
			continue
		}
		err = a.claim(owner, v)
		if err != nil && !os.IsExist(errors.Cause(err)) {
			return nil, err
		}
		// Taken: the bitmap was behind (a killed allocate); set the bit.
		if serr := a.setBit(v, true); serr != nil {
			return nil, serr
		}
		if err == nil {
			return uintToIP(v), nil
		}
	}
}

// checkWanted checks ip is a host address of the subnet other than the
// gateway.
func (a *addrSet) checkWanted(ip net.IP) (uint32, error) {
	_, subnet, _ := net.ParseCIDR(a.subnet)
	ip4 := ip.To4()
	if ip4 == nil || !subnet.Contains(ip4) {
		return 0, errors.Errorf("address %s is outside the subnet %s", ip, a.subnet)
	}
	v := ipToUint(ip4)
	if v == a.gw {
		return 0, errors.Errorf("address %s is the gateway of %s", ip, a.subnet)
	}
	if v < a.first || v > a.last {
		return 0, errors.Errorf("address %s is not a host address of %s", ip, a.subnet)
	}
	return v, nil
}

// release frees the address owner holds, and says whether it held one.
func (a *addrSet) release(owner string) (bool, error) {
	ip, err := a.held(owner)
	if ip == nil || err != nil {
		return false, err
	}
	v := ipToUint(ip)
	// The bit first: a clear bit over a taken address is harmless.
	if err := a.setBit(v, false); err != nil {
		return false, err
	}
	if err := os.Remove(a.addrPath(v)); err != nil && !os.IsNotExist(err) {
		return false, errors.Wrapf(err, "free address %s", ip)
	}
	if err := os.Remove(a.ownerPath(owner)); err != nil && !os.IsNotExist(err) {
		return false, errors.Wrapf(err, "free address %s", ip)
	}
	return true, nil
}

// owners lists the containers holding addresses (network rm asks; it may
// list every one).
func (a *addrSet) owners() ([]string, error) {
	entries, err := os.ReadDir(a.ownDir)
	if err != nil {
		return nil, errors.Wrap(err, "list address holders")
	}
	var out []string
	for _, e := range entries {
		if e.Name()[0] == '.' {
			continue
		}
		if ip, err := a.held(e.Name()); err != nil {
			return nil, err
		} else if ip != nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// bitmapChunk is how much of the bitmap one read looks at: the lowest
// free address of a network with up to 32,768 taken is in the first.
const bitmapChunk = 4096

// lowestClear finds the lowest host address whose bit is clear. A
// bitmap shorter than the subnet (new, or made before the pool grew)
// reads as clear beyond its end.
func (a *addrSet) lowestClear() (uint32, bool, error) {
	n := a.last - a.first + 1
	f, err := os.Open(a.bitmapPath)
	if os.IsNotExist(err) {
		return a.first, true, nil
	}
	if err != nil {
		return 0, false, errors.Wrap(err, "read address bitmap")
	}
	defer f.Close()
	buf := make([]byte, bitmapChunk)
	for off := int64(0); off*8 < int64(n); off += bitmapChunk {
		k, err := f.ReadAt(buf, off)
		if k < len(buf) {
			for i := k; i < len(buf); i++ {
				buf[i] = 0 // past the end: clear
			}
			err = nil
		}
		if err != nil {
			return 0, false, errors.Wrap(err, "read address bitmap")
		}
		for i, b := range buf {
			if b == 0xff {
				continue
			}
			idx := uint64(off+int64(i))*8 + uint64(bits.TrailingZeros8(^b))
			if idx >= uint64(n) {
				return 0, false, nil
			}
			return a.first + uint32(idx), true, nil
		}
	}
	return 0, false, nil
}

// setBit sets or clears the bit of address v.
func (a *addrSet) setBit(v uint32, taken bool) error {
	idx := v - a.first
	f, err := os.OpenFile(a.bitmapPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return errors.Wrap(err, "open address bitmap")
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, int64(idx/8)); err != nil {
		b[0] = 0 // past the end: clear
	}
	if taken {
		b[0] |= 1 << (idx % 8)
	} else {
		b[0] &^= 1 << (idx % 8)
	}
	_, err = f.WriteAt(b, int64(idx/8))
	return errors.Wrap(err, "write address bitmap")
}

// rebuild writes the bitmap anew from the address links.
func (a *addrSet) rebuild() error {
	entries, err := os.ReadDir(a.addrDir)
	if err != nil {
		return errors.Wrap(err, "list addresses")
	}
	bm := make([]byte, (a.last-a.first)/8+1)
	for _, e := range entries {
		ip := net.ParseIP(e.Name()).To4()
		if ip == nil {
			continue
		}
		if v := ipToUint(ip); v >= a.first && v <= a.last {
			bm[(v-a.first)/8] |= 1 << ((v - a.first) % 8)
		}
	}
	tmp := a.bitmapPath + ".tmp"
	if err := os.WriteFile(tmp, bm, 0o600); err != nil {
		return errors.Wrap(err, "write address bitmap")
	}
	return errors.Wrap(os.Rename(tmp, a.bitmapPath), "write address bitmap")
}
