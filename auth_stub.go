package main

import "github.com/google/go-containerregistry/pkg/authn"

// keychain is where pull and push find registry credentials.
func keychain() authn.Keychain { return authn.DefaultKeychain }
