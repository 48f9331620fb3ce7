package auth

import (
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// cacheSize bounds how many verified tokens Tokens remembers.
const cacheSize = 4096

// verified remembers the principals of tokens whose signature checked out,
// until each token expires, so that a client sending the same token with
// every request pays for one verification. It holds at most cacheSize
// tokens; adding one to a full cache drops another.
type verified struct {
	mu     sync.RWMutex
	tokens map[string]domain.Principal
}

// get returns the principal of a verified token that has not expired at
// now; an expired one is forgotten.
func (v *verified) get(token string, now time.Time) (domain.Principal, bool) {
	v.mu.RLock()
	p, ok := v.tokens[token]
	v.mu.RUnlock()
	if !ok || now.Before(p.Expires) {
		return p, ok
	}
	v.mu.Lock()
	delete(v.tokens, token)
	v.mu.Unlock()
	return domain.Principal{}, false
}

// put remembers the principal of a token whose signature was verified.
func (v *verified) put(token string, p domain.Principal) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tokens == nil {
		v.tokens = make(map[string]domain.Principal)
	}
	if len(v.tokens) >= cacheSize {
		for other := range v.tokens {
			delete(v.tokens, other)
			break
		}
	}
	v.tokens[token] = p
}
