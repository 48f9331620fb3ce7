package pos

import (
	"errors"
	"strings"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// What people see of a failed Lightspeed call: the API's errors, an order's
// posSync, the menu sync's lastError and the store's health all word a
// failure from the one table below.

// failure is what one kind of failed Lightspeed call means for people.
type failure struct {
	// code is the extensions.code of a request that failed this way;
	// CodeInternal when the failure is not Lightspeed's to explain.
	code domain.Code
	// pos is the posSync.errorCode of an order whose send failed this way.
	pos domain.PosErrorCode
	// health is what the failure says of the store's integration; "" for
	// nothing. alert is the alert raised when the store turns health.
	health domain.IntegrationHealth
	alert  string
	// what says what went wrong, without a final period.
	what string
	// reason is true when Lightspeed's own reason, if it gave one, follows
	// what: it says what to fix or what failed.
	reason bool
	// again says when trying again can succeed ("in a few minutes"); empty
	// when it cannot.
	again string
}

var (
	// reservedFailure is an interactive call refused to keep the rest of the
	// rate budget for orders (lssync.ErrReserved).
	reservedFailure = failure{
		code: domain.CodeLightspeedUnavailable, pos: domain.PosErrRateLimited,
		what:  "The rest of this Lightspeed account's rate limit is kept for sending orders right now",
		again: "in a minute",
	}
	// rejectedFailure is Lightspeed refusing the request, or not finding
	// what it names.
	rejectedFailure = failure{
		code: domain.CodeBadUserInput, pos: domain.PosErrRejected,
		what:   "Lightspeed refused the request",
		reason: true,
	}
)

// failures is the table, by kind of Lightspeed error.
var failures = map[lssync.ErrorKind]failure{
	lssync.KindOutage: {
		code: domain.CodeLightspeedUnavailable, pos: domain.PosErrOutage,
		health: domain.HealthPartnerOutage,
		alert:  "Lightspeed is having problems, so Leafly cannot send orders to your POS right now. Manage new orders from the Leafly Order Dashboard until this is resolved; orders nobody has handled there will be sent to Lightspeed once it recovers.",
		what:   "Lightspeed is having problems right now",
		reason: true,
		again:  "in a few minutes",
	},
	lssync.KindCredential: {
		code: domain.CodeLightspeedUnavailable, pos: domain.PosErrCredentials,
		health: domain.HealthCredentialsInvalid,
		alert:  "Invalid credentials are impacting Leafly's ability to send orders to your POS system. Reconnect Lightspeed from Leafly Biz; until then, manage orders from the Leafly Order Dashboard.",
		what:   "Lightspeed refused the store's credentials: reconnect the store's Lightspeed account",
	},
	lssync.KindRateLimited: {
		code: domain.CodeLightspeedUnavailable, pos: domain.PosErrRateLimited,
		what:  "Lightspeed's rate limit for this account was reached",
		again: "in a few minutes",
	},
	lssync.KindRejected: rejectedFailure,
	lssync.KindNotFound: rejectedFailure,
	lssync.KindUnknown: {
		code: domain.CodeInternal, pos: domain.PosErrOutage,
		what:  "Leafly ran into an internal error",
		again: "in a few minutes",
	},
}

// failureOf looks err up in the table.
func failureOf(err error) failure {
	if errors.Is(err, lssync.ErrReserved) {
		return reservedFailure
	}
	return failures[lssync.KindOf(err)]
}

// message words err as f for people: what went wrong, Lightspeed's reason
// when it helps, and then next when trying again can succeed.
func (f failure) message(err error, next string) string {
	msg := f.what
	var e *lssync.Error
	if f.reason && errors.As(err, &e) && e.Message != "" {
		msg += ": " + strings.TrimRight(e.Message, ". ")
	}
	if f.again != "" && next != "" {
		msg += "; " + next
	}
	return msg + "."
}

// lightspeedError turns a failed Lightspeed call into what the caller of a
// request sees. Errors that are not Lightspeed's stay internal.
func lightspeedError(err error) error {
	f := failureOf(err)
	if f.code == domain.CodeInternal {
		return err
	}
	return &domain.Error{Code: f.code, Message: f.message(err, "try again "+f.again)}
}

// posError classifies a failed Lightspeed call for the order's record.
func posError(err error) (domain.PosErrorCode, string) {
	f := failureOf(err)
	return f.pos, f.message(err, "")
}

// menuSyncError is the manager-readable reason a sync failed.
func menuSyncError(err error) string {
	var e *domain.Error
	if lssync.KindOf(err) == lssync.KindUnknown && errors.As(err, &e) {
		return e.Message
	}
	return failureOf(err).message(err, "the sync will be retried")
}
