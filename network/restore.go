package network

import (
	"net"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"

	"mydocker/utils"
)

// RestoreBridges makes again the bridge, gateway address and rules of
// every network of this root whose bridge is gone: a reboot keeps the
// networks' records but not their links and rules, and no container can
// join a network without its bridge. start --all-restartable calls it
// before starting what the restart policies want running. A network
// whose subnet a host route took meanwhile is not restored (one warning).
func (s *Store) RestoreBridges() error {
	lock, err := s.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := s.recover(); err != nil {
		return err
	}
	names, err := s.names("networks")
	if err != nil {
		return err
	}
	for _, name := range names {
		n, err := s.get(name)
		if err != nil {
			log.Warn(err)
			continue
		}
		if _, err := netlink.LinkByName(n.Bridge); err == nil {
			continue
		}
		if err := s.restoreBridge(n); err != nil {
			log.Warnf("network %s not restored: %v", n.Name, err)
		}
	}
	return nil
}

func (s *Store) restoreBridge(n *Network) error {
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return errors.Wrapf(err, "subnet of %s", n.Name)
	}
	hostLock, err := lockSubnets()
	if err != nil {
		return err
	}
	defer hostLock.Unlock()
	routes, err := hostRoutes()
	if err != nil {
		return err
	}
	for _, r := range routes {
		if overlaps(subnet, r.dst) {
			return errors.Errorf("subnet %s overlaps host route %s on %s", subnet, r.dst, r.dev)
		}
	}
	// Rules left without their bridge (it alone was deleted) go first,
	// so none is doubled.
	own := s.owner(n)
	if err := teardownBridge(n, own); err != nil {
		return err
	}
	log.Infof("restoring bridge %s of network %s", n.Bridge, n.Name)
	if err := setupBridge(n, own); err != nil {
		return utils.JoinCleanup(err, "cleaning up", teardownBridge(n, own))
	}
	return nil
}
