package pos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Lightspeed's webhooks: received, checked, their sale re-read and applied
// in the transaction that keeps them, or kept with a job that applies it
// (salefeed.go) when that cannot be done at once; the bodies kept are
// pruned after a while.

// Webhook errors, each answered with its own HTTP status.
var (
	ErrUnknownConnection = errors.New("no connection has this webhook URL")
	ErrBadSignature      = errors.New("webhook signature missing or wrong")
	ErrMalformedWebhook  = errors.New("webhook body is not a form with a JSON payload")
)

// webhookToken matches what randomToken makes, with room to spare: anything
// else (a NUL, which PostgreSQL cannot even compare) names no connection.
var webhookToken = regexp.MustCompile(`^[0-9a-f]{1,64}$`)

// ReceiveWebhook checks a Lightspeed webhook posted to the connection's URL
// and keeps it. The signature is verified over the raw body before anything
// else of it is read. The sale is re-read, so the payload is only a hint:
// at once for an order in the POS (see applyInline), else by a job kept
// with the webhook. A webhook that cannot be news to an order (see
// ignoreWebhook) and a copy of a body already kept are acknowledged without
// a row, a job or a call: kept is false. Nothing is acknowledged before it
// is kept: Lightspeed sends again a webhook answered with an error.
func (p *Pipeline) ReceiveWebhook(ctx context.Context, token string, body []byte, signature string) (kept bool, err error) {
	if !webhookToken.MatchString(token) {
		return false, ErrUnknownConnection
	}
	// Copies that arrive together are one webhook: the first is read and
	// kept, and the others wait for it and are copies of a body kept (or
	// fail with it, to be sent again). They join before the read, so that
	// no copy reads the store before the first is kept and keeps it again
	// after: a copy that comes later reads it kept. The signature is part
	// of the key: a copy signed otherwise is checked on its own.
	first := false
	v, err, _ := p.webhooks.Do(token+" "+signature+" "+string(body), func() (any, error) {
		first = true
		return p.receiveWebhook(ctx, token, body, signature)
	})
	if !first {
		return false, err
	}
	return v.(bool), err
}

// receiveWebhook is ReceiveWebhook for the first of a webhook's copies.
func (p *Pipeline) receiveWebhook(ctx context.Context, token string, body []byte, signature string) (kept bool, err error) {
	c, hint, hook, o, err := p.webhookTarget(ctx, token, body, signature)
	if err != nil {
		return false, err
	}
	if why := ignoreWebhook(hint, o); why != "" {
		p.log.DebugContext(ctx, "lightspeed webhook ignored", "store", c.StoreID, "sale", hint.ID, "version", hint.Version, "why", why)
		return false, nil
	}
	return p.keepWebhook(ctx, c, o, hint, hook)
}

// webhookTarget reads the connection token names, the sale the body
// names and its order: in one statement when the body is signed and names
// a sale. An unknown token is refused before a bad signature, and that
// before a body that names no sale.
func (p *Pipeline) webhookTarget(ctx context.Context, token string, body []byte, signature string) (domain.Credentials, saleHint, storage.Webhook, storage.SaleOrder, error) {
	var hint saleHint
	refused := ErrBadSignature
	if p.signedBy(body, signature) {
		hint, refused = webhookSale(body)
	}
	if refused != nil {
		_, err := p.db.CredentialsByWebhookToken(ctx, token)
		switch {
		case errors.Is(err, storage.ErrNotConnected):
			refused = ErrUnknownConnection
		case err != nil:
			refused = err
		}
		return domain.Credentials{}, hint, storage.Webhook{}, storage.SaleOrder{}, refused
	}
	c, hook, o, err := p.db.WebhookTarget(ctx, token, hint.ID, string(body))
	if errors.Is(err, storage.ErrNotConnected) {
		err = ErrUnknownConnection
	}
	return c, hint, hook, o, err
}

