//go:build !notransfer

package main

import (
	"github.com/google/go-containerregistry/pkg/authn"

	"mydocker/registry"
)

// keychain is where pull and push find registry credentials: login's.
func keychain() authn.Keychain { return registry.Keychain() }
