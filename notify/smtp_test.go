package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/leafly/lightspeed-orders/notify"
)

// received is one message as the test server got it.
type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

// mailServer is a real SMTP server (github.com/emersion/go-smtp) that keeps
// what it receives.
type mailServer struct {
	Addr string
	Cert *x509.Certificate // set when the server speaks TLS

	user, pass string // AUTH PLAIN credentials; none when empty
	refuse     string // a recipient refused with 550

	mu   sync.Mutex
	msgs []received
	got  chan struct{}
}

type serverOptions struct {
	User, Pass string
	Refuse     string
	StartTLS   bool // offer STARTTLS
	Implicit   bool // TLS from the first byte (smtps)
}

// MustStartSMTP starts a mail server on a loopback port and stops it when
// the test ends.
func MustStartSMTP(tb testing.TB, opts serverOptions) *mailServer {
	tb.Helper()
	ms := &mailServer{user: opts.User, pass: opts.Pass, refuse: opts.Refuse, got: make(chan struct{}, 16)}
	srv := smtp.NewServer(ms)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ms.Addr = ln.Addr().String()
	if opts.StartTLS || opts.Implicit {
		var cfg *tls.Config
		ms.Cert, cfg = mustSelfSigned(tb)
		if opts.Implicit {
			ln = tls.NewListener(ln, cfg)
		} else {
			srv.TLSConfig = cfg
		}
	} else {
		srv.AllowInsecureAuth = true
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("close SMTP server: %v", err)
		}
		if err := <-served; err != nil {
			tb.Errorf("serve SMTP: %v", err)
		}
	})
	return ms
}

// Wait returns the n-th message received (from 0), failing after a deadline.
func (ms *mailServer) Wait(tb testing.TB, n int) received {
	tb.Helper()
	deadline := time.After(5 * time.Second)
	for {
		ms.mu.Lock()
		if len(ms.msgs) > n {
			defer ms.mu.Unlock()
			return ms.msgs[n]
		}
		ms.mu.Unlock()
		select {
		case <-ms.got:
		case <-deadline:
			tb.Fatalf("got %d messages, want at least %d", len(ms.msgs), n+1)
		}
	}
}

func (ms *mailServer) Count() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return len(ms.msgs)
}

func (ms *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{ms: ms, conn: c}, nil
}

type session struct {
	ms   *mailServer
	conn *smtp.Conn
	msg  received
}

func (s *session) AuthMechanisms() []string {
	if s.ms.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ms.user || pass != s.ms.pass {
			return errors.New("invalid credentials")
		}
		s.msg.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.user != "" && s.msg.User == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.ms.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := s.msg
	msg.Data = data
	_, msg.TLS = s.conn.TLSConnectionState()
	s.ms.mu.Lock()
	s.ms.msgs = append(s.ms.msgs, msg)
	s.ms.mu.Unlock()
	s.ms.got <- struct{}{}
	return nil
}

func (s *session) Reset()        { s.msg = received{User: s.msg.User} }
func (s *session) Logout() error { return nil }

// mustSelfSigned makes a certificate for 127.0.0.1 and localhost.
func mustSelfSigned(tb testing.TB) (*x509.Certificate, *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "notify test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// trusting is a client TLS config that trusts only cert.
func trusting(cert *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool}
}

func MustNewSMTP(tb testing.TB, cfg notify.SMTPConfig) *notify.SMTP {
	tb.Helper()
	if cfg.From == "" {
		cfg.From = "Leafly <no-reply@leafly.example>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	s, err := notify.NewSMTP(cfg)
	if err != nil {
		tb.Fatalf("NewSMTP: %v", err)
	}
	return s
}

// MustParse parses a received message and decodes its body.
func MustParse(tb testing.TB, r received) (*mail.Message, string) {
	tb.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(r.Data)))
	if err != nil {
		tb.Fatalf("parse message: %v\n%s", err, r.Data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		tb.Fatalf("decode body: %v", err)
	}
	return msg, strings.ReplaceAll(string(body), "\r\n", "\n")
}

var testMessage = notify.Message{
	ID:      "0197a3c2-outbox-1",
	Kind:    notify.KindOrderStatus,
	To:      []string{"shopper@example.com"},
	Subject: "Your Leafly order from Café Verde is ready for pickup",
	Text: "Your order L-1 from Café Verde is ready for pickup.\n\n" +
		"A line long enough to be wrapped by quoted-printable encoding, with = signs and more words than fit.\n",
}

