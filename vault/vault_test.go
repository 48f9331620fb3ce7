package vault_test

import (
	"bytes"
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
