package domain

import (
	"errors"
	"fmt"
)

// Code is the machine-readable kind of an Error. Each value is one of the
// contract's GraphQL `extensions.code` values.
type Code string

// The contract's error codes.
const (
	CodeUnauthenticated       Code = "UNAUTHENTICATED"
	CodeForbidden             Code = "FORBIDDEN"
	CodeNotFound              Code = "NOT_FOUND"
	CodeBadUserInput          Code = "BAD_USER_INPUT"
	CodeRequirementsNotMet    Code = "REQUIREMENTS_NOT_MET"
	CodeDashboardReadOnly     Code = "DASHBOARD_READ_ONLY"
	CodeConflict              Code = "CONFLICT"
	CodeLightspeedUnavailable Code = "LIGHTSPEED_UNAVAILABLE"
	CodeInternal              Code = "INTERNAL"
)

// Error is an error a caller may see: Message is a sentence meant for the
// person using the API. Anything that is not an *Error is internal and is
// never shown to callers.
type Error struct {
	Code    Code
	Message string
	// Requirements lists unmet requirement codes for CodeRequirementsNotMet.
	Requirements []string
	// Lines lists the wrong lines of a submitted order refused with
	// CodeBadUserInput because of the store's menu.
	Lines []LineError
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, CodeInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
