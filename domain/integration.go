package domain

// Requirement is one precondition of enabling the order integration.
type Requirement struct {
	Code    string
	Met     bool
	Message string
}

// The requirement codes, in the fixed order they are listed.
const (
	ReqOAuthConnected          = "OAUTH_CONNECTED"
	ReqMenuSyncActive          = "MENU_SYNC_ACTIVE"
	ReqOnlineOrderingEnabled   = "ONLINE_ORDERING_ENABLED"
	ReqAdvertisingSubscription = "ADVERTISING_SUBSCRIPTION_ACTIVE"
	ReqSettingsComplete        = "SETTINGS_COMPLETE"
)

// Requirements lists every precondition of enabling the store's order
// integration, met or not. The Lightspeed connection, menu sync and setup
// form are not kept yet, so their requirements read as unmet.
func Requirements(s *Store) []Requirement {
	return []Requirement{
		{ReqOAuthConnected, false, "Connect the store's Lightspeed account with OAuth."},
		{ReqMenuSyncActive, false, "Turn on the menu sync and let it complete once in the last 24 hours."},
		requirement(ReqOnlineOrderingEnabled, s.PickupEnabled || s.DeliveryEnabled,
			"Pickup or delivery ordering is enabled on Leafly.", "Enable pickup or delivery ordering on Leafly."),
		requirement(ReqAdvertisingSubscription, s.AdvertisingSubscriptionActive,
			"The store has an active advertising subscription.", "The store needs an active Leafly advertising subscription."),
		{ReqSettingsComplete, false, "Choose an outlet, register, user and payment type in the setup form."},
	}
}

func requirement(code string, met bool, ok, todo string) Requirement {
	if met {
		return Requirement{code, true, ok}
	}
	return Requirement{code, false, todo}
}
