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
		if err := useAuthSecretFile(c, text); err != nil {
			return err
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

// loadAuthSecret fills an empty AUTH_SECRET from DATA_DIR/auth_secret like
// loadSecrets, but never creates the file: a token signed with a secret no
// service has is of no use to anyone.
func loadAuthSecret(c *config) error {
	if c.AuthSecret != nil {
		return nil
	}
	text, found, err := readSecret(c.DataDir, "auth_secret")
	if err != nil {
		return err
	}
	if !found {
		return &configError{"AUTH_SECRET", fmt.Sprintf("not set, and %s does not exist: set AUTH_SECRET to the service's, "+
			"or DATA_DIR to the folder of a service that generated its own", filepath.Join(c.DataDir, "auth_secret"))}
	}
	return useAuthSecretFile(c, text)
}

// useAuthSecretFile makes the text of DATA_DIR/auth_secret the auth secret.
func useAuthSecretFile(c *config, text string) error {
	if len(text) < 32 {
		return fmt.Errorf("config: %s: too short: use at least 32 characters, or delete it to generate a new one", filepath.Join(c.DataDir, "auth_secret"))
	}
	c.AuthSecret = []byte(text)
	if legacy := legacyAuthSecret(text); legacy != nil {
		c.AuthPrevious = append(c.AuthPrevious, legacy)
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
	text, found, err := readSecret(dir, name)
	if err != nil || found {
		return text, err
	}
	text = generate()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("config: DATA_DIR: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("config: DATA_DIR: %w", err)
	}
	return text, nil
}

// readSecret returns the text kept in dir/name, and whether it exists.
func readSecret(dir, name string) (string, bool, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return strings.TrimSpace(string(b)), true, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	}
	return "", false, fmt.Errorf("config: DATA_DIR: read %s: %w", path, err)
}
