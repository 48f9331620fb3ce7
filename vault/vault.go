// Package vault encrypts secrets at rest (Lightspeed access and refresh
// tokens) with AES-256-GCM under the service's ENCRYPTION_KEY. A sealed
// value is the id of the key that sealed it, a colon, and base64 of a random
// nonce followed by the ciphertext; it reveals nothing of the secret and
// cannot be altered without Open noticing. The key id lets a vault that
// knows a previous key (during a rotation) open values of either key.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Vault seals with its current key and opens values sealed with it or with
// a previous key.
type Vault struct {
	keys []key // the current key first
}

// key is one AES-GCM key and its id.
type key struct {
	id   string
	aead cipher.AEAD
}

// New returns a Vault that seals with the 32-byte current key and also
// opens values sealed with the previous ones.
func New(current []byte, previous ...[]byte) (*Vault, error) {
	v := &Vault{}
	for _, k := range append([][]byte{current}, previous...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("vault: key must be 32 bytes, got %d", len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		v.keys = append(v.keys, key{id: keyID(k), aead: aead})
	}
	return v, nil
}

// keyID names a key in the values it seals: 8 hex digits of a hash, enough
// to tell a handful of keys apart and nothing about the key.
func keyID(k []byte) string {
	sum := sha256.Sum256(append([]byte("leafly vault key id\x00"), k...))
	return hex.EncodeToString(sum[:4])
}

// Seal encrypts plaintext with the current key.
func (v *Vault) Seal(plaintext string) string {
	k := v.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(plaintext), nil))
}

// Current reports whether sealed was sealed with the current key: a value
// that is not can be re-sealed (Reseal) before the previous key is dropped.
func (v *Vault) Current(sealed string) bool {
	return strings.HasPrefix(sealed, v.keys[0].id+":")
}

// Reseal returns sealed re-sealed with the current key, unchanged when it
// already is.
func (v *Vault) Reseal(sealed string) (string, error) {
	if v.Current(sealed) {
		return sealed, nil
	}
	plain, err := v.Open(sealed)
	if err != nil {
		return "", err
	}
	return v.Seal(plain), nil
}

// ErrCorrupt is returned for a sealed value that was altered or sealed with
// a key the vault does not have.
var ErrCorrupt = errors.New("vault: sealed value is corrupt or was sealed with another key")

// Open decrypts a value Seal returned. A value without a key id (sealed
// before ids existed) is tried with every key.
func (v *Vault) Open(sealed string) (string, error) {
	id, body, ok := strings.Cut(sealed, ":")
	if !ok {
		body = sealed
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return "", ErrCorrupt
	}
	for _, k := range v.keys {
		if ok && k.id != id {
			continue
		}
		if plain, err := open(k.aead, raw); err == nil {
			return plain, nil
		}
	}
	return "", ErrCorrupt
}

func open(aead cipher.AEAD, raw []byte) (string, error) {
	n := aead.NonceSize()
	if len(raw) < n {
		return "", ErrCorrupt
	}
	plain, err := aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}
