package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// storeList collects repeated -store flags.
type storeList []string

func (s *storeList) String() string { return strings.Join(*s, ",") }

func (s *storeList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// mintToken implements `server token -role R -store ID…`: it prints a bearer
// token signed with the service's AUTH_SECRET, or with the DATA_DIR/auth_secret
// a service generated. It generates no secret: a token signed with one no
// service has would be refused everywhere.
func mintToken(_ context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags("token", stdout)
	role := fs.String("role", "ADMIN", "role: ADMIN, STORE_MANAGER, STORE_STAFF or MARKETPLACE")
	sub := fs.String("sub", "cli", "subject (who the token is for)")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	var stores storeList
	fs.Var(&stores, "store", "a store id the token grants (repeat for several)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p := domain.Principal{Subject: *sub, Role: domain.Role(*role), Stores: stores}
	if !p.Role.Valid() {
		return fmt.Errorf("token: -role %q is not one of ADMIN, STORE_MANAGER, STORE_STAFF, MARKETPLACE", *role)
	}
	if *ttl <= 0 {
		return fmt.Errorf("token: -ttl must be positive")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if err := loadAuthSecret(&cfg); err != nil {
		return err
	}
	token, err := auth.NewTokens(cfg.AuthSecret).Mint(p, *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
