// Package archtest holds only a test: the dependency rule of the service's
// layers, checked against what `go list` says each package imports.
//
//   - domain depends on nothing of this module, of gorm, of gqlgen or of
//     net/http: it is the vocabulary every layer speaks.
//   - graph imports, of this module, only app, auth (the caller's
//     principal), domain and graph/model; graph/model only domain. Neither
//     sees storage.
//   - storage imports no app, notify or sync: use cases call persistence,
//     never the other way round.
//   - No gorm tag is visible outside storage: only storage's unexported row
//     types carry one.
package archtest
