package pos

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestWebhookSaleVersion reads the payload's version whatever its JSON type:
// whether Lightspeed's legacy payloads carry one, and as what, is not
// documented, and a version that does not read is no reason to drop a change.
func TestWebhookSaleVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, payload string
		want          saleHint
	}{
		{"Number", `{"id":"s","version":3000000042}`, saleHint{ID: "s", Version: 3000000042, Versioned: true}},
		{"String", `{"id":"s","version":"3000000042"}`, saleHint{ID: "s", Version: 3000000042, Versioned: true}},
		{"Zero", `{"id":"s","version":0}`, saleHint{ID: "s", Version: 0, Versioned: true}},
		{"Negative", `{"id":"s","version":-5}`, saleHint{ID: "s", Version: -5, Versioned: true}},
		{"Absent", `{"id":"s","status":"CLOSED"}`, saleHint{ID: "s"}},
		{"Null", `{"id":"s","version":null}`, saleHint{ID: "s"}},
		{"Fraction", `{"id":"s","version":1.5}`, saleHint{ID: "s"}},
		{"Word", `{"id":"s","version":"new"}`, saleHint{ID: "s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := webhookSale([]byte(url.Values{"payload": {c.payload}}.Encode()))
			if err != nil || got != c.want {
				t.Errorf("webhookSale(%s) = %+v, %v; want %+v", c.payload, got, err, c.want)
			}
		})
	}
}

// TestIgnoreWebhook is the replay rule: what cannot be news to an order is
// ignored; a newer plausible version, and one without a version, may be.
func TestIgnoreWebhook(t *testing.T) {
	t.Parallel()
	sent := storage.SaleOrder{OrderID: "o", PosState: domain.PosSent, SaleVersion: 3_000_000_100, SalesCursor: 3_000_000_500}
	v := func(n int64) saleHint { return saleHint{ID: "s", Version: n, Versioned: true} }
	cases := []struct {
		name   string
		hint   saleHint
		order  storage.SaleOrder
		ignore bool
	}{
		{"NewerVersion", v(3_000_000_101), sent, false},
		{"NoVersion", saleHint{ID: "s"}, sent, false},
		{"AheadOfTheFeedWithinTheGap", v(3_000_000_500 + implausibleGap), sent, false},
		{"WhileTheSendRecords", v(3_000_000_001), storage.SaleOrder{OrderID: "o", PosState: domain.PosQueued}, false},
		{"AppliedVersion", v(3_000_000_100), sent, true},
		{"OlderVersion", v(3_000_000_099), sent, true},
		{"Zero", v(0), sent, true},
		{"Negative", v(-1), sent, true},
		{"BeyondTheGap", v(3_000_000_501 + implausibleGap), sent, true},
		{"Largest", v(1<<63 - 1), sent, true},
		{"NotAnOrdersSale", v(3_000_000_101), storage.SaleOrder{}, true},
		{"OrderNotInThePOS", v(3_000_000_101), storage.SaleOrder{OrderID: "o", PosState: domain.PosNotSent}, true},
		{"DeletedSale", v(1<<63 - 1), storage.SaleOrder{OrderID: "o", PosState: domain.PosSent, SaleVersion: 1 << 62}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if why := ignoreWebhook(c.hint, c.order); (why != "") != c.ignore {
				t.Errorf("ignoreWebhook(%+v, %+v) = %q, want ignored %v", c.hint, c.order, why, c.ignore)
			}
		})
	}
}

// TestHintedChange checks the send that records a sale has it re-read only
// when a webhook kept while the order was QUEUED announced a newer version,
// or one without a version.
func TestHintedChange(t *testing.T) {
	t.Parallel()
	sale := "sale-1"
	order := func(recorded, hinted int64) *domain.Order {
		return &domain.Order{StoreID: "store-1", PosSync: domain.PosSync{SaleID: &sale, SaleVersion: recorded, HintedVersion: hinted}}
	}
	for _, c := range []struct {
		name             string
		recorded, hinted int64
		want             []river.JobArgs
	}{
		{"NoWebhook", 40, 0, nil},
		{"OlderVersion", 40, 39, nil},
		{"RecordedVersion", 40, 40, nil},
		{"NewerVersion", 40, 41, []river.JobArgs{applySaleArgs{StoreID: "store-1", SaleID: sale, Version: 41}}},
		{"NoVersion", 40, unversioned, []river.JobArgs{applySaleArgs{StoreID: "store-1", SaleID: sale}}},
	} {
		if got := hintedChange(order(c.recorded, c.hinted)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
