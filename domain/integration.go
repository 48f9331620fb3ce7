package domain

import "time"

// AuthMethod is how a store's Lightspeed account is connected.
type AuthMethod string

// The ways to connect Lightspeed.
const (
	AuthNone          AuthMethod = "NONE"
	AuthPersonalToken AuthMethod = "PERSONAL_TOKEN"
	AuthOAuth         AuthMethod = "OAUTH"
)

// Connection is a store's link to its Lightspeed account. Its tokens are
// kept apart, encrypted, and never leave the service.
type Connection struct {
	AuthMethod   AuthMethod
	DomainPrefix string
	ConnectedAt  time.Time
}

// Credentials are a store's Lightspeed connection with its tokens, which
// are sealed (encrypted) before they are stored and opened only to call
// Lightspeed.
type Credentials struct {
	StoreID      string
	AuthMethod   AuthMethod
	DomainPrefix string
	AccessToken  string
	RefreshToken *string
	ExpiresAt    *time.Time
	Scope        *string
	WebhookID    *string
	// WebhookToken names the connection in its webhook URL.
	WebhookToken string
	ConnectedAt  time.Time
	UpdatedAt    time.Time
}

// IntegrationSettings are the setup form's choices: where and as whom the
// store's orders become Lightspeed sales.
type IntegrationSettings struct {
	OutletID      string
	RegisterID    string
	UserID        string
	PaymentTypeID string
}

// MenuSync is the state of the store's menu sync from Lightspeed.
type MenuSync struct {
	Enabled bool
	// LastSyncedAt is when the last successful sync finished.
	LastSyncedAt *time.Time
	LastError    *string
	// Version is the Lightspeed product version the next sync starts after.
	Version int64
}

// Requirement is one precondition of enabling the order integration.
type Requirement struct {
	Code    RequirementCode
	Met     bool
	Message string
}

// RequirementCode names a precondition of enabling; its values are the
// contract's RequirementCode enum names.
type RequirementCode string

// The requirement codes, in the fixed order they are listed.
const (
	ReqOAuthConnected          RequirementCode = "OAUTH_CONNECTED"
	ReqMenuSyncActive          RequirementCode = "MENU_SYNC_ACTIVE"
	ReqOnlineOrderingEnabled   RequirementCode = "ONLINE_ORDERING_ENABLED"
	ReqAdvertisingSubscription RequirementCode = "ADVERTISING_SUBSCRIPTION_ACTIVE"
	ReqSettingsComplete        RequirementCode = "SETTINGS_COMPLETE"
)

// MenuSyncFreshness is how recent the last successful menu sync must be for
// the order integration to be enabled.
const MenuSyncFreshness = 24 * time.Hour

// Requirements lists every precondition of enabling the store's order
// integration at time now, met or not, in a fixed order.
func Requirements(s *Store, now time.Time) []Requirement {
	in := s.Integration
	return []Requirement{
		oauthRequirement(in.Connection),
		menuRequirement(in.MenuSync, now),
		requirement(ReqOnlineOrderingEnabled, s.PickupEnabled || s.DeliveryEnabled,
			"Pickup or delivery ordering is enabled on Leafly.", "Enable pickup or delivery ordering for this store on Leafly."),
		requirement(ReqAdvertisingSubscription, s.AdvertisingSubscriptionActive,
			"The store has an active Leafly advertising subscription.", "The store needs an active Leafly advertising subscription."),
		requirement(ReqSettingsComplete, in.Settings.Complete(),
			"An outlet, register, user and payment type are chosen.", "Choose an outlet, register, user and payment type in the setup form and save it."),
	}
}

// Unmet returns the codes of the requirements not met, as the strings
// extensions.requirements lists.
func Unmet(reqs []Requirement) []string {
	var codes []string
	for _, r := range reqs {
		if !r.Met {
			codes = append(codes, string(r.Code))
		}
	}
	return codes
}

func oauthRequirement(c *Connection) Requirement {
	switch {
	case c != nil && c.AuthMethod == AuthOAuth:
		return Requirement{ReqOAuthConnected, true, "Connected to Lightspeed (" + c.DomainPrefix + ") with OAuth."}
	case c != nil && c.AuthMethod == AuthPersonalToken:
		return Requirement{ReqOAuthConnected, false, "The store is connected with a personal token, which serves the menu only: enable OAuth to send orders to Lightspeed."}
	}
	return Requirement{ReqOAuthConnected, false, "Connect the store's Lightspeed account with OAuth."}
}

func menuRequirement(m MenuSync, now time.Time) Requirement {
	switch {
	case !m.Enabled:
		return Requirement{ReqMenuSyncActive, false, "Turn on the menu sync so Lightspeed products become the store's Leafly menu."}
	case m.LastSyncedAt == nil || now.Sub(*m.LastSyncedAt) > MenuSyncFreshness:
		return Requirement{ReqMenuSyncActive, false, "The menu has not synced successfully in the last 24 hours: run the menu sync and fix any error it reports."}
	}
	return Requirement{ReqMenuSyncActive, true, "The menu synced from Lightspeed in the last 24 hours."}
}

func requirement(code RequirementCode, met bool, ok, todo string) Requirement {
	if met {
		return Requirement{code, true, ok}
	}
	return Requirement{code, false, todo}
}

// Complete reports whether every choice of the setup form is made.
func (s *IntegrationSettings) Complete() bool {
	return s != nil && s.OutletID != "" && s.RegisterID != "" && s.UserID != "" && s.PaymentTypeID != ""
}
