package sandbox

import (
	"html/template"
	"net/http"
	"strings"
)

// indexRetailer is what the index page shows of a retailer.
type indexRetailer struct {
	Prefix, Name, Token                        string
	Outlets, Registers, Users, Payments, Taxes []string
	Products, Sales, Webhooks                  int
}

// index is GET /: a page describing the sandbox, its retailers, and curl
// lines for the staff actions and the control API.
func (s *Sandbox) index(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	data := struct {
		Base      string
		Retailers []indexRetailer
	}{Base: baseURL(r)}
	for _, p := range s.prefixes {
		data.Retailers = append(data.Retailers, s.describe(s.retailers[p]))
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexPage.Execute(w, data)
}

func (s *Sandbox) describe(rt *retailer) indexRetailer {
	d := indexRetailer{Prefix: rt.prefix, Name: rt.info.Name, Products: len(rt.products),
		Sales: len(rt.sales), Webhooks: len(rt.webhooks)}
	for token, p := range s.personal {
		if p == rt.prefix {
			d.Token = token
		}
	}
	for _, o := range rt.outlets {
		d.Outlets = append(d.Outlets, o.Name+" "+o.ID)
	}
	for _, g := range rt.registers {
		d.Registers = append(d.Registers, g.Name+" "+g.ID)
	}
	for _, u := range rt.users {
		d.Users = append(d.Users, u.DisplayName+" "+u.ID)
	}
	for _, p := range rt.paymentTypes {
		label := p.Name + " " + p.ID
		if p.Disabled {
			label += " (disabled)"
		}
		d.Payments = append(d.Payments, label)
	}
	for _, t := range rt.taxes {
		d.Taxes = append(d.Taxes, t.Name+" "+t.ID)
	}
	return d
}

// baseURL is where the sandbox is mounted, as the client sees it: the
// request URI minus the path the handler got (http.StripPrefix removed it).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	uri, _, _ := strings.Cut(r.RequestURI, "?")
	mount := strings.TrimSuffix(uri, r.URL.Path)
	return scheme + "://" + r.Host + strings.TrimSuffix(mount, "/")
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Lightspeed X-Series sandbox</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.6rem;overflow:auto}code{background:#f4f4f4}</style></head><body>
<h1>Lightspeed Retail X-Series sandbox</h1>
<p>An in-memory imitation of the Lightspeed Retail (X-Series) API, for playing the Lightspeed side
without a real store. State lives in memory: a restart forgets sales, customers and OAuth tokens
(seeded ids stay the same).</p>

<h2>Endpoints</h2>
<ul>
<li>OAuth consent (auto-approved): <code>{{.Base}}/connect?response_type=code&amp;client_id=…&amp;redirect_uri=…&amp;state=…&amp;scope=…</code>
 (add <code>retailer=&lt;prefix&gt;</code> to choose the store, <code>deny=1</code> to decline)</li>
<li>Token: <code>POST {{.Base}}/&lt;prefix&gt;/api/1.0/token</code> (form-encoded body)</li>
<li>API: <code>{{.Base}}/&lt;prefix&gt;/api/2026-07/…</code> with <code>Authorization: Bearer &lt;token&gt;</code>
 (retailer, outlets, registers, users, payment_types, taxes, products, search, customers, sales, fulfillments, webhooks)</li>
<li>Staff actions: <code>{{.Base}}/&lt;prefix&gt;/staff/…</code> (no authentication)</li>
<li>Control: <code>{{.Base}}/control/…</code> (faults, rate limits, webhook details, stats)</li>
</ul>

<h2>Retailers</h2>
{{range .Retailers}}
<h3>{{.Name}} <code>{{.Prefix}}</code></h3>
<p>{{if .Token}}Personal token: <code>{{.Token}}</code>. {{end}}{{.Products}} products, {{.Sales}} sales, {{.Webhooks}} webhooks.</p>
<ul>
<li>Outlets: {{range .Outlets}}<br><code>{{.}}</code>{{end}}</li>
<li>Registers: {{range .Registers}}<br><code>{{.}}</code>{{end}}</li>
<li>Users: {{range .Users}}<br><code>{{.}}</code>{{end}}</li>
<li>Payment types: {{range .Payments}}<br><code>{{.}}</code>{{end}}</li>
<li>Taxes: {{range .Taxes}}<br><code>{{.}}</code>{{end}}</li>
</ul>
<pre>curl -H 'Authorization: Bearer {{or .Token "&lt;token&gt;"}}' {{$.Base}}/{{.Prefix}}/api/2026-07/products?page_size=5
curl {{$.Base}}/{{.Prefix}}/staff/sales                                 # every sale, counts by source.id
curl -X POST {{$.Base}}/{{.Prefix}}/staff/sales/&lt;sale id&gt;/pack          # fulfillment packed (order READY)
curl -X POST {{$.Base}}/{{.Prefix}}/staff/sales/&lt;sale id&gt;/close         # picked up
curl -X POST {{$.Base}}/{{.Prefix}}/staff/sales/&lt;sale id&gt;/void          # canceled by the dispensary
curl -X POST {{$.Base}}/{{.Prefix}}/staff/sales/&lt;sale id&gt;/delete
curl -X POST {{$.Base}}/{{.Prefix}}/staff/sales/&lt;sale id&gt;/edit -d '{"note":"changed"}'   # new version, NO webhook
curl -X POST {{$.Base}}/{{.Prefix}}/staff/products -d '{"name":"Lemon Haze 3.5g","sku":"FL-LH-35","price_excluding_tax":42}'
curl -X DELETE {{$.Base}}/{{.Prefix}}/staff/products/&lt;product id&gt;</pre>
{{else}}<p>No retailer yet.</p>{{end}}

<h2>Control</h2>
<pre>curl -X POST {{.Base}}/control/faults -d '{"status":503,"count":3}'                  # next 3 API calls fail
curl -X POST {{.Base}}/control/faults -d '{"domain_prefix":"demo","latency_ms":2000,"duration":"1m"}'
curl -X POST {{.Base}}/control/faults -d '{"timeout":true,"path":"/sales","method":"POST"}'   # hang until the client gives up
curl -X POST {{.Base}}/control/faults -d '{"after":true,"status":504,"path":"/sales","method":"POST","count":1}'   # make the sale, then lose the answer
curl -X POST {{.Base}}/control/faults -d '{"domain_prefix":"demo","revoke":true}'   # every token of demo stops working
curl -X DELETE {{.Base}}/control/faults
curl -X POST {{.Base}}/control/rate_limit -d '{"domain_prefix":"demo","limit":5,"window_seconds":60}'
curl -X POST {{.Base}}/control/webhooks -d '{"signature_encoding":"base64","legacy_only":true}'
curl {{.Base}}/control/stats</pre>
</body></html>`))
