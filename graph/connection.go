package graph

import (
	"context"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph/model"
)

func orderConnection(p domain.OrderPage, updatesCursor string) *model.OrderConnection {
	c := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(p.Orders)), TotalCount: p.Total,
		PageInfo: pageInfo(p.Cursors, p.HasPrevious, p.HasNext), UpdatesCursor: updatesCursor}
	for i, o := range p.Orders {
		c.Edges[i] = &model.OrderEdge{Cursor: p.Cursors[i], Node: o}
	}
	return c
}

func menuItemConnection(p domain.MenuItemPage) *model.MenuItemConnection {
	c := &model.MenuItemConnection{Edges: make([]*model.MenuItemEdge, len(p.Items)), TotalCount: p.Total,
		PageInfo: pageInfo(p.Cursors, false, p.HasNext)}
	for i := range p.Items {
		c.Edges[i] = &model.MenuItemEdge{Cursor: p.Cursors[i], Node: &p.Items[i]}
	}
	return c
}

// pageInfo is Relay's PageInfo of a page with these edge cursors. The menu
// pages forward only and says false for hasPreviousPage, as Relay allows.
func pageInfo(cursors []string, hasPrevious, hasNext bool) *model.PageInfo {
	info := &model.PageInfo{HasPreviousPage: hasPrevious, HasNextPage: hasNext}
	if len(cursors) > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return info
}

// orderIntegration describes the store's Lightspeed integration; itemCount
// is the number of active menu items.
func orderIntegration(s *domain.Store, itemCount int, now time.Time) *model.OrderIntegration {
	in := s.Integration
	reqs := domain.Requirements(s, now)
	list := make([]*domain.Requirement, len(reqs))
	for i := range reqs {
		list[i] = &reqs[i]
	}
	oi := &model.OrderIntegration{
		Enabled:           in.Enabled,
		DashboardReadOnly: in.Enabled,
		Health:            in.Health,
		Connection:        &model.LightspeedConnection{AuthMethod: model.LightspeedAuthMethodNone},
		MenuSync: &model.MenuSync{Enabled: in.MenuSync.Enabled, LastSyncedAt: in.MenuSync.LastSyncedAt,
			ItemCount: itemCount, LastError: in.MenuSync.LastError},
		Requirements: list,
	}
	if c := in.Connection; c != nil {
		oi.Connection = &model.LightspeedConnection{AuthMethod: model.LightspeedAuthMethod(c.AuthMethod),
			DomainPrefix: &c.DomainPrefix, ConnectedAt: &c.ConnectedAt}
	}
	if st := in.Settings; st != nil {
		oi.Settings = &model.OrderIntegrationSettings{OutletID: st.OutletID, RegisterID: st.RegisterID,
			UserID: st.UserID, PaymentTypeID: st.PaymentTypeID}
	}
	return oi
}

// integration builds the orderIntegration of a store the caller may read.
func (r *Resolver) integration(ctx context.Context, s *domain.Store) (*model.OrderIntegration, error) {
	n, err := r.App.MenuItemCount(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	return orderIntegration(s, n, r.App.Now()), nil
}

func setupOptions(o domain.SetupOptions) *model.LightspeedSetupOptions {
	choices := func(list []domain.SetupChoice) []*model.SetupOption {
		out := make([]*model.SetupOption, len(list))
		for i, c := range list {
			out[i] = &model.SetupOption{ID: c.ID, Name: c.Name}
		}
		return out
	}
	m := &model.LightspeedSetupOptions{Outlets: choices(o.Outlets), Users: choices(o.Users), PaymentTypes: choices(o.PaymentTypes),
		Registers: make([]*model.RegisterOption, len(o.Registers))}
	for i, r := range o.Registers {
		m.Registers[i] = &model.RegisterOption{ID: r.ID, Name: r.Name, OutletID: r.OutletID}
	}
	return m
}
