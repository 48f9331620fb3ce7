package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// loadSecrets fills the secrets the environment left empty from files under
// DATA_DIR, generating and keeping them on first start, so a restart keeps
// tokens valid and stored credentials readable.
func loadSecrets(c *config) error {
	var err error
	if c.AuthSecret == nil {
		if c.AuthSecret, err = keptSecret(c.DataDir, "auth_secret"); err != nil {
			return err
		}
	}
	if c.EncryptionKey == nil {
		if c.EncryptionKey, err = keptSecret(c.DataDir, "encryption_key"); err != nil {
			return err
		}
	}
	return nil
}

// keptSecret returns the 32 random bytes kept in dir/name, creating them.
func keptSecret(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) != 32 {
			return nil, fmt.Errorf("config: %s: not 32 base64-encoded bytes; delete it to generate a new one", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: DATA_DIR: read %s: %w", path, err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("config: DATA_DIR: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("config: DATA_DIR: %w", err)
	}
	return key, nil
}
