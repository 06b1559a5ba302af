package lolcat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// nobody is the unprivileged user the permission test runs as when the
// tests run as root (root reads any file).
const nobody = 65534

// TestPermissionDenied: an unreadable file gets Ruby's message (on stderr:
// Ruby prints it on stdout), the files before and after it still print
// (Ruby exits at the first error), and the exit status is 1 like Ruby's.
func TestPermissionDenied(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	// A world-readable directory: as root the commands run as nobody.
	dir, err := os.MkdirTemp("", "lolcat-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("hello\tworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("secret\n"), 0o000); err != nil {
		t.Fatal(err)
	}

	// ours and theirs run moobox and Ruby lolcat with args in dir.
	var ours func(args ...string) (stdout, stderr []byte, status int)
	theirs := func(args ...string) ([]byte, []byte, int) { return ruby(t, tool, dir, nil, nil, args...) }
	if os.Geteuid() == 0 {
		setpriv := testutil.RequireTool(t, "setpriv", "util-linux")
		bin := filepath.Join(dir, "lolcat")
		build := exec.Command("go", "build", "-o", bin, "github.com/moobox/moobox/cmd/lolcat")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		drop := []string{setpriv, fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"}
		ours = func(args ...string) ([]byte, []byte, int) {
			return ruby(t, drop[0], dir, nil, nil, append(append(drop[1:], bin), args...)...)
		}
		theirs = func(args ...string) ([]byte, []byte, int) {
			return ruby(t, drop[0], dir, nil, nil, append(append(drop[1:], tool), args...)...)
		}
	} else {
		ours = func(args ...string) ([]byte, []byte, int) { return run(t, dir, nil, nil, args...) }
	}
	if _, err := os.ReadFile(filepath.Join(dir, "secret")); err == nil && os.Geteuid() != 0 {
		t.Skip("secret is readable: permissions are not enforced here")
	}

	const msg = "lolcat: secret: Permission denied\n"
	for _, c := range []struct{ opts, files []string }{
		{nil, []string{"f", "secret", "f"}},
		{[]string{"-f", "-S", "3"}, []string{"f", "secret", "f"}},
		{[]string{"-f", "-t", "-S", "9"}, []string{"secret", "f"}},
	} {
		args := append(append([]string{}, c.opts...), c.files...)
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want, wantErr, wantSt := theirs(args...)
			got, gotErr, gotSt := ours(args...)
			// Each file restarts from the seed, so every f prints what
			// Ruby prints for f alone.
			fOut, _, fSt := theirs(append(append([]string{}, c.opts...), "f")...)
			if len(fOut) == 0 || fSt != 0 {
				t.Fatalf("Ruby on f: %d %q", fSt, fOut)
			}
			// Ruby: the files before the error, then the message on
			// stdout, exit 1.
			nBefore := slices.Index(c.files, "secret")
			if !bytes.Equal(want, append(bytes.Repeat(fOut, nBefore), msg...)) || len(wantErr) != 0 || wantSt != 1 {
				t.Fatalf("Ruby: %d %q %q", wantSt, want, wantErr)
			}
			// moobox: every readable file, the message on stderr, exit 1.
			wantOut := bytes.Repeat(fOut, len(c.files)-1)
			if !bytes.Equal(got, wantOut) || string(gotErr) != msg || gotSt != wantSt {
				t.Errorf("got %d %q %q\nwant %d %q %q", gotSt, got, gotErr, wantSt, wantOut, msg)
			}
		})
	}
}