func TestSMTP(t *testing.T) {
	t.Run("Plain", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr})
		if err := s.Notify(context.Background(), testMessage); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		r := ms.Wait(t, 0)
		if r.From != "no-reply@leafly.example" || len(r.To) != 1 || r.To[0] != "shopper@example.com" {
			t.Errorf("envelope: got from %q to %q, want no-reply@leafly.example to [shopper@example.com]", r.From, r.To)
		}
		msg, body := MustParse(t, r)
		checkHeaders(t, msg)
		if body != testMessage.Text {
			t.Errorf("body: got %q, want %q", body, testMessage.Text)
		}
	})
	t.Run("AuthPlain", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{User: "mailer", Pass: "s3cret"})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://mailer:s3cret@" + ms.Addr})
		if err := s.Notify(context.Background(), testMessage); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if r := ms.Wait(t, 0); r.User != "mailer" {
			t.Errorf("authenticated user: got %q, want mailer", r.User)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{User: "mailer", Pass: "s3cret"})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://mailer:wrong@" + ms.Addr})
		if err := s.Notify(context.Background(), testMessage); err == nil {
			t.Fatal("Notify with a wrong password: got nil error")
		}
	})
	t.Run("StartTLS", func(t *testing.T) {
		for _, query := range []string{"", "?starttls=true"} {
			ms := MustStartSMTP(t, serverOptions{User: "mailer", Pass: "s3cret", StartTLS: true})
			s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://mailer:s3cret@" + ms.Addr + query, TLSConfig: trusting(ms.Cert)})
			if err := s.Notify(context.Background(), testMessage); err != nil {
				t.Fatalf("Notify%s: %v", query, err)
			}
			if r := ms.Wait(t, 0); !r.TLS || r.User != "mailer" {
				t.Errorf("query %q: got TLS %v user %q, want TLS and user mailer", query, r.TLS, r.User)
			}
		}
	})
	t.Run("StartTLSOff", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{StartTLS: true})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr + "?starttls=false"})
		if err := s.Notify(context.Background(), testMessage); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if r := ms.Wait(t, 0); r.TLS {
			t.Error("starttls=false: got a TLS session")
		}
	})
	t.Run("ErrStartTLSNotOffered", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr + "?starttls=true"})
		err := s.Notify(context.Background(), testMessage)
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Notify: got %v, want an error about STARTTLS", err)
		}
		if ms.Count() != 0 {
			t.Error("the message was sent without TLS")
		}
	})
	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{StartTLS: true})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr})
		if err := s.Notify(context.Background(), testMessage); err == nil {
			t.Fatal("Notify to a self-signed server without trusting it: got nil error")
		}
	})
	t.Run("ImplicitTLS", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{User: "mailer", Pass: "s3cret", Implicit: true})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtps://mailer:s3cret@" + ms.Addr, TLSConfig: trusting(ms.Cert)})
		if err := s.Notify(context.Background(), testMessage); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if r := ms.Wait(t, 0); !r.TLS || r.User != "mailer" {
			t.Errorf("got TLS %v user %q, want TLS and user mailer", r.TLS, r.User)
		}
	})
	t.Run("MessageIDStable", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr})
		other := testMessage
		other.ID = "0197a3c2-outbox-2"
		for _, m := range []notify.Message{testMessage, testMessage, other} {
			if err := s.Notify(context.Background(), m); err != nil {
				t.Fatalf("Notify: %v", err)
			}
		}
		ids := make([]string, 3)
		for i := range ids {
			msg, _ := MustParse(t, ms.Wait(t, i))
			ids[i] = msg.Header.Get("Message-ID")
		}
		if ids[0] != ids[1] {
			t.Errorf("retry of one message: got Message-IDs %q and %q, want equal", ids[0], ids[1])
		}
		if ids[0] == ids[2] {
			t.Errorf("two messages: got the same Message-ID %q", ids[0])
		}
	})
	t.Run("RecipientRefused", func(t *testing.T) {
		ms := MustStartSMTP(t, serverOptions{Refuse: "gone@example.com"})
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + ms.Addr})
		m := testMessage
		m.To = []string{"staff@example.com", "gone@example.com"}
		err := s.Notify(context.Background(), m)
		if !errors.Is(err, notify.ErrRejected) || !strings.Contains(err.Error(), "gone@example.com") {
			t.Fatalf("Notify: got %v, want ErrRejected naming gone@example.com", err)
		}
		if r := ms.Wait(t, 0); len(r.To) != 1 || r.To[0] != "staff@example.com" {
			t.Errorf("delivered to %q, want [staff@example.com]", r.To)
		}
	})
	t.Run("ErrInvalidRecipient", func(t *testing.T) {
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + closedAddr(t)})
		m := testMessage
		m.To = []string{"not an address"}
		if err := s.Notify(context.Background(), m); !errors.Is(err, notify.ErrRejected) {
			t.Fatalf("Notify: got %v, want ErrRejected", err)
		}
	})
	t.Run("NoRecipients", func(t *testing.T) {
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + closedAddr(t)})
		m := testMessage
		m.To = nil
		if err := s.Notify(context.Background(), m); err != nil {
			t.Fatalf("Notify without recipients: got %v, want nil (nothing sent)", err)
		}
	})
	t.Run("ErrConnectionRefused", func(t *testing.T) {
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + closedAddr(t)})
		err := s.Notify(context.Background(), testMessage)
		if err == nil || errors.Is(err, notify.ErrRejected) {
			t.Fatalf("Notify to a closed port: got %v, want a retryable error", err)
		}
	})
	t.Run("ErrSilentServer", func(t *testing.T) {
		addr := silentServer(t)
		s := MustNewSMTP(t, notify.SMTPConfig{URL: "smtp://" + addr, Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := s.Notify(ctx, testMessage)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Notify to a server that never greets: got %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Notify returned after %v, want soon after the context's deadline", d)
		}
	})
}

