// Package network gives containers bridge networks, as the series builds
// them: a Linux bridge per network with the gateway address, a veth pair
// per container, an address allocator (IPAM) persisted under the state
// root, and iptables rules for outgoing NAT and published ports.
package network

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"

	"mydocker/constant"
	"mydocker/utils"
)

// DefaultName is the network `--network bridge` uses, created on first use.
const DefaultName = "bridge"

// Network is one bridge network.
type Network struct {
	Name    string    `json:"Name"`
	Driver  string    `json:"Driver"`
	Subnet  string    `json:"Subnet"`
	Gateway string    `json:"Gateway"`
	Bridge  string    `json:"Bridge"`
	Created time.Time `json:"Created"`
	// Status is "creating" from before the bridge is made until it is
	// complete; empty once the network is ready.
	Status string `json:"Status,omitempty"`
}

// statusCreating marks a network whose creation has not finished. Create
// holds the store lock throughout, so whoever takes the lock and finds
// such a record knows its creator died (SIGKILL, power loss) and rolls
// it back: nothing a killed create made is ever left without a record.
const statusCreating = "creating"

// Store keeps networks and their address pools under <root>/network.
type Store struct {
	dir  string
	root string
}

// NewStore returns the network store of a state root.
func NewStore(root string) *Store {
	return &Store{dir: constant.Layout{Root: root}.NetworkDir(), root: root}
}

func (s *Store) netPath(name string) string  { return filepath.Join(s.dir, "networks", name+".json") }
func (s *Store) poolPath(name string) string { return filepath.Join(s.dir, "ipam", name+".json") }

// lock serialises every change to networks and address pools, so parallel
// runs never get the same address.
func (s *Store) lock() (*utils.FileLock, error) { return utils.Lock(filepath.Join(s.dir, ".lock")) }

// validName: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}
func validName(name string) bool { return utils.IsName(name) && len(name) <= 64 }

// Every mydocker bridge, of any state root, is named bridgePrefix and a
// hash, so one iptables interface pattern matches them all: that is how a
// network is isolated from the others, including other roots' networks.
const (
	bridgePrefix  = "mdbr"
	bridgePattern = bridgePrefix + "+"
)

// bridgeName derives a bridge name unique to this state root and network
// (interface names have at most 15 bytes).
func (s *Store) bridgeName(name string) string {
	sum := sha256.Sum256([]byte(s.root + "\x00" + name))
	return bridgePrefix + hex.EncodeToString(sum[:])[:10]
}

// Get reads network name; one still being created does not exist yet.
func (s *Store) Get(name string) (*Network, error) {
	n, err := s.get(name)
	if err == nil && n.Status == statusCreating {
		return nil, errors.Errorf("no such network: %s", name)
	}
	return n, err
}

func (s *Store) get(name string) (*Network, error) {
	if !validName(name) {
		return nil, errors.Errorf("no such network: %s", name)
	}
	data, err := os.ReadFile(s.netPath(name))
	if os.IsNotExist(err) {
		return nil, errors.Errorf("no such network: %s", name)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "read network %s", name)
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, errors.Wrapf(err, "corrupt network %s", name)
	}
	return &n, nil
}

// List returns every network, sorted by name. A file that cannot be read
// comes back as an error beside the good networks (a network whose
// address pool is unreadable is listed and reported), so one bad file
// never hides the rest.
func (s *Store) List() ([]*Network, []error) {
	names, err := s.names("networks")
	if err != nil {
		return nil, []error{err}
	}
	var out []*Network
	var errs []error
	for _, name := range names {
		n, err := s.get(name)
		if err == nil && n.Status == statusCreating {
			continue // not made yet, or rolled back by the next change
		}
		if err != nil {
			if _, serr := os.Stat(s.netPath(name)); os.IsNotExist(serr) {
				continue // removed while we listed
			}
			errs = append(errs, errors.Errorf("skipping network %s (network rm %s removes it): %v", name, name, errors.Cause(err)))
			continue
		}
		if _, err := s.loadPool(name); err != nil {
			errs = append(errs, errors.Errorf("network %s: %v (network rm %s removes it)", name, err, name))
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errs
}

// names lists the names of the JSON files in a directory of the store.
func (s *Store) names(sub string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, sub))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "read %s", filepath.Join(s.dir, sub))
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && !strings.HasPrefix(name, ".") {
			out = append(out, name)
		}
	}
	return out, nil
}

