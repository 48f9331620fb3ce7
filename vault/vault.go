// Package vault encrypts secrets at rest (Lightspeed access and refresh
// tokens) with AES-256-GCM under the service's ENCRYPTION_KEY. A sealed
// value is base64 of a random nonce followed by the ciphertext; it reveals
// nothing of the secret and cannot be altered without Open noticing.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Vault seals and opens secrets with one key.
type Vault struct {
	aead cipher.AEAD
}

// New returns a Vault for a 32-byte key.
func New(key []byte) (*Vault, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("vault: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return &Vault{aead: aead}, nil
}

// Seal encrypts plaintext.
func (v *Vault) Seal(plaintext string) string {
	nonce := make([]byte, v.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(v.aead.Seal(nonce, nonce, []byte(plaintext), nil))
}

// ErrCorrupt is returned for a sealed value that was altered or sealed with
// another key.
var ErrCorrupt = errors.New("vault: sealed value is corrupt or was sealed with another key")

// Open decrypts a value Seal returned.
func (v *Vault) Open(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := v.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", ErrCorrupt
	}
	plain, err := v.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}
