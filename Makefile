# Targets explain themselves: `make help`.
.DEFAULT_GOAL := help
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: help run test test-pg check generate bench e2e-deps fuzz graphiql-assets

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## start the service on the embedded defaults
	go run ./server

# The race detector watches our Go code. modernc.org/... is SQLite's C
# translated to Go: instrumenting it (race and checkptr), which cgo's C never
# is, made every SQLite test about four times slower and checks nothing of
# ours; the calls into it and the memory handed to it stay instrumented.
# The driver itself (modernc.org/sqlite, Go written as Go, not C) is
# instrumented: left out, the race detector reported races between accesses
# ordered by a sync.Map (gorm's schema cache among them), and none with it in.
RACE := -race -gcflags='modernc.org/...=-race=false -d=checkptr=0' -gcflags='modernc.org/sqlite=-d=checkptr=0'

test: ## run every test (PostgreSQL ones too when TEST_DATABASE_URL is set)
	go test $(RACE) -count=1 -timeout 30m ./...

test-pg: e2e-deps ## run every test against the local PostgreSQL as well
	TEST_DATABASE_URL='$(PG_URL)' go test $(RACE) -count=1 -timeout 30m ./...

e2e-deps: ## install the pinned JavaScript clients the tests drive
	npm ci --prefix e2e --no-audit --no-fund

graphiql-assets: ## refetch GraphiQL and React (versions in graphiql/update.sh) into graphiql/static
	graphiql/update.sh

check: ## gofmt, go vet, and fail if go generate changes anything
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	go vet ./...
	go generate ./...
	@git diff --exit-code -- . || { echo "go generate changed files: commit the regenerated code"; exit 1; }

generate: ## regenerate the GraphQL code from schema.graphqls
	go generate ./...

bench: ## run the Go benchmarks (PostgreSQL ones need TEST_DATABASE_URL)
	go test -run '^$$' -bench . -benchmem ./...

# Budgets are execution counts, each about ten seconds here: a duration
# (-fuzztime 10s) races Go's fuzzing coordinator at the deadline and can fail
# with a bare "context deadline exceeded" and no input (golang/go#75804).
# FUZZTIME overrides all five (a count like 5000x, or a duration).
FUZZ_WEBHOOK ?= $(or $(FUZZTIME),25000x)
FUZZ_SALE ?= $(or $(FUZZTIME),400000x)
FUZZ_ORDER ?= $(or $(FUZZTIME),150000x)
FUZZ_CURSOR ?= $(or $(FUZZTIME),35000x)
FUZZ_TIME ?= $(or $(FUZZTIME),100000x)
fuzz: ## run each fuzz target for a fixed number of executions (about 10 s each)
	go test -run '^$$' -fuzz '^FuzzWebhook$$' -fuzztime $(FUZZ_WEBHOOK) ./app/
	go test -run '^$$' -fuzz '^FuzzApplySale$$' -fuzztime $(FUZZ_SALE) ./domain/
	go test -run '^$$' -fuzz '^FuzzSubmitOrder$$' -fuzztime $(FUZZ_ORDER) ./domain/
	go test -run '^$$' -fuzz '^FuzzDecodeCursor$$' -fuzztime $(FUZZ_CURSOR) ./storage/
	go test -run '^$$' -fuzz '^FuzzParseStoredTime$$' -fuzztime $(FUZZ_TIME) ./storage/
