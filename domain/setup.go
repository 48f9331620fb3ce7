package domain

import (
	"slices"
)

// SetupChoice is one entry of a setup dropdown.
type SetupChoice struct {
	ID, Name string
	// OutletID is the outlet of a register.
	OutletID string
}

// SetupOptions are the setup form's choices, read live from Lightspeed.
type SetupOptions struct {
	Outlets, Registers, Users, PaymentTypes []SetupChoice
}

// Validate checks the setup choices against what Lightspeed offers and
// names the first field that is wrong.
func (o SetupOptions) Validate(s IntegrationSettings) error {
	find := func(list []SetupChoice, id string) (SetupChoice, bool) {
		i := slices.IndexFunc(list, func(c SetupChoice) bool { return c.ID == id })
		if i < 0 {
			return SetupChoice{}, false
		}
		return list[i], true
	}
	if _, ok := find(o.Outlets, s.OutletID); !ok {
		return Errorf(CodeBadUserInput, "outletId %q is not an outlet of this Lightspeed account.", s.OutletID)
	}
	reg, ok := find(o.Registers, s.RegisterID)
	if !ok {
		return Errorf(CodeBadUserInput, "registerId %q is not a register of this Lightspeed account.", s.RegisterID)
	}
	if reg.OutletID != s.OutletID {
		return Errorf(CodeBadUserInput, "registerId %q belongs to another outlet than outletId %q.", s.RegisterID, s.OutletID)
	}
	if _, ok := find(o.Users, s.UserID); !ok {
		return Errorf(CodeBadUserInput, "userId %q is not a user of this Lightspeed account.", s.UserID)
	}
	if _, ok := find(o.PaymentTypes, s.PaymentTypeID); !ok {
		return Errorf(CodeBadUserInput, "paymentTypeId %q is not an enabled payment type of this Lightspeed account.", s.PaymentTypeID)
	}
	return nil
}
