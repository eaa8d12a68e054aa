package network

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/pkg/errors"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// The addresses of a network on disk:
//
//	ipam/<network>.json    the pool: its subnet (older mydockers also kept
//	                       every allocation in it; moved out below on first use)
//	ipam/<network>.slots   one slotSize-byte slot per host address, in address
//	                       order: the ID of the container holding it,
//	                       NUL-padded, or all zero while it is free
//
// An allocation or a release writes one slot in place: no file is made,
// renamed or removed, so its cost does not depend on how many addresses
// are taken. Each new inode costs more the more the file system made and
// deleted near it lately, which is what a file or link per address paid
// with 1,000 containers in one network. Finding the lowest free slot and
// the caller's own reads the slots once: 64 KiB for 1,000 addresses,
// which the kernel copies and we scan in microseconds; the holes of a
// sparse file (an --ip far up a large subnet) are skipped, not read.
//
// A slot is written whole by one aligned 64-byte write, so no killed
// mydocker leaves a torn slot, and there is nothing else to keep in step
// with it. Nothing is fsynced: after a power cut every container is
// stopped anyway, and a container that starts again asks for its
// address again. Every access is under the store lock.

// slotSize is the size of a slot: a container ID, 64 hex digits.
const slotSize = 64

// departed starts a slot whose container is gone but whose veth the
// kernel has not removed yet: it goes with the container's network
// namespace, some milliseconds after its last process, and a --rm
// container's exit does not wait for it (RecordExit). The slot holds the
// mark and the ID (its first 63 characters), and the address stays taken
// until that veth is gone, so no new container meets the dying interface
// with its address: an allocation takes such a slot once it finds the
// veth gone (allocate), and network rm waits for it.
const departed = '~'

// maxDeparted bounds how many departed slots below the lowest free one an
// allocation looks at (one netlink request each).
const maxDeparted = 64

// addrSet is the allocation state of one network.
type addrSet struct {
	path            string
	gw, first, last uint32
	subnet          string
}

func (s *Store) slotsPath(name string) string { return filepath.Join(s.dir, "ipam", name+".slots") }

// linksDir is where mydocker kept a network's addresses as links, one per
// address, before the slots; moved into them on first use.
func (s *Store) linksDir(name string) string { return filepath.Join(s.dir, "ipam", name+".d") }

// addrs opens the allocation state of network name, whose pool is p,
// first moving into it the allocations an older mydocker kept in p or as
// links. The caller holds the store lock.
func (s *Store) addrs(name string, p *Pool) (*addrSet, error) {
	_, subnet, err := net.ParseCIDR(p.Subnet)
	if err != nil {
		return nil, errors.Wrapf(err, "bad subnet %q of network %s", p.Subnet, name)
	}
	gw, first, last, err := hostRange(subnet)
	if err != nil {
		return nil, err
	}
	a := &addrSet{path: s.slotsPath(name), gw: gw, first: first, last: last, subnet: p.Subnet}
	if len(p.Allocated) > 0 {
		if err := s.migratePool(name, a, p); err != nil {
			return nil, err
		}
	}
	if err := s.migrateLinks(name, a); err != nil {
		return nil, err
	}
	return a, nil
}

// migratePool moves the allocations of a pool written by an older
// mydocker into the slots, then empties the pool's list. A migration cut
// short is done again: each step can be repeated.
func (s *Store) migratePool(name string, a *addrSet, p *Pool) error {
	f, err := a.open()
	if err != nil {
		return err
	}
	defer f.Close()
	for ipStr, owner := range p.Allocated {
		if err := a.migrateOne(f, ipStr, owner); err != nil {
			return errors.Wrapf(err, "move address %s of network %s", ipStr, name)
		}
	}
	return s.savePool(name, &Pool{Subnet: p.Subnet, Allocated: map[string]string{}})
}

// migrateLinks moves the addresses an older mydocker kept as links
// (ipam/<network>.d/addr/<ip> -> <container ID>) into the slots, then
// removes the links. The owner links and the bitmap beside them were
// only indexes of these.
func (s *Store) migrateLinks(name string, a *addrSet) error {
	dir := s.linksDir(name)
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		return nil // the common case: nothing to move
	}
	entries, err := os.ReadDir(filepath.Join(dir, "addr"))
	if err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "read the addresses of network %s", name)
	}
	if len(entries) > 0 {
		f, err := a.open()
		if err != nil {
			return err
		}
		defer f.Close()
		for _, e := range entries {
			owner, err := os.Readlink(filepath.Join(dir, "addr", e.Name()))
			if err != nil {
				continue // not a link: nothing an older mydocker made
			}
			if err := a.migrateOne(f, e.Name(), owner); err != nil {
				return errors.Wrapf(err, "move address %s of network %s", e.Name(), name)
			}
		}
	}
	return errors.Wrapf(utils.RemoveAllUnmounted(dir), "remove the old address links of network %s", name)
}

