package domain

import (
	"strings"
	"time"
)

// IntegrationHealth says whether a store's Lightspeed integration works.
type IntegrationHealth string

// The health values of the contract.
const (
	HealthHealthy            IntegrationHealth = "HEALTHY"
	HealthPartnerOutage      IntegrationHealth = "PARTNER_OUTAGE"
	HealthCredentialsInvalid IntegrationHealth = "CREDENTIALS_INVALID"
)

// Store is a dispensary that takes orders on Leafly.
type Store struct {
	ID                            string
	Name                          string
	TimeZone                      string
	PickupEnabled                 bool
	DeliveryEnabled               bool
	AdvertisingSubscriptionActive bool
	Integration                   Integration
	Notifications                 NotificationSettings
	CreatedAt                     time.Time
	UpdatedAt                     time.Time
}

// Integration is the state of a store's Lightspeed integration.
type Integration struct {
	Enabled bool
	Health  IntegrationHealth
	// Connection is nil until the store connects Lightspeed.
	Connection *Connection
	// Settings is nil until the setup form is saved.
	Settings *IntegrationSettings
	MenuSync MenuSync
}

// NotificationSettings says who a store's notifications go to.
type NotificationSettings struct {
	AlertEmails    []string
	NewOrderEmails []string
}

// StoreInput creates a store (all fields) or updates one (non-nil fields).
type StoreInput struct {
	Name                          *string
	TimeZone                      *string
	PickupEnabled                 *bool
	DeliveryEnabled               *bool
	AdvertisingSubscriptionActive *bool
}

// Apply validates in and writes its non-nil fields onto s.
func (in StoreInput) Apply(s *Store) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return Errorf(CodeBadUserInput, "The store name must have 1 to 200 characters.")
		}
		s.Name = name
	}
	if in.TimeZone != nil {
		if _, err := time.LoadLocation(*in.TimeZone); err != nil || *in.TimeZone == "" || *in.TimeZone == "Local" {
			return Errorf(CodeBadUserInput, "Unknown time zone %q: use an IANA name such as America/Los_Angeles.", *in.TimeZone)
		}
		s.TimeZone = *in.TimeZone
	}
	set(&s.PickupEnabled, in.PickupEnabled)
	set(&s.DeliveryEnabled, in.DeliveryEnabled)
	set(&s.AdvertisingSubscriptionActive, in.AdvertisingSubscriptionActive)
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// maxEmailsPerList is the most addresses one notification list may hold.
const maxEmailsPerList = 50

// ValidateEmails refuses a list longer than maxEmailsPerList and any entry
// that is not a bare email address.
func ValidateEmails(field string, list []string) error {
	if len(list) > maxEmailsPerList {
		return Errorf(CodeBadUserInput, "%s may list at most %d addresses.", field, maxEmailsPerList)
	}
	for _, e := range list {
		if !validEmail(e) {
			return Errorf(CodeBadUserInput, "%s: %q is not a valid email address.", field, e)
		}
	}
	return nil
}

// MenuItem is a product of a store's menu, synced from Lightspeed.
type MenuItem struct {
	ID           string
	StoreID      string
	Name         string
	SKU          *string
	PosProductID string
	PriceCents   int64
	Active       bool
}