// keepWebhook applies the webhook's sale at once for an order in the POS,
// in the transaction that keeps it. While the order's send is still
// recording the sale, it keeps the webhook and hands its version to the
// send (see Pipeline.sent), which has the sale re-read if it records an
// older one; a send that recorded the sale meanwhile, this version or a
// newer one, needs nothing more. The sale Lightspeed announces as it makes
// it (nearly every order's) then costs no job and no call. Otherwise, or
// when the inline application fails, it keeps the webhook with a job,
// which applies the sale.
func (p *Pipeline) keepWebhook(ctx context.Context, c domain.Credentials, o storage.SaleOrder, hint saleHint, hook storage.Webhook) (kept bool, err error) {
	if o.PosState == domain.PosSent && !p.stale(c) {
		if kept, ok := p.applyInline(ctx, c, o.OrderID, hook); ok {
			return kept, nil
		}
	}
	return p.db.SaveWebhook(ctx, hook, func(tx storage.Tx) error {
		if o.PosState == domain.PosQueued {
			// Under the order's row lock, which the send's recording
			// takes too: either the send sees the hint, or it has
			// recorded the sale by now, maybe this very version.
			state, recorded, err := tx.LockSaleOrder(o.OrderID)
			switch {
			case err != nil:
				return err
			case state == domain.PosQueued:
				return tx.HintSale(o.OrderID, hint.hinted())
			case state == domain.PosSent && hint.hinted() <= recorded:
				return nil
			}
		}
		sqlTx, err := tx.SQL()
		if err != nil {
			return err
		}
		_, err = p.queue.InsertTx(ctx, sqlTx, applySaleArgs{StoreID: c.StoreID, SaleID: hint.ID, Version: hint.Version}, nil)
		return err
	})
}

// inlineBudget bounds the inline re-read of a webhook's sale, well within
// the 5 seconds Lightspeed gives a webhook's answer.
const inlineBudget = 2 * time.Second

// applyInline re-reads the webhook's sale and, in one transaction, keeps the
// webhook, applies the sale to the order and records the calls that read
// it. ok is false when any of that failed: nothing of it is kept but the
// calls, and the caller keeps the webhook with a job. The calls are
// interactive and bounded by inlineBudget: they neither wait for
// Lightspeed's rate limit nor use the budget kept for sending orders. The
// order's update (and its events' publication) is not bounded by the
// budget, as in the job. It applies a version of the sale at most once,
// so a copy of the webhook let through by another replica changes nothing.
func (p *Pipeline) applyInline(ctx context.Context, c domain.Credentials, orderID string, hook storage.Webhook) (kept, ok bool) {
	ctx, writeTrail := p.forOrder(context.WithoutCancel(ctx), orderID)
	defer writeTrail()
	snap, err := p.readInline(ctx, c, *hook.SaleID)
	if err == nil {
		err = p.applySale(ctx, orderID, snap, func(tx storage.Tx) error {
			return tx.SaveWebhook(hook, func() { kept = true })
		})
	}
	if err != nil {
		p.log.InfoContext(ctx, "sale not applied inline: a job will", "store", c.StoreID, "sale", *hook.SaleID, "err", err)
		return false, false
	}
	return kept, true
}

// readInline reads the sale with interactive calls within inlineBudget.
func (p *Pipeline) readInline(ctx context.Context, c domain.Credentials, saleID string) (domain.Sale, error) {
	ctx, cancel := context.WithTimeout(lssync.Interactive(ctx), inlineBudget)
	defer cancel()
	t, err := p.targetOf(ctx, c)
	if err != nil {
		return domain.Sale{}, err
	}
	return p.readSale(ctx, t, saleID)
}

// implausibleGap is how far a webhook's version may run ahead of the
// highest version the service knows for the store (its sales-feed cursor or
// the order's sale version). Lightspeed's version is one counter bumped by
// every change; the documentation's example stands near 1.7e9, so a gap of
// 2^40 (1.1e12) between two of its changes is no real update.
const implausibleGap = 1 << 40

