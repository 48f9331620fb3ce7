package graph

import (
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph/model"
	"github.com/leafly/lightspeed-orders/storage"
)

func orderConnection(p storage.OrderPage) *model.OrderConnection {
	c := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(p.Orders)), TotalCount: p.Total,
		PageInfo: pageInfo(p.Cursors, p.HasNext)}
	for i, o := range p.Orders {
		c.Edges[i] = &model.OrderEdge{Cursor: p.Cursors[i], Node: o}
	}
	return c
}

func menuItemConnection(p storage.MenuItemPage) *model.MenuItemConnection {
	c := &model.MenuItemConnection{Edges: make([]*model.MenuItemEdge, len(p.Items)), TotalCount: p.Total,
		PageInfo: pageInfo(p.Cursors, p.HasNext)}
	for i := range p.Items {
		c.Edges[i] = &model.MenuItemEdge{Cursor: p.Cursors[i], Node: &p.Items[i]}
	}
	return c
}

func pageInfo(cursors []string, hasNext bool) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: hasNext}
	if len(cursors) > 0 {
		info.EndCursor = &cursors[len(cursors)-1]
	}
	return info
}

// orderIntegration describes the store's order integration. The Lightspeed
// connection, menu sync and setup form are not kept yet.
func orderIntegration(s *domain.Store) *model.OrderIntegration {
	reqs := domain.Requirements(s)
	list := make([]*domain.Requirement, len(reqs))
	for i := range reqs {
		list[i] = &reqs[i]
	}
	return &model.OrderIntegration{
		Enabled:           s.Integration.Enabled,
		DashboardReadOnly: s.Integration.Enabled,
		Health:            s.Integration.Health,
		Connection:        &model.LightspeedConnection{AuthMethod: model.LightspeedAuthMethodNone},
		MenuSync:          &model.MenuSync{},
		Requirements:      list,
	}
}
