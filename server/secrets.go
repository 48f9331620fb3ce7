package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// loadSecrets fills the secrets the environment left empty from files under
// DATA_DIR, generating and keeping them on first start, so a restart keeps
// tokens valid and stored credentials readable. Each file holds exactly the
// text its variable would hold: AUTH_SECRET=$(cat DATA_DIR/auth_secret) on
// another replica accepts the same tokens.
func loadSecrets(c *config) error {
	if c.AuthSecret == nil {
		text, err := keptSecret(c.DataDir, "auth_secret", func() string { return hex.EncodeToString(randomKey()) })
		if err != nil {
			return err
		}
		if len(text) < 32 {
			return fmt.Errorf("config: %s: too short: use at least 32 characters, or delete it to generate a new one", filepath.Join(c.DataDir, "auth_secret"))
		}
		c.AuthSecret = []byte(text)
		if legacy := legacyAuthSecret(text); legacy != nil {
			c.AuthPrevious = append(c.AuthPrevious, legacy)
		}
	}
	if c.EncryptionKey == nil {
		text, err := keptSecret(c.DataDir, "encryption_key", func() string { return base64.StdEncoding.EncodeToString(randomKey()) })
		if err != nil {
			return err
		}
		if c.EncryptionKey, err = base64.StdEncoding.DecodeString(text); err != nil || len(c.EncryptionKey) != 32 {
			return fmt.Errorf("config: %s: not 32 base64-encoded bytes; delete it to generate a new one", filepath.Join(c.DataDir, "encryption_key"))
		}
	}
	return nil
}

// legacyAuthSecret is the key an auth_secret file written before its text
// was the secret stood for: the 32 bytes its base64 text decodes to. Tokens
// signed with it are still accepted, so upgrading logs nobody out; new
// tokens are signed with the text. Generated files now hold hex, never
// this form.
func legacyAuthSecret(text string) []byte {
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != 32 {
		return nil
	}
	return key
}

func randomKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return key
}

// keptSecret returns the text kept in dir/name (without surrounding
// space, as the variable is read), creating it with generate.
func keptSecret(dir, name string, generate func() string) (string, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("config: DATA_DIR: read %s: %w", path, err)
	}
	text := generate()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("config: DATA_DIR: %w", err)
	}
	if err := os.WriteFile(path, []byte(text+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("config: DATA_DIR: %w", err)
	}
	return text, nil
}