// Create makes a bridge network: the bridge with its gateway address, the
// NAT rule for the subnet's outgoing traffic, forwarding enabled. A name
// in use, a bad subnet or one that overlaps another network or a host
// route is refused before anything is made.
func (s *Store) Create(name, driver, subnet string) (*Network, error) {
	lock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := s.recover(); err != nil {
		return nil, err
	}
	if name == None || name == Host {
		return nil, errors.Errorf("network name %s is reserved: --network %s needs no network", name, name)
	}
	return s.create(name, driver, subnet)
}

// recover rolls back every network whose create was killed: its bridge,
// its rules and its files. The caller holds the store lock.
func (s *Store) recover() error {
	_, err := s.recoverNames()
	return err
}

// recoverNames is recover, also saying which networks it rolled back.
func (s *Store) recoverNames() (map[string]bool, error) {
	names, err := s.names("networks")
	if err != nil {
		return nil, err
	}
	rolled := map[string]bool{}
	for _, name := range names {
		n, err := s.get(name)
		if err != nil || n.Status != statusCreating {
			continue
		}
		log.Debugf("rolling back network %s, whose creation was interrupted", name)
		if err := s.destroy(n); err != nil {
			return nil, errors.Wrapf(err, "roll back interrupted creation of network %s", name)
		}
		rolled[name] = true
	}
	return rolled, nil
}

