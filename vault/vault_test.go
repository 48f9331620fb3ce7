package vault_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/vault"
)

func TestSealOpen(t *testing.T) {
	v, err := vault.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := v.Seal("lsxs_secret_token")
	if strings.Contains(sealed, "secret") || sealed == v.Seal("lsxs_secret_token") {
		t.Fatalf("sealed value %q reveals the secret or is deterministic", sealed)
	}
	got, err := v.Open(sealed)
	if err != nil || got != "lsxs_secret_token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := vault.New(bytes.Repeat([]byte{8}, 32))
	for name, bad := range map[string]string{"OtherKey": sealed, "Garbage": "!!", "Short": "AAAA", "Tampered": sealed[:len(sealed)-4] + "AAAA"} {
		vv := v
		if name == "OtherKey" {
			vv = other
		}
		if _, err := vv.Open(bad); !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := vault.New([]byte("short")); err == nil {
		t.Error("New accepted a short key")
	}
}

// legacySeal seals as the vault did before key ids: base64 of nonce and
// ciphertext, no prefix.
func legacySeal(t *testing.T, key []byte, plaintext string) string {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	return base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plaintext), nil))
}

// TestRotation: a vault given the previous key opens values of both keys
// (with or without a key id) and seals with the current one; Reseal moves a
// value to the current key; a vault without the previous key opens none of
// its values.
func TestRotation(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := vault.New(k1)
	rotating, err := vault.New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := vault.New(k2)
	byOld, legacy := old.Seal("old-token"), legacySeal(t, k1, "legacy-token")
	for sealed, want := range map[string]string{byOld: "old-token", legacy: "legacy-token", rotating.Seal("new-token"): "new-token"} {
		if got, err := rotating.Open(sealed); err != nil || got != want {
			t.Errorf("rotating Open(%q) = %q, %v; want %q", sealed, got, err, want)
		}
	}
	if rotating.Current(byOld) || rotating.Current(legacy) || !rotating.Current(rotating.Seal("x")) {
		t.Error("Current does not tell the current key's values from the others")
	}
	if got, _ := old.Open(legacy); got != "legacy-token" {
		t.Errorf("a value sealed before key ids: Open = %q with its own key", got)
	}
	for _, sealed := range []string{byOld, legacy} {
		resealed, err := rotating.Reseal(sealed)
		if err != nil || !rotating.Current(resealed) {
			t.Fatalf("Reseal(%q) = %q, %v", sealed, resealed, err)
		}
		if _, err := fresh.Open(resealed); err != nil {
			t.Errorf("the current key alone cannot open the re-sealed value: %v", err)
		}
		if _, err := fresh.Open(sealed); !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("the current key alone opened a value of the previous key: %v", err)
		}
	}
	if _, err := vault.New(k2, []byte("short")); err == nil {
		t.Error("New accepted a short previous key")
	}
}