// ignoreWebhook says why a webhook cannot be news to the order its sale was
// made for, or "" when it may be. Dropping it loses no real change: the
// sale is the truth, read again on the next webhook with a newer version
// and by the sales feed (Reconcile), which never relies on webhooks. A
// payload without a version (Lightspeed does not document one) may always
// be news; its copies are caught by their identical body.
func ignoreWebhook(h saleHint, o storage.SaleOrder) string {
	switch {
	case o.OrderID == "":
		return "not a sale of the service"
	case o.PosState != domain.PosSent && o.PosState != domain.PosQueued:
		return "the order is not in the POS"
	case o.Kept:
		return "a copy of a webhook kept"
	case !h.Versioned:
		return ""
	case h.Version <= 0:
		return "implausible version"
	case h.Version-implausibleGap > max(o.SaleVersion, o.SalesCursor):
		return "implausible version"
	case h.Version <= o.SaleVersion:
		return "version already applied"
	}
	return ""
}

// signedBy checks X-Signature ("signature=<v>,algorithm=HMAC-SHA256"): the
// HMAC-SHA256 of the raw body keyed by the client secret, as hex or base64
// (Lightspeed does not document which), compared in constant time.
func (p *Pipeline) signedBy(body []byte, header string) bool {
	var sig, alg string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "signature":
			sig = v
		case "algorithm":
			alg = v
		}
	}
	if sig == "" || (alg != "" && !strings.EqualFold(alg, "HMAC-SHA256")) {
		return false
	}
	mac := hmac.New(sha256.New, []byte(p.clientSecret))
	mac.Write(body)
	sum := mac.Sum(nil)
	for _, want := range []string{hex.EncodeToString(sum), base64.StdEncoding.EncodeToString(sum)} {
		if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1 {
			return true
		}
	}
	return false
}

// saleHint is what a webhook says of a sale: its id and, when the payload
// carries one, its version.
type saleHint struct {
	ID string
	// Version is the payload's version of the sale; Versioned is false when
	// it has none, or none that reads as a whole number (a number or a
	// string of digits: the legacy payloads' types are not documented).
	Version   int64
	Versioned bool
}

// unversioned is the hinted version of a webhook without one: newer than
// any version a send records, so the sale is re-read.
const unversioned = math.MaxInt64

// hinted is the version the hint announces, unversioned when it has none.
func (h saleHint) hinted() int64 {
	if !h.Versioned {
		return unversioned
	}
	return h.Version
}

// webhookSale reads the sale hint from the form's payload field.
func webhookSale(body []byte) (saleHint, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return saleHint{}, ErrMalformedWebhook
	}
	var p struct {
		ID      string          `json:"id"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil || p.ID == "" || len(p.ID) > 100 {
		return saleHint{}, ErrMalformedWebhook
	}
	h := saleHint{ID: p.ID}
	v, err := strconv.ParseInt(strings.Trim(string(p.Version), `"`), 10, 64)
	if err == nil {
		h.Version, h.Versioned = v, true
	}
	return h, nil
}

// pruneWebhooksArgs asks for the webhook bodies older than Retention to be
// deleted.
type pruneWebhooksArgs struct {
	Retention time.Duration `json:"retention"`
}

func (pruneWebhooksArgs) Kind() string { return "prune_webhooks" }

type pruneWebhooksWorker struct {
	river.WorkerDefaults[pruneWebhooksArgs]
	p *Pipeline
}

func (w *pruneWebhooksWorker) Work(ctx context.Context, job *river.Job[pruneWebhooksArgs]) error {
	n, err := w.p.db.PruneWebhooks(ctx, w.p.now().Add(-job.Args.Retention))
	if err != nil {
		return fmt.Errorf("prune webhooks: %w", err)
	}
	if n > 0 {
		w.p.log.InfoContext(ctx, "old lightspeed webhooks pruned", "count", n, "retention", job.Args.Retention.String())
	}
	return nil
}

// pruneWebhooksJob deletes webhook bodies older than retention every hour,
// or every retention when that is shorter, and at start (replicas that
// restart more often than hourly still prune).
func pruneWebhooksJob(retention time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(min(retention, time.Hour)),
		func() (river.JobArgs, *river.InsertOpts) { return pruneWebhooksArgs{Retention: retention}, nil },
		&river.PeriodicJobOpts{ID: "prune_webhooks", RunOnStart: true})
}