// destroy removes n's bridge and rules, then its files, so that a
// destroy interrupted in turn leaves the record to retry from.
func (s *Store) destroy(n *Network) error {
	if err := teardownBridge(n, s.owner(n)); err != nil {
		return err
	}
	if n.Bridge != n.Name && UserDefined(n.Name) && validIfName(n.Name) {
		// An unreadable record stands in with the generated name; the
		// bridge may have the network's (deleted only if ours).
		named := &Network{Name: n.Name, Bridge: n.Name}
		if err := teardownBridge(named, s.owner(named)); err != nil {
			return err
		}
	}
	if err := utils.RemoveAllUnmounted(s.linksDir(n.Name)); err != nil {
		return errors.Wrapf(err, "remove addresses of %s", n.Name)
	}
	if err := os.Remove(s.slotsPath(n.Name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove addresses of %s", n.Name)
	}
	if err := os.Remove(s.poolPath(n.Name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove address pool of %s", n.Name)
	}
	if err := os.Remove(s.membersPath(n.Name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove members of %s", n.Name)
	}
	if err := os.Remove(s.netPath(n.Name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove network %s", n.Name)
	}
	return nil
}

func (s *Store) create(name, driver, subnet string) (*Network, error) {
	if !validName(name) {
		return nil, errors.Errorf("invalid network name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	if driver != "bridge" {
		return nil, errors.Errorf("invalid driver %q: only bridge is supported", driver)
	}
	if _, err := os.Stat(s.netPath(name)); err == nil {
		return nil, errors.Errorf("network %s already exists", name)
	}
	ipnet, err := ParseSubnetOrGateway(subnet)
	if err != nil {
		return nil, err
	}
	gw, err := Gateway(ipnet)
	if err != nil {
		return nil, err
	}
	bridge := s.bridgeName(name)
	// A bridge with this root's and name's bridge name but no record was
	// left by an older mydocker killed mid-create: it is ours to remove.
	if _, err := netlink.LinkByName(bridge); err == nil {
		leftover := &Network{Name: name, Bridge: bridge}
		if err := teardownBridge(leftover, s.owner(leftover)); err != nil {
			return nil, errors.Wrapf(err, "remove leftover bridge of network %s", name)
		}
	}
	// The subnet is checked against the host's routes, which include
	// other state roots' bridges, and taken by giving our bridge its
	// address; other roots' mydockers do the same under their own store
	// locks, so this machine-wide lock keeps two from choosing one subnet
	// between check and take.
	hostLock, err := lockSubnets()
	if err != nil {
		return nil, err
	}
	defer hostLock.Unlock()
	if err := s.checkOverlap(ipnet); err != nil {
		return nil, err
	}
	if bridge, err = s.chooseBridge(name); err != nil {
		return nil, err
	}
	n := &Network{Name: name, Driver: driver, Subnet: ipnet.String(), Gateway: gw.String(),
		Bridge: bridge, Created: time.Now().UTC(), Status: statusCreating}
	// The record comes first, so a create killed at any later point
	// leaves a record that names everything to roll back.
	if err := s.save(n, &Pool{Subnet: n.Subnet, Allocated: map[string]string{}}); err != nil {
		return nil, s.rollback(n, err)
	}
	if err := setupBridge(n, s.owner(n)); err != nil {
		return nil, s.rollback(n, err)
	}
	n.Status = ""
	if err := s.save(n, nil); err != nil {
		return nil, s.rollback(n, err)
	}
	return n, nil
}

// rollback undoes a create that failed with cause.
func (s *Store) rollback(n *Network, cause error) error {
	return utils.JoinCleanup(cause, "cleaning up", s.destroy(n))
}

// ParseSubnetOrGateway is ParseSubnet that also takes the subnet written
// as its gateway address with the prefix, as the series writes it:
// 192.168.10.1/24 is the network 192.168.10.0/24, whose gateway is
// .1. Any other host address (10.1.0.7/24) is still refused: it names no
// address mydocker would give the gateway, so it is likely a typo.
func ParseSubnetOrGateway(s string) (*net.IPNet, error) {
	ip, ipnet, err := net.ParseCIDR(s)
	if err == nil && ip.To4() != nil && !ip.Equal(ipnet.IP) {
		if gw, gerr := Gateway(ipnet); gerr == nil && gw.Equal(ip) {
			return ParseSubnet(ipnet.String())
		}
	}
	return ParseSubnet(s)
}

// ParseSubnet parses an IPv4 CIDR, requiring the network address itself
// (10.1.0.0/24, not 10.1.0.7/24).
func ParseSubnet(s string) (*net.IPNet, error) {
	ip, ipnet, err := net.ParseCIDR(s)
	if err != nil || ip.To4() == nil {
		return nil, errors.Errorf("invalid subnet %q: want an IPv4 CIDR such as 10.10.0.0/24", s)
	}
	if !ip.Equal(ipnet.IP) {
		if gw, err := Gateway(ipnet); err == nil {
			ones, _ := ipnet.Mask.Size()
			return nil, errors.Errorf("invalid subnet %q: did you mean %s (or %s/%d, its gateway, as the series writes it)?", s, ipnet, gw, ones)
		}
		return nil, errors.Errorf("invalid subnet %q: did you mean %s?", s, ipnet)
	}
	if ip.IsLoopback() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
		return nil, errors.Errorf("invalid subnet %q: not a unicast network", s)
	}
	if _, _, _, err := hostRange(ipnet); err != nil {
		return nil, err
	}
	return ipnet, nil
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

func (s *Store) checkOverlap(ipnet *net.IPNet) error {
	// An unreadable network is skipped: its bridge still has its subnet's
	// route, which the host route check below finds.
	nets, _ := s.List()
	for _, n := range nets {
		_, other, err := net.ParseCIDR(n.Subnet)
		if err == nil && overlaps(ipnet, other) {
			return errors.Errorf("subnet %s overlaps network %s (%s)", ipnet, n.Name, n.Subnet)
		}
	}
	routes, err := hostRoutes()
	if err != nil {
		return err
	}
	for _, r := range routes {
		if overlaps(ipnet, r.dst) {
			return errors.Errorf("subnet %s overlaps host route %s on %s", ipnet, r.dst, r.dev)
		}
	}
	return nil
}

func (s *Store) save(n *Network, p *Pool) error {
	for _, d := range []string{filepath.Dir(s.netPath(n.Name)), filepath.Dir(s.poolPath(n.Name))} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return errors.Wrap(err, "create network dir")
		}
	}
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode network")
	}
	if err := utils.WriteFileAtomic(s.netPath(n.Name), data, 0o600); err != nil {
		return err
	}
	if p != nil {
		return s.savePool(n.Name, p)
	}
	return nil
}

func (s *Store) loadPool(name string) (*Pool, error) {
	data, err := os.ReadFile(s.poolPath(name))
	if err != nil {
		return nil, errors.Wrapf(err, "read address pool of %s", name)
	}
	var p Pool
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, errors.Wrapf(err, "corrupt address pool of %s", name)
	}
	if p.Allocated == nil {
		p.Allocated = map[string]string{}
	}
	return &p, nil
}

func (s *Store) savePool(name string, p *Pool) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode address pool")
	}
	return utils.WriteFileAtomic(s.poolPath(name), data, 0o600)
}

// Remove deletes network name: its bridge, its rules and its state. It is
// refused while containers hold addresses in it.
func (s *Store) Remove(name string) error { return s.RemoveFreeing(name, nil) }

