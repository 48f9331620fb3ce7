// Package pinned checks that a file the tests keep a copy of (the public
// contract, Lightspeed's OpenAPI document) still equals the original in the
// shared folder that lies beside the repository in CI. The tests read only
// their copy, so a clone anywhere runs them; CI, which has the originals,
// fails when a copy is stale.
package pinned

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// SharedDirEnv names the shared folder (the one holding contract/ and
// lightspeed/); .ci/run sets it.
const SharedDirEnv = "SHARED_DIR"

// Check fails t when the copy differs from the original at rel under the
// shared folder. Without SHARED_DIR it skips, unless CI is set, where a
// missing original is a failure.
func Check(t *testing.T, copyPath, rel string) {
	t.Helper()
	dir := os.Getenv(SharedDirEnv)
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must name the shared folder to check %s against", SharedDirEnv, copyPath)
		}
		t.Skipf("%s not set: %s is not compared with the shared original", SharedDirEnv, copyPath)
	}
	original, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(original, ours) {
		t.Fatalf("%s differs from %s: copy the original over it (cp %s %s) and make the tests pass", copyPath, filepath.Join(dir, rel), filepath.Join(dir, rel), copyPath)
	}
}