// migrateOne gives address ipStr to owner in f unless it is taken (by a
// migration cut short). What no slot can hold is dropped: an address
// outside the host range, an empty owner. An owner longer than a slot
// (no container ID is) keeps the address under its first slotSize bytes:
// it stays taken until network rm frees it.
func (a *addrSet) migrateOne(f *os.File, ipStr, owner string) error {
	ip := net.ParseIP(ipStr).To4()
	if ip == nil || owner == "" || bytes.IndexByte([]byte(owner), 0) >= 0 {
		return nil
	}
	v := ipToUint(ip)
	if v < a.first || v > a.last {
		return nil
	}
	if len(owner) > slotSize {
		owner = owner[:slotSize]
	}
	cur, err := readSlot(f, a.offset(v))
	if err != nil || cur != "" {
		return err
	}
	return writeSlot(f, a.offset(v), owner)
}

// validOwner says whether owner fits a slot (a container ID does).
func validOwner(owner string) bool {
	return owner != "" && len(owner) <= slotSize && bytes.IndexByte([]byte(owner), 0) < 0
}

func (a *addrSet) offset(v uint32) int64 { return int64(v-a.first) * slotSize }

func (a *addrSet) open() (*os.File, error) {
	f, err := os.OpenFile(a.path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	return f, errors.Wrap(err, "open the address slots")
}

// scan is what one read of the slots finds.
type scan struct {
	held int64 // offset of owner's slot, or -1
	free int64 // offset of the lowest free slot, or -1 if every one is taken
	// departed are the departed slots below free (all of them when
	// every slot is taken), lowest first, at most maxDeparted.
	departed []departedSlot
}

// departedSlot is a slot holding a container whose veth may still exist.
type departedSlot struct {
	off  int64
	veth string
}

// scan reads the slots of f once, looking for owner's and the lowest
// free one. A slot in a hole or past the end of the file is free.
func (a *addrSet) scan(f *os.File, owner string) (scan, error) {
	res := scan{held: -1, free: -1}
	key := make([]byte, slotSize)
	copy(key, owner)
	next := int64(0) // the slot after the last one read
	err := a.walk(f, func(off int64, chunk []byte) bool {
		if res.free < 0 {
			if off > next {
				res.free = next // skipped a hole
			} else {
				for i := 0; i < len(chunk); i += slotSize {
					if chunk[i] == 0 {
						res.free = off + int64(i)
						break
					}
					if chunk[i] == departed && len(res.departed) < maxDeparted {
						if veth, ok := ownerVeth(slotOwner(chunk[i+1 : i+slotSize])); ok {
							res.departed = append(res.departed, departedSlot{off + int64(i), veth})
						}
					}
				}
			}
		}
		next = off + int64(len(chunk))
		if res.held < 0 {
			// The first 8 bytes decide almost every slot; only a
			// slot starting like owner's is compared whole.
			head := binary.LittleEndian.Uint64(key)
			for i := 0; i < len(chunk); i += slotSize {
				if binary.LittleEndian.Uint64(chunk[i:]) == head && bytes.Equal(chunk[i:i+slotSize], key) {
					res.held = off + int64(i)
					break
				}
			}
		}
		return res.free < 0 || res.held < 0
	})
	if res.free < 0 && next < a.offset(a.last)+slotSize {
		res.free = next
	}
	return res, err
}

// slotBufs keeps the buffers walk reads into: a process allocating many
// addresses (the bench, a test) would otherwise make the garbage
// collector clear 64 KiB per allocation.
var slotBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// walk calls fn with the slots of the host range that f holds data for,
// in order, a chunk of whole slots at a time (the slice is reused),
// until fn returns false.
func (a *addrSet) walk(f *os.File, fn func(off int64, chunk []byte) bool) error {
	end := a.offset(a.last) + slotSize
	var buf []byte
	for off := int64(0); off < end; {
		data, err := seekData(f, off)
		if err != nil {
			return err
		}
		if data < 0 || data >= end {
			return nil
		}
		off = data - data%slotSize
		if buf == nil {
			bp := slotBufs.Get().(*[]byte)
			defer slotBufs.Put(bp)
			buf = *bp
		}
		n, err := f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return errors.Wrap(err, "read the address slots")
		}
		n -= n % slotSize
		if int64(n) > end-off {
			n = int(end - off)
		}
		if n == 0 {
			return nil
		}
		if !fn(off, buf[:n]) {
			return nil
		}
		off += int64(n)
	}
	return nil
}

// seekData returns the offset of the first byte of data at or after off,
// or -1 if there is none: holes, which read as zeros, are free slots and
// need no reading.
func seekData(f *os.File, off int64) (int64, error) {
	data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
	if err == unix.ENXIO {
		return -1, nil
	}
	if err == unix.EINVAL || err == unix.EOPNOTSUPP {
		return off, nil // no hole support: read everything
	}
	return data, errors.Wrap(err, "read the address slots")
}