// RemoveFreeing is Remove, first freeing the addresses of the holders
// stopped says have stopped for good (exited, or gone without a record):
// a stopped container keeps its address only to get it back on start,
// and as in Docker it must not keep the network from being removed.
// The network package cannot read container records, so the caller
// says which holders those are.
func (s *Store) RemoveFreeing(name string, stopped func(id string) bool) error {
	lock, err := s.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rolled, err := s.recoverNames()
	if err != nil {
		return err
	}
	if rolled[name] {
		// Its create was killed (a run making the default network,
		// say): rolling it back has removed it.
		return nil
	}
	n, err := s.Get(name)
	if err != nil {
		if !validName(name) {
			return err
		}
		// An unreadable record, or a bridge an older mydocker killed
		// mid-create left with none, still names what to remove: the
		// bridge name derives from the network's.
		orphan := &Network{Name: name, Bridge: s.bridgeName(name)}
		if _, serr := os.Stat(s.netPath(name)); serr == nil {
			log.Warnf("removing network %s with unreadable record: %v", name, errors.Cause(err))
		} else if _, lerr := netlink.LinkByName(orphan.Bridge); lerr != nil {
			return err
		}
		n = orphan
	}
	if p, err := s.loadPool(name); err == nil {
		// The addresses go with the network: only holders still running
		// keep it (an unusable pool, with a bad subnet, holds none).
		var held, departing []string
		if a, err := s.addrs(name, p); err != nil {
			log.Warnf("network %s: %v", name, err)
		} else if held, departing, err = a.owners(); err != nil {
			// Who holds an address is unknown: a running holder
			// would lose its network.
			return errors.Wrapf(err, "network %s", name)
		}
		var owners []string
		for _, o := range held {
			if stopped == nil || !stopped(o) {
				owners = append(owners, o)
			}
		}
		if len(owners) > 0 {
			sort.Strings(owners)
			short := make([]string, len(owners))
			for i, o := range owners {
				short[i] = utils.ShortID(o)
			}
			return errors.Errorf("network %s is in use by container(s) %s: remove them first", name, strings.Join(short, ", "))
		}
		// Removed containers whose veths the kernel has yet to take
		// away with their namespaces: gone before their bridge is.
		for _, veth := range departing {
			if err := awaitLinkGone(veth); err != nil {
				return errors.Wrapf(err, "network %s", name)
			}
		}
	}
	return s.destroy(n)
}

// Resolve returns network name, creating the default network with a free
// private subnet on first use.
func (s *Store) Resolve(name string) (*Network, error) {
	if name != DefaultName {
		return s.Get(name)
	}
	// Once made, the default network is found without the store lock,
	// so parallel runs do not queue here; one still being made (or left
	// half made by a killed run) is not ready, and takes the lock below.
	if n, err := s.Get(name); err == nil {
		return n, nil
	}
	lock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := s.recover(); err != nil {
		return nil, err
	}
	if n, err := s.Get(name); err == nil {
		return n, nil
	}
	for _, cand := range defaultSubnets() {
		_, ipnet, _ := net.ParseCIDR(cand)
		if s.checkOverlap(ipnet) != nil {
			continue
		}
		n, err := s.create(name, "bridge", cand)
		if err != nil && strings.Contains(err.Error(), "overlaps") {
			continue // taken by another root since we looked
		}
		return n, err
	}
	return nil, errors.New("no free private subnet for the default network: create one with network create")
}

// subnetLockPath is the machine-wide lock of subnet choice, shared by
// every state root.
const subnetLockPath = "/run/mydocker-subnets.lock"

func lockSubnets() (*utils.FileLock, error) { return utils.Lock(subnetLockPath) }

// defaultSubnets are tried in order for the default network: Docker's
// default pools (172.17-31.0.0/16, 192.168.0-240.0/20), then, for a
// machine running many state roots at once (each has its own default
// network), /24s of 10.128.0.0/10.
func defaultSubnets() []string {
	var out []string
	for i := 17; i <= 31; i++ {
		out = append(out, "172."+strconv.Itoa(i)+".0.0/16")
	}
	for i := 0; i < 256; i += 16 {
		out = append(out, "192.168."+strconv.Itoa(i)+".0/20")
	}
	for i := 128; i < 192; i++ {
		for j := 0; j < 256; j += 64 {
			out = append(out, "10."+strconv.Itoa(i)+"."+strconv.Itoa(j)+".0/24")
		}
	}
	return out
}