func checkHeaders(t *testing.T, msg *mail.Message) {
	t.Helper()
	raw := msg.Header.Get("Subject")
	if !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("raw Subject %q: want RFC 2047 encoding for non-ASCII text", raw)
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || got != testMessage.Subject {
		t.Errorf("Subject: got %q (%v), want %q", got, err, testMessage.Subject)
	}
	if from, err := msg.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "no-reply@leafly.example" || from[0].Name != "Leafly" {
		t.Errorf("From: got %v (%v), want Leafly <no-reply@leafly.example>", from, err)
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "shopper@example.com" {
		t.Errorf("To: got %v (%v), want shopper@example.com", to, err)
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date: got %v (%v), want about now", d, err)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@leafly.example>") {
		t.Errorf("Message-ID: got %q, want <…@leafly.example>", id)
	}
	want := map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// silentServer accepts connections and never says a word.
func silentServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		name, url, from, want string
	}{
		{"ErrEmptyURL", "", "a@b.example", "empty"},
		{"ErrScheme", "http://mail.example:25", "a@b.example", `scheme "http"`},
		{"ErrNoHost", "smtp://:25", "a@b.example", "no host"},
		{"ErrOpaque", "localhost:25", "a@b.example", ""},
		{"ErrPort", "smtp://mail.example:99999", "a@b.example", "port"},
		{"ErrPath", "smtp://mail.example/inbox", "a@b.example", "path"},
		{"ErrStartTLSValue", "smtp://mail.example?starttls=maybe", "a@b.example", "starttls"},
		{"ErrStartTLSWithSMTPS", "smtps://mail.example?starttls=true", "a@b.example", "smtps"},
		{"ErrUnknownParameter", "smtp://mail.example?tls=on", "a@b.example", `"tls"`},
		{"ErrNoPassword", "smtp://user@mail.example", "a@b.example", "no password"},
		{"ErrNoFrom", "smtp://mail.example", "", "From"},
		{"ErrBadFrom", "smtp://mail.example", "not an address", "From"},
		{"ErrPasswordNotLeaked", "smtp://user:hunter2@mail.example:port", "a@b.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.NewSMTP(notify.SMTPConfig{URL: tt.url, From: tt.from})
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("got %q, which leaks the password", err)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		for _, u := range []string{"smtp://mail.example", "smtp://u:p@mail.example:2525?starttls=false", "smtps://u:p@mail.example", "smtp://[::1]:25?starttls=true"} {
			if _, err := notify.NewSMTP(notify.SMTPConfig{URL: u, From: "Leafly <no-reply@leafly.example>"}); err != nil {
				t.Errorf("NewSMTP(%q): %v", u, err)
			}
		}
	})
}
