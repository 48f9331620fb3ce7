package graph

//go:generate go tool gqlgen generate --config ../gqlgen.yml

// Resolver is the root resolver: the one place dependencies are injected.
type Resolver struct{}
