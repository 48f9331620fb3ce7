package app

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
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Status changes back from Lightspeed: webhooks as hints, the sale re-read,
// and a periodic poll of the sales feed for what webhooks missed.

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
// and queues its processing. The signature is verified over the raw body
// before anything else of it is read; the raw event is kept; the sale is
// re-read by the job, so the payload is only a hint. A webhook that cannot
// be news to an order (see ignoreWebhook) and a copy of a body already kept
// are acknowledged without a row, a job or a call: kept is false.
func (a *App) ReceiveWebhook(ctx context.Context, token string, body []byte, signature string) (kept bool, err error) {
	if !webhookToken.MatchString(token) {
		return false, ErrUnknownConnection
	}
	c, err := a.db.CredentialsByWebhookToken(ctx, token)
	if errors.Is(err, storage.ErrNotConnected) {
		return false, ErrUnknownConnection
	}
	if err != nil {
		return false, err
	}
	if !a.signedBy(body, signature) {
		return false, ErrBadSignature
	}
	hint, err := webhookSale(body)
	if err != nil {
		return false, err
	}
	o, err := a.db.SaleOrder(ctx, c.StoreID, hint.ID)
	if err != nil {
		return false, err
	}
	if why := ignoreWebhook(hint, o); why != "" {
		a.log.DebugContext(ctx, "lightspeed webhook ignored", "store", c.StoreID, "sale", hint.ID, "version", hint.Version, "why", why)
		return false, nil
	}
	return a.db.SaveWebhook(ctx, c.StoreID, &hint.ID, string(body), func(tx storage.Tx) error {
		return a.insertJobs(ctx, tx, []river.JobArgs{applySaleArgs{StoreID: c.StoreID, SaleID: hint.ID, Version: hint.Version}})
	})
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
func (a *App) signedBy(body []byte, header string) bool {
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
	mac := hmac.New(sha256.New, []byte(a.clientSecret))
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

// applySaleArgs asks for one sale to be re-read and applied to its order.
type applySaleArgs struct {
	StoreID string `json:"store_id"`
	SaleID  string `json:"sale_id"`
	// Version is the webhook's version of the sale, 0 when unknown.
	Version int64 `json:"version,omitempty"`
}

func (applySaleArgs) Kind() string { return "apply_sale" }

// InsertOpts collapse the copies of a webhook Lightspeed sends.
func (applySaleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

type applySaleWorker struct {
	backoffDefaults[applySaleArgs]
	app *App
}

func (w *applySaleWorker) Work(ctx context.Context, job *river.Job[applySaleArgs]) error {
	return cancelUnreadable(w.app.ApplySaleByID(ctx, job.Args.StoreID, job.Args.SaleID, job.Args.Version))
}

// ApplySaleByID re-reads a sale and applies it to the order it was made
// for. Sales the service did not make are ignored, and so, without a call,
// is a webhook that is no news to the order (the creation of the sale the
// service made, or a copy of a webhook). While the order's send is still
// recording the sale, the job comes back a second later: the change is
// news only if it is newer than what the send records.
func (a *App) ApplySaleByID(ctx context.Context, storeID, saleID string, version int64) error {
	orderID, err := a.db.OrderIDBySale(ctx, storeID, saleID)
	if err != nil || orderID == "" {
		return err
	}
	ctx, writeTrail := a.forOrder(ctx, orderID)
	defer writeTrail()
	news, recording, err := a.saleNews(ctx, orderID, version)
	switch {
	case err != nil:
		return err
	case recording:
		return river.JobSnooze(time.Second)
	case !news:
		return nil
	}
	t, err := a.target(ctx, storeID)
	if err != nil {
		return err
	}
	sale, err := a.ls.GetSale(ctx, t, saleID)
	if lssync.IsNotFound(err) {
		return a.applySale(ctx, orderID, domain.Sale{Deleted: true, Version: 1 << 62})
	}
	if err != nil {
		return err
	}
	snap, err := a.snapshot(ctx, t, sale)
	if err != nil {
		return err
	}
	return a.applySale(ctx, orderID, snap)
}

// saleNews reports whether this version of its sale (0: unknown) is news to
// the order, so that what is not costs no Lightspeed call: only an order in
// the POS that has not seen the version takes it. recording is true while
// the order's send has made the sale but not recorded it yet.
func (a *App) saleNews(ctx context.Context, orderID string, version int64) (news, recording bool, err error) {
	o, err := a.db.ReadOrder(ctx, orderID, false)
	if err != nil {
		return false, false, err
	}
	switch o.PosSync.State {
	case domain.PosQueued:
		return false, true, nil
	case domain.PosSent:
		return version <= 0 || version > o.PosSync.SaleVersion, false, nil
	}
	return false, false, nil
}

// snapshot reduces a sale to what the mapping reads, asking for its
// fulfillments only while the sale is pending (packed is their news).
func (a *App) snapshot(ctx context.Context, t lssync.Target, sale lssync.Sale) (domain.Sale, error) {
	snap := domain.Sale{State: sale.State, Deleted: sale.DeletedAt != "", Version: sale.Version}
	if sale.State != lssync.StatePending || snap.Deleted {
		return snap, nil
	}
	fs, err := a.ls.Fulfillments(ctx, t, sale.ID)
	if err != nil {
		return snap, err
	}
	for _, f := range fs {
		snap.Packed = snap.Packed || domain.FulfillmentPacked(f.State)
	}
	return snap, nil
}

// applySale moves the order as the sale says, unless the order has seen a
// newer version of the sale. Backward, repeated and unknown states change
// nothing and are logged.
func (a *App) applySale(ctx context.Context, orderID string, sale domain.Sale) error {
	var changes []domain.StatusChange
	o, evs, err := a.changeOrder(ctx, orderID, func(o *domain.Order) ([]river.JobArgs, error) {
		if o.PosSync.State != domain.PosSent || (sale.Version != 0 && sale.Version <= o.PosSync.SaleVersion) {
			return nil, nil
		}
		o.PosSync.SaleVersion = max(o.PosSync.SaleVersion, sale.Version)
		changes = o.ApplySale(sale, a.now())
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("apply sale to order %s: %w", orderID, err)
	}
	if len(changes) == 0 {
		a.log.DebugContext(ctx, "sale change ignored", "order", orderID, "state", sale.State, "packed", sale.Packed, "version", sale.Version, "status", o.Status)
		return nil
	}
	a.publish(ctx, evs)
	a.log.InfoContext(ctx, "order status from lightspeed", "order", orderID, "status", o.Status, "version", sale.Version)
	return nil
}

// reconcileArgs asks for one store's sales feed to be read.
type reconcileArgs struct {
	StoreID string `json:"store_id"`
}

func (reconcileArgs) Kind() string { return "reconcile_sales" }

// InsertOpts keep one pending reconciliation per store.
func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	app *App
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[reconcileArgs]) error {
	return cancelUnreadable(w.app.Reconcile(ctx, job.Args.StoreID))
}

// reconcileAllArgs asks for the feed of every store whose integration is
// on and healthy to be read: a degraded store's calls would only fail, and
// its recovery reads the feed.
type reconcileAllArgs struct{}

func (reconcileAllArgs) Kind() string { return "reconcile_all" }

func (reconcileAllArgs) stores(ctx context.Context, a *App) ([]string, error) {
	return a.db.IntegratedStores(ctx, domain.HealthHealthy)
}

func (reconcileAllArgs) perStore(storeID string) (river.JobArgs, string) {
	return reconcileArgs{StoreID: storeID}, "reconciliation"
}

// salesPageSize is how many sales one call of the reconciliation reads.
const salesPageSize = 500

// Reconcile reads the store's sales changed since its cursor and applies
// those the service made, catching the changes no webhook announced. The
// cursor is kept in the database.
func (a *App) Reconcile(ctx context.Context, storeID string) error {
	t, err := a.target(ctx, storeID)
	if err != nil {
		a.observe(ctx, storeID, err)
		return err
	}
	cursor, err := a.db.SalesCursor(ctx, storeID)
	if err != nil {
		return err
	}
	for {
		page, err := a.ls.SalesAfter(ctx, t, cursor, salesPageSize)
		a.observe(ctx, storeID, err)
		if err != nil {
			return err
		}
		if len(page.Sales) == 0 || page.MaxVersion <= cursor {
			return nil
		}
		if err := a.applyPage(ctx, t, storeID, page.Sales); err != nil {
			return err
		}
		cursor = page.MaxVersion
		if err := a.db.SetSalesCursor(ctx, storeID, cursor); err != nil {
			return err
		}
	}
}

func (a *App) applyPage(ctx context.Context, t lssync.Target, storeID string, sales []lssync.Sale) error {
	for _, sale := range sales {
		orderID, err := a.db.OrderIDBySale(ctx, storeID, sale.ID)
		if err != nil {
			return err
		}
		if orderID == "" {
			continue
		}
		news, _, err := a.saleNews(ctx, orderID, sale.Version)
		if err != nil {
			return err
		}
		if !news {
			continue
		}
		snap, err := a.snapshot(ctx, t, sale)
		if err != nil {
			return err
		}
		if err := a.applySale(ctx, orderID, snap); err != nil {
			return err
		}
	}
	return nil
}
