package utils

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random 64-hex-digit ID, as Docker's container IDs are.
func NewID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
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
