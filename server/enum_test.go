package main

import (
	"maps"
	"slices"
	"testing"
)

// TestEnumsOnTheWire: a status change's source and a requirement's code are
// the enums StatusSource and RequirementCode, and read as the same strings
// as before; extensions.requirements stays a list of strings.
func TestEnumsOnTheWire(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		env := map[string]string{"GRAPHQL_INTROSPECTION": "true"}
		maps.Copy(env, db.env)
		s := startServer(t, env)
		f := newFixture(t, s)
		t.Run("Types", func(t *testing.T) {
			data := s.MustDo(t, f.Admin, `{
				change: __type(name: "OrderStatusChange") { fields { name type { ofType { kind name } } } }
				event: __type(name: "OrderStatusEvent") { fields { name type { ofType { kind name } } } }
				requirement: __type(name: "Requirement") { fields { name type { ofType { kind name } } } }
			}`, nil)
			for _, c := range []struct{ typ, field, want string }{
				{"change", "source", "StatusSource"}, {"event", "source", "StatusSource"}, {"requirement", "code", "RequirementCode"},
			} {
				var got any
				for _, fd := range path(data, c.typ, "fields").([]any) {
					if path(fd, "name") == c.field {
						got = path(fd, "type", "ofType")
					}
				}
				if path(got, "kind") != "ENUM" || path(got, "name") != c.want {
					t.Errorf("%s.%s is %v, want the enum %s", c.typ, c.field, got, c.want)
				}
			}
		})
		t.Run("Source", func(t *testing.T) {
			id := f.submit(t, s, "ENUM-1")
			data := s.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { statusHistory { source } } }`, map[string]any{"id": id})
			var got []any
			for _, h := range path(data, "setOrderStatus", "statusHistory").([]any) {
				got = append(got, path(h, "source"))
			}
			if want := []any{"MARKETPLACE", "DASHBOARD"}; !slices.Equal(got, want) {
				t.Errorf("sources %v, want %v", got, want)
			}
		})
		t.Run("RequirementCode", func(t *testing.T) {
			data := s.MustDo(t, f.Manager, `query($s: ID!) { store(id: $s) { orderIntegration { requirements { code } } } }`, map[string]any{"s": f.StoreID})
			var got []any
			for _, r := range path(data, "store", "orderIntegration", "requirements").([]any) {
				got = append(got, path(r, "code"))
			}
			want := []any{"OAUTH_CONNECTED", "MENU_SYNC_ACTIVE", "ONLINE_ORDERING_ENABLED", "ADVERTISING_SUBSCRIPTION_ACTIVE", "SETTINGS_COMPLETE"}
			if !slices.Equal(got, want) {
				t.Errorf("codes %v, want %v", got, want)
			}
			r := s.Do(t, f.Manager, `mutation($s: ID!) { enableOrderIntegration(storeId: $s) { enabled } }`, map[string]any{"s": f.StoreID})
			if r.Code() != "REQUIREMENTS_NOT_MET" {
				t.Fatalf("code %q %+v, want REQUIREMENTS_NOT_MET", r.Code(), r.Errors)
			}
			unmet := r.Errors[0].Extensions["requirements"]
			if want := []any{"OAUTH_CONNECTED", "MENU_SYNC_ACTIVE", "SETTINGS_COMPLETE"}; !slices.Equal(unmet.([]any), want) {
				t.Errorf("extensions.requirements %v, want the unmet codes as strings %v", unmet, want)
			}
		})
	})
}
