package network

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// Name resolution on user-created networks.
//
// Design: every running member of a user network has, in its /etc/hosts,
// a line for each other running member (its address, then its name, its
// short ID and its --network-alias names). The network store keeps the
// members of each network and rewrites every member's hosts file, in
// place, under the network lock, whenever one joins (starts) or leaves
// (stops, is removed). Docker and Podman run a DNS server per network
// instead; without a daemon that server would have to live in some
// container's monitor and die with it, or be a process of its own that
// nothing owns. Hosts files need no process at all, answer at once
// (the C library reads /etc/hosts before asking any server), cannot be
// reached from another network, and a name that leaves is gone from
// every file before stop or rm returns. Names the network does not know
// go on to the host's resolvers, from resolv.conf.

// Member is a running container on a user network, as the other members'
// hosts files show it.
type Member struct {
	IP    string   `json:"IP"`
	Names []string `json:"Names"` // name, short ID, aliases
	// Hosts is the container's hosts file on the host, bind-mounted at
	// its /etc/hosts; Base is what it says before its peers' lines.
	Hosts string `json:"Hosts"`
	Base  string `json:"Base"`
}

func (s *Store) membersPath(name string) string {
	return filepath.Join(s.dir, "members", name+".json")
}

func (s *Store) loadMembers(name string) (map[string]Member, error) {
	data, err := os.ReadFile(s.membersPath(name))
	if os.IsNotExist(err) {
		return map[string]Member{}, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "read members of network %s", name)
	}
	m := map[string]Member{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, errors.Wrapf(err, "corrupt members of network %s", name)
	}
	return m, nil
}

func (s *Store) saveMembers(name string, m map[string]Member) error {
	if err := os.MkdirAll(filepath.Dir(s.membersPath(name)), 0o700); err != nil {
		return errors.Wrap(err, "create network dir")
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode network members")
	}
	return utils.WriteFileAtomic(s.membersPath(name), data, 0o600)
}

// Join makes container id, now running on user network name, known to
// the network's other members by m.Names, and them to it.
func (s *Store) Join(name, id string, m Member) error {
	lock, err := s.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	members, err := s.loadMembers(name)
	if err != nil {
		return err
	}
	members[id] = m
	if err := s.saveMembers(name, members); err != nil {
		return err
	}
	return rewriteHosts(members)
}

// Leave removes container id from every network's members and its names
// from the other members' hosts files. A container that never joined is
// not an error.
func (s *Store) Leave(id string) error {
	lock, err := s.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	names, err := s.names("members")
	if err != nil {
		return err
	}
	for _, name := range names {
		members, err := s.loadMembers(name)
		if err != nil {
			// As Release: one unreadable file must not make every
			// container unstoppable; network rm removes it.
			log.Debugf("skipping network members: %v", err)
			continue
		}
		if _, ok := members[id]; !ok {
			continue
		}
		delete(members, id)
		if err := s.saveMembers(name, members); err != nil {
			return err
		}
		if err := rewriteHosts(members); err != nil {
			return err
		}
	}
	return nil
}

// rewriteHosts writes every member's hosts file: its own lines, then one
// line per other member, sorted by address so the files are stable.
func rewriteHosts(members map[string]Member) error {
	ids := make([]string, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := members[ids[i]], members[ids[j]]
		if a.IP != b.IP {
			return a.IP < b.IP
		}
		return ids[i] < ids[j]
	})
	for _, self := range ids {
		var b strings.Builder
		b.WriteString(members[self].Base)
		for _, other := range ids {
			if other != self {
				m := members[other]
				b.WriteString(m.IP + "\t" + strings.Join(m.Names, " ") + "\n")
			}
		}
		if err := writeInPlace(members[self].Hosts, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// writeInPlace replaces the content of the file at path without replacing
// the file: it is bind-mounted into a running container, which keeps
// seeing the inode it was given (a rename would leave it the old file).
// The new content goes over the old before the file is cut to length, so
// a reader never finds it empty; a file already gone (its container
// removed meanwhile) is skipped.
func writeInPlace(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOFOLLOW, 0)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "open %s", path)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	return errors.Wrapf(f.Truncate(int64(len(content))), "truncate %s", path)
}
