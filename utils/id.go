package utils

import (
	"encoding/hex"

	"golang.org/x/sys/unix"
)

// NewID returns a random 64-hex-digit ID, as Docker's container IDs are.
// The bytes come from getrandom(2), the kernel's generator that
// crypto/rand reads too: linking crypto/rand for it would bring the whole
// crypto module's initialisation into every program that uses utils,
// init among them.
func NewID() string {
	b := make([]byte, 32)
	for n := 0; n < len(b); {
		m, err := unix.Getrandom(b[n:], 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Only a kernel before 3.17 lacks it, and mydocker needs
			// newer ones for much else.
			panic("getrandom: " + err.Error())
		}
		n += m
	}
	return hex.EncodeToString(b)
}

// ShortID is the 12-digit form shown by ps and used as the default hostname.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
