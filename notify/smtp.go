package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig configures an SMTP notifier.
type SMTPConfig struct {
	// URL names the server: smtp://user:pass@host:port, or smtps://… for
	// implicit TLS. The port defaults to 587 (smtp) or 465 (smtps). The query
	// parameter starttls=true requires STARTTLS, starttls=false never uses
	// it; without it STARTTLS is used whenever the server offers it. The
	// credentials, when given, are sent with AUTH PLAIN, which is refused on
	// an unencrypted connection to any host but localhost.
	URL string
	// From is the sender (NOTIFY_FROM): "no-reply@leafly.com" or
	// "Leafly <no-reply@leafly.com>". Its domain also names Message-IDs.
	From string
	// Timeout bounds one whole send, from dial to QUIT (30s when zero).
	Timeout time.Duration
	// TLSConfig is used for smtps and STARTTLS; nil trusts the system's
	// roots. An empty ServerName is set to the URL's host. Tests set it to
	// trust a self-signed certificate.
	TLSConfig *tls.Config
}

// SMTP is the Notifier that mails messages through an SMTP server, one
// connection per message.
type SMTP struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	starttls    *bool // nil: when offered
	auth        smtp.Auth
	from        *mail.Address
	domain      string // of From, for Message-IDs
	helo        string
	timeout     time.Duration
	tls         *tls.Config
}

var _ Notifier = (*SMTP)(nil)

// NewSMTP validates cfg and returns an SMTP notifier. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	s := &SMTP{timeout: cfg.Timeout, helo: "localhost"}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if err := s.parseURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("notify: SMTP URL: %w", err)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP From %q: %w", cfg.From, err)
	}
	s.from, s.domain = from, from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		s.tls = cfg.TLSConfig.Clone()
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		s.helo = h
	}
	return s, nil
}

// parseURL fills the connection fields from raw. Its errors never quote the
// URL, which may hold a password.
func (s *SMTP) parseURL(raw string) error {
	if raw == "" {
		return errors.New("empty: want smtp://user:pass@host:port or smtps://…")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.implicitTLS, port = true, "465"
	default:
		return fmt.Errorf("scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return errors.New("no host: want smtp://host:port")
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("unexpected path %q", u.Path)
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q out of range", p)
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if err := s.parseQuery(u.Query()); err != nil {
		return err
	}
	return s.parseUser(u.User)
}

func (s *SMTP) parseQuery(q url.Values) error {
	for k := range q {
		if k != "starttls" {
			return fmt.Errorf("unknown parameter %q: only starttls is known", k)
		}
	}
	v := q.Get("starttls")
	if v == "" {
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("starttls=%q: want true or false", v)
	}
	if s.implicitTLS {
		return errors.New("starttls does not apply to smtps, which is TLS from the start")
	}
	s.starttls = &on
	return nil
}

func (s *SMTP) parseUser(u *url.Userinfo) error {
	if u == nil {
		return nil
	}
	pass, ok := u.Password()
	switch {
	case u.Username() == "":
		return errors.New("credentials without a user name")
	case !ok:
		return fmt.Errorf("user %q has no password", u.Username())
	}
	s.auth = smtp.PlainAuth("", u.Username(), pass, s.host)
	return nil
}

// Notify mails m to m.To; a message without recipients is not sent. A
// recipient the server refuses for good is skipped: the others still get
// the message, and Notify then returns an error wrapping ErrRejected that
// names the refused ones. The Message-ID derives from m.ID, so a retry
// carries the Message-ID of the first attempt.
func (s *SMTP) Notify(ctx context.Context, m Message) error {
	if len(m.To) == 0 {
		return nil
	}
	to, err := parseRecipients(m.To)
	if err != nil {
		return fmt.Errorf("smtp %s %s: %w", m.Kind, m.ID, err)
	}
	msg := s.compose(m, to, time.Now())
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	refused, err := s.send(ctx, to, msg)
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("smtp %s %s: %v: %w", m.Kind, m.ID, err, ctx.Err())
	case err != nil:
		return fmt.Errorf("smtp %s %s: %w", m.Kind, m.ID, err)
	case len(refused) > 0:
		return fmt.Errorf("smtp %s %s: recipients refused: %s: %w", m.Kind, m.ID, strings.Join(refused, "; "), ErrRejected)
	}
	return nil
}

func parseRecipients(list []string) ([]*mail.Address, error) {
	to := make([]*mail.Address, 0, len(list))
	for _, a := range list {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %v: %w", a, err, ErrRejected)
		}
		to = append(to, addr)
	}
	return to, nil
}

