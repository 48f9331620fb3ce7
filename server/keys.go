package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/leafly/lightspeed-orders/storage"
	"github.com/leafly/lightspeed-orders/vault"
)

// openVault returns the vault of ENCRYPTION_KEY (and ENCRYPTION_KEY_PREVIOUS)
// after checking that the database's tokens were sealed with one of them.
func openVault(ctx context.Context, cfg config, db *storage.DB) (*vault.Vault, error) {
	var previous [][]byte
	if cfg.EncryptionKeyPrevious != nil {
		previous = append(previous, cfg.EncryptionKeyPrevious)
	}
	v, err := vault.New(cfg.EncryptionKey, previous...)
	if err != nil {
		return nil, fmt.Errorf("config: ENCRYPTION_KEY: %w", err)
	}
	open := func(sealed string) error { _, err := v.Open(sealed); return err }
	if err := db.CheckKey(ctx, open, func() string { return v.Seal("key check") }); err != nil {
		return nil, fmt.Errorf("config: ENCRYPTION_KEY: %w (give every replica the key the database was first used with; "+
			"to rotate, the new key with the old one as ENCRYPTION_KEY_PREVIOUS until `server rekey` has run)", err)
	}
	return v, nil
}

// rekey implements `server rekey`: it re-seals every stored Lightspeed token
// and the key check value with ENCRYPTION_KEY (opening them with it or
// ENCRYPTION_KEY_PREVIOUS) while replicas keep running. Once it has
// finished, ENCRYPTION_KEY_PREVIOUS can be dropped.
func rekey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if err := parseFlags(newFlags("rekey", stdout), args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if err := loadSecrets(&cfg); err != nil {
		return err
	}
	db, err := storage.Open(ctx, storage.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := openVault(ctx, cfg, db)
	if err != nil {
		return err
	}
	done, err := db.Reseal(ctx, func(sealed string) (string, error) {
		out, err := v.Reseal(sealed)
		if errors.Is(err, vault.ErrCorrupt) {
			return "", storage.ErrUnreadable
		}
		return out, err
	})
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	fmt.Fprintf(stdout, "rekey: %d sealed values re-sealed with ENCRYPTION_KEY; ENCRYPTION_KEY_PREVIOUS can now be dropped\n", done.Values)
	if len(done.Unreadable) > 0 {
		fmt.Fprintf(stdout, "rekey: no key opens the tokens of these stores, left as they are (they must reconnect Lightspeed): %s\n", strings.Join(done.Unreadable, ", "))
	}
	return nil
}
