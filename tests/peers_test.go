package tests

// mydocker's images against real peers: Debian's docker-registry, skopeo
// and podman (see peers_helpers_test.go). What one tool writes, the other
// reads and runs, with the same files, modes, owners and links.

import (
	"strings"
	"testing"
)

// TestPeersReferenceImage checks the peers on their own: the registry
// serves what skopeo copies into it, and podman runs the image with the
// facts peerCheckWant states, so the tests of mydocker below compare
// against what real tools make of the same bytes.
func TestPeersReferenceImage(t *testing.T) {
	img := peersImage(t)
	r := startRegistry(t, false)
	ref := pushPeerImage(t, r, "peers/multi:1")
	p := newPodman(t)
	p.run("pull", "-q", "--tls-verify=false", ref)
	if got := p.runContainer(ref, "sh", "-c", peerCheck); got != peerCheckWant {
		t.Fatalf("podman run of the peers image:\n%s\nwant:\n%s", got, peerCheckWant)
	}
	id := strings.TrimSpace(p.run("image", "inspect", "--format", "{{.ID}}", ref))
	if "sha256:"+id != img.id {
		t.Fatalf("podman's image ID %s, want the config digest %s", id, img.id)
	}
}

// TestPeersRegistryAuth checks the htpasswd registry refuses anonymous
// clients and accepts its user.
func TestPeersRegistryAuth(t *testing.T) {
	r := startRegistry(t, true)
	ref := pushPeerImage(t, r, "peers/auth:1")
	if out, errOut, err := execPeer(nil, "skopeo", "inspect", "--tls-verify=false", "docker://"+ref); err == nil {
		t.Fatalf("anonymous skopeo inspect of %s succeeded: %s", ref, out)
	} else if !strings.Contains(errOut, "authentication required") && !strings.Contains(errOut, "unauthorized") {
		t.Fatalf("anonymous skopeo inspect: %v: %s", err, errOut)
	}
	skopeo(t, "inspect", "--tls-verify=false", "--creds", r.creds(), "docker://"+ref)
}
