package pos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzWebhook feeds the webhook intake arbitrary bodies and signature
// headers: it never panics, accepts a header only when it carries the
// body's HMAC (hex or base64), and reads a sale id only from a form whose
// payload is JSON with one.
func FuzzWebhook(f *testing.F) {
	const secret = "fuzz-secret"
	p := &Pipeline{clientSecret: secret}
	mac := func(body string) []byte {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return m.Sum(nil)
	}
	body := `payload=%7B%22id%22%3A%22sale-1%22%2C%22version%22%3A7%7D&domain_prefix=demo`
	f.Add(body, "signature="+hex.EncodeToString(mac(body))+",algorithm=HMAC-SHA256")
	f.Add(body, "algorithm=HMAC-SHA256, signature="+base64.StdEncoding.EncodeToString(mac(body)))
	f.Add(body, "signature=abc")
	f.Add("payload=not-json", "")
	f.Add("%zz", "algorithm=MD5,signature=")
	f.Add("payload=%7B%22id%22%3A12%7D", "signature=")
	f.Fuzz(func(t *testing.T, body, header string) {
		sum := mac(body)
		if p.signedBy([]byte(body), header) &&
			!strings.Contains(header, hex.EncodeToString(sum)) && !strings.Contains(header, base64.StdEncoding.EncodeToString(sum)) {
			t.Fatalf("accepted header %q for body %q", header, body)
		}
		hint, err := webhookSale([]byte(body))
		if err == nil && (hint.ID == "" || len(hint.ID) > 100) {
			t.Fatalf("read sale id %q from %q", hint.ID, body)
		}
	})
}