func readSlot(f *os.File, off int64) (string, error) {
	slot := make([]byte, slotSize)
	n, err := f.ReadAt(slot, off)
	if err != nil && err != io.EOF {
		return "", errors.Wrap(err, "read an address slot")
	}
	if n < slotSize {
		return "", nil // past the end: free
	}
	if i := bytes.IndexByte(slot, 0); i >= 0 {
		slot = slot[:i]
	}
	return string(slot), nil
}

// writeSlot writes owner ("" frees it) into the slot at off, whole.
func writeSlot(f *os.File, off int64, owner string) error {
	slot := make([]byte, slotSize)
	copy(slot, owner)
	_, err := f.WriteAt(slot, off)
	return errors.Wrap(err, "write an address slot")
}

// allocate gives owner the address it holds, else want if set (--ip),
// else the lowest free one.
func (a *addrSet) allocate(owner string, want net.IP) (net.IP, error) {
	if !validOwner(owner) {
		return nil, errors.Errorf("invalid address holder %q", owner)
	}
	f, err := a.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := a.scan(f, owner)
	if err != nil {
		return nil, err
	}
	if sc.held >= 0 {
		return uintToIP(a.first + uint32(sc.held/slotSize)), nil
	}
	v := uint32(0)
	if want != nil {
		if v, err = a.checkWanted(want); err != nil {
			return nil, err
		}
		if o, err := readSlot(f, a.offset(v)); err != nil {
			return nil, err
		} else if o != "" && o[0] == departed {
			if veth, ok := ownerVeth(o[1:]); ok {
				if gone, err := linkGone(veth); err != nil {
					return nil, err
				} else if !gone {
					return nil, errors.Errorf("address %s is still in use by the interface of removed container %s", uintToIP(v), shortID(o[1:]))
				}
			}
		} else if o != "" {
			return nil, errors.Errorf("address %s is already in use by container %s", uintToIP(v), shortID(o))
		}
	} else {
		free := sc.free
		// A lower address whose departed holder's veth is gone is free.
		for _, d := range sc.departed {
			if gone, err := linkGone(d.veth); err != nil {
				return nil, err
			} else if gone {
				free = d.off
				break
			}
		}
		if free < 0 {
			return nil, errors.Wrapf(ErrFull, "subnet %s is full (%d addresses in use)", a.subnet, a.last-a.first+1)
		}
		v = a.first + uint32(free/slotSize)
	}
	if err := writeSlot(f, a.offset(v), owner); err != nil {
		return nil, err
	}
	return uintToIP(v), nil
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
// The file keeps its length: shortening it costs the file system more
// than reading the free slots at its end.
func (a *addrSet) release(owner string) (bool, error) {
	if !validOwner(owner) {
		return false, nil // holds nothing: no slot can name it
	}
	f, err := os.OpenFile(a.path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrap(err, "open the address slots")
	}
	defer f.Close()
	sc, err := a.scan(f, owner)
	if err != nil || sc.held < 0 {
		return false, err
	}
	// Its veth still there (a --rm container's exit leaves it to the
	// kernel): the address stays taken until it is gone.
	if veth, ok := ownerVeth(owner); ok {
		gone, err := linkGone(veth)
		if err != nil {
			return true, err
		}
		if !gone {
			return true, writeSlot(f, sc.held, string(departed)+owner[:min(len(owner), slotSize-1)])
		}
	}
	return true, writeSlot(f, sc.held, "")
}

// owners lists the containers holding addresses, in address order
// (network rm asks; it may list every one), and the veths of the departed
// ones.
func (a *addrSet) owners() (owners, veths []string, err error) {
	f, err := os.Open(a.path)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, errors.Wrap(err, "read the address slots")
	}
	defer f.Close()
	seen := map[string]bool{}
	err = a.walk(f, func(_ int64, chunk []byte) bool {
		for i := 0; i < len(chunk); i += slotSize {
			slot := chunk[i : i+slotSize]
			switch o := slotOwner(slot); {
			case slot[0] == 0 || seen[o]:
			case slot[0] == departed:
				if veth, ok := ownerVeth(o[1:]); ok {
					veths = append(veths, veth)
				}
			default:
				owners = append(owners, o)
			}
			seen[slotOwner(slot)] = true
		}
		return true
	})
	return owners, veths, err
}

// slotOwner is what a slot holds, without its NUL padding.
func slotOwner(slot []byte) string {
	if j := bytes.IndexByte(slot, 0); j >= 0 {
		slot = slot[:j]
	}
	return string(slot)
}

// ownerVeth is the veth of the container whose ID starts with id, if id
// is long enough to name one (a container ID is).
func ownerVeth(id string) (string, bool) {
	if len(id) < 11 {
		return "", false
	}
	return vethName(id), true
}

// linkGone says whether the link name does not exist.
func linkGone(name string) (bool, error) {
	_, err := netlink.LinkByName(name)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return true, nil
	}
	if err != nil {
		return false, errors.Wrapf(err, "find %s", name)
	}
	return false, nil
}
