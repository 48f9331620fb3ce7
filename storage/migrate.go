package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations
var migrations embed.FS

// migration is one versioned SQL file: migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationLock is the PostgreSQL advisory lock key that serialises replicas
// migrating at the same start.
const migrationLock = 7_461_001

func (db *DB) dialect() string {
	if db.postgres {
		return "postgres"
	}
	return "sqlite"
}

// Migrate applies the migrations not yet applied, each in its own transaction.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := loadMigrations(db.dialect())
	if err != nil {
		return err
	}
	// Under the lock too: CREATE TABLE IF NOT EXISTS run by replicas at
	// once fails in all but one.
	if err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := db.lockMigrations(tx); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`).Error
	}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range all {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	return db.transaction(ctx, func(tx *gorm.DB) error {
		if err := db.lockMigrations(tx); err != nil {
			return err
		}
		var n int64
		if err := tx.Table("schema_migrations").Where("version = ?", m.version).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		if err := tx.Exec(m.sql).Error; err != nil {
			return err
		}
		db.log.Info("migration applied", "version", m.version, "name", m.name)
		return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, db.now().Format(time.RFC3339)).Error
	})
}

// lockMigrations makes tx wait for other replicas' migrations (PostgreSQL;
// SQLite has one writer at a time anyway).
func (db *DB) lockMigrations(tx *gorm.DB) error {
	if !db.postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error
}

// Migrated reports whether every migration has been applied.
func (db *DB) Migrated(ctx context.Context) (bool, error) {
	all, err := loadMigrations(db.dialect())
	if err != nil {
		return false, err
	}
	var latest int
	err = db.gorm.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&latest).Error
	if err != nil {
		return false, err
	}
	return latest >= all[len(all)-1].version, nil
}

// MigrationState is one migration of the database's dialect and when it
// was applied.
type MigrationState struct {
	Version int
	Name    string
	// AppliedAt is when it was applied (RFC 3339), empty while pending.
	AppliedAt string
}

// Migrations lists every migration, applied or pending, in version order.
// It changes nothing: on a database never migrated all are pending.
func (db *DB) Migrations(ctx context.Context) ([]MigrationState, error) {
	all, err := loadMigrations(db.dialect())
	if err != nil {
		return nil, err
	}
	applied := map[int]string{}
	g := db.gorm.WithContext(ctx)
	if g.Migrator().HasTable("schema_migrations") {
		var rows []struct {
			Version   int
			AppliedAt string
		}
		if err := g.Raw("SELECT version, applied_at FROM schema_migrations").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		for _, r := range rows {
			applied[r.Version] = r.AppliedAt
		}
	}
	states := make([]MigrationState, len(all))
	for i, m := range all {
		states[i] = MigrationState{Version: m.version, Name: m.name, AppliedAt: applied[m.version]}
	}
	return states, nil
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var all []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		all = append(all, migration{version: version, name: name, sql: string(body)})
	}
	slices.SortFunc(all, func(a, b migration) int { return a.version - b.version })
	return all, nil
}