// send runs one SMTP dialogue and returns the refusals of the recipients
// the server turned down for good.
func (s *SMTP) send(ctx context.Context, to []*mail.Address, msg []byte) ([]string, error) {
	c, stop, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	defer c.Close()
	if err := s.hello(c); err != nil {
		return nil, err
	}
	if err := c.Mail(s.from.Address); err != nil {
		return nil, fmt.Errorf("MAIL FROM: %w", err)
	}
	var refused []string
	for _, a := range to {
		err := c.Rcpt(a.Address)
		switch {
		case permanent(err):
			refused = append(refused, a.Address+": "+err.Error())
		case err != nil:
			return nil, fmt.Errorf("RCPT TO %s: %w", a.Address, err)
		}
	}
	if len(refused) == len(to) {
		return refused, nil
	}
	if err := data(c, msg); err != nil {
		return nil, err
	}
	_ = c.Quit() // the server has the message: a failed QUIT does not unsend it
	return refused, nil
}

// dial connects and reads the greeting. The connection's deadline follows
// ctx; stop releases the watch on ctx.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, func() bool, error) {
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.implicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	// net/smtp knows no context: when ctx ends (its deadline included), the
	// connection's deadline unblocks it, and ctx.Err() is already set.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("greeting: %w", err)
	}
	return c, stop, nil
}

// hello greets the server, upgrades to TLS as configured and authenticates.
func (s *SMTP) hello(c *smtp.Client) error {
	if err := c.Hello(s.helo); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !s.implicitTLS && (s.starttls == nil || *s.starttls) {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case offered:
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		case s.starttls != nil:
			return errors.New("starttls=true but the server does not offer STARTTLS")
		}
	}
	if s.auth == nil {
		return nil
	}
	ok, mechs := c.Extension("AUTH")
	if !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
		return fmt.Errorf("the server does not offer AUTH PLAIN (AUTH %q)", mechs)
	}
	if err := c.Auth(s.auth); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	return nil
}

func data(c *smtp.Client, msg []byte) error {
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); permanent(err) {
		return fmt.Errorf("DATA: %v: %w", err, ErrRejected)
	} else if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return nil
}

// permanent reports whether err is a 5xx reply: sending again is pointless.
func permanent(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500
}

// compose writes m as an RFC 5322 message with a quoted-printable UTF-8
// body.
func (s *SMTP) compose(m Message, to []*mail.Address, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", joinAddresses(to))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", s.messageID(m.ID))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: tells mailers not to answer with vacation replies.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(m.Text)) // writes to a bytes.Buffer do not fail
	_ = qp.Close()
	return b.Bytes()
}

func joinAddresses(to []*mail.Address) string {
	parts := make([]string, len(to))
	for i, a := range to {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",\r\n ")
}

// messageID derives the Message-ID from the message's idempotency key, so
// every attempt at the same notification carries the same one. A key that is
// not safe inside a Message-ID is hashed; a missing one is made up.
func (s *SMTP) messageID(id string) string {
	switch {
	case id == "":
		id = rand.Text()
	case !messageIDSafe(id):
		sum := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(sum[:16])
	}
	return "<notify." + id + "@" + s.domain + ">"
}

func messageIDSafe(id string) bool {
	if len(id) > 100 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// oneLine turns line breaks into spaces, so a value cannot end its header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
