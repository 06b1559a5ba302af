package moobox_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// nobody is the unprivileged user the builds below run as.
const nobody = 65534

// TestUnprivilegedBuild builds moo.sif and the OCI layout as root and again
// as nobody (no capabilities, no groups, a read-only HOME, umask 077), and
// requires identical bytes: moobuild needs no privilege, and the image's
// owners and modes do not depend on who built it.
func TestUnprivilegedBuild(t *testing.T) {
	testutil.RequireRoot(t)
	setpriv := testutil.RequireTool(t, "setpriv", "util-linux")
	dir := worldDir(t)
	moobuild, busybox := buildTools(t, dir)
	def := filepath.Join(dir, "moo.def")
	copyFile(t, "image/moo.def", def, 0o644)
	epoch := fmt.Sprint(rand.Int64N(2_000_000_000))

	home := filepath.Join(dir, "home")
	mkdir(t, home, 0o555) // root-owned, so read-only for nobody
	rootOut := filepath.Join(dir, "root-out")
	mkdir(t, rootOut, 0o755)
	userOut := filepath.Join(dir, "user-out")
	mkdir(t, userOut, 0o755)
	if err := os.Chown(userOut, nobody, nobody); err != nil {
		t.Fatal(err)
	}

	run := func(asNobody bool, args ...string) (string, error) {
		t.Helper()
		env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "SOURCE_DATE_EPOCH=" + epoch, "TZ=UTC", "LANG=C"}
		line := "umask 022; exec \"$@\""
		if asNobody {
			line = "umask 077; exec \"$@\""
			env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "SOURCE_DATE_EPOCH=" + epoch, "TZ=Pacific/Chatham", "LANG=de_DE.UTF-8"}
		}
		argv := append([]string{"sh", "-c", line, "sh", moobuild}, args...)
		if asNobody {
			argv = append([]string{setpriv, fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, who := range []struct {
		nobody bool
		out    string
	}{{false, rootOut}, {true, userOut}} {
		if out, err := run(who.nobody, "--busybox", busybox, filepath.Join(who.out, "moo.sif"), def); err != nil {
			t.Fatalf("SIF build (nobody=%v): %v\n%s", who.nobody, err, out)
		}
		if out, err := run(who.nobody, "oci", "--busybox", busybox, "--def", def, "oci:"+filepath.Join(who.out, "layout")+":latest"); err != nil {
			t.Fatalf("OCI build (nobody=%v): %v\n%s", who.nobody, err, out)
		}
	}
	a, b := readTree(t, rootOut), readTree(t, userOut)
	if len(a) < 4 {
		t.Fatalf("root build wrote only %v", keys(a))
	}
	for p, x := range a {
		y, ok := b[p]
		switch {
		case !ok:
			t.Errorf("%s: written as root, missing as nobody", p)
		case !bytes.Equal(x, y):
			t.Errorf("%s: differs between the root and the unprivileged build", p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s: written as nobody only", p)
		}
	}
	// Files written as nobody stay readable by others, whatever the umask.
	filepath.WalkDir(userOut, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, _ := d.Info(); fi.Mode().Perm()&0o044 != 0o044 {
				t.Errorf("%s: mode %v is not readable by group and others", p, fi.Mode().Perm())
			}
		}
		return nil
	})

	// Errors only an unprivileged user meets: an output directory it cannot
	// write, a %files source it cannot read. Clear message, no output.
	locked := filepath.Join(dir, "locked")
	mkdir(t, locked, 0o755)
	out, err := run(true, "--busybox", busybox, filepath.Join(locked, "moo.sif"), def)
	if err == nil || !strings.Contains(out, "permission denied") || !strings.Contains(out, locked) {
		t.Errorf("unwritable output dir: err %v, output %q; want a permission error naming the directory", err, out)
	}
	secret := filepath.Join(dir, "secret.txt")
	copyFile(t, "image/moo.def", secret, 0o600)
	def2 := filepath.Join(dir, "files.def")
	if err := os.WriteFile(def2, []byte("Bootstrap: scratch\n\n%files\n    "+secret+" /etc/secret.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(true, "--busybox", busybox, filepath.Join(userOut, "files.sif"), def2)
	if err == nil || !strings.Contains(out, "secret.txt") {
		t.Errorf("unreadable %%files source: err %v, output %q; want an error naming the file", err, out)
	}
	for _, p := range []string{filepath.Join(locked, "moo.sif"), filepath.Join(userOut, "files.sif")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists after a failed build", p)
		}
	}
	if ents, _ := os.ReadDir(locked); len(ents) != 0 {
		t.Errorf("failed build left %d entries in %s", len(ents), locked)
	}
}

// worldDir makes a temporary directory every user can enter (t.TempDir is
// private to root).
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "moobox-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildTools builds moobuild and busybox, reproducibly, into dir.
func buildTools(t *testing.T, dir string) (moobuild, busybox string) {
	t.Helper()
	for _, c := range []string{"moobuild", "busybox"} {
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", filepath.Join(dir, c), "./cmd/"+c)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", c, err, out)
		}
	}
	return filepath.Join(dir, "moobuild"), filepath.Join(dir, "busybox")
}

func mkdir(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil {
		t.Fatal(err)
	}
}

// readTree maps each regular file under dir (by relative path) to its bytes.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keys(m map[string][]byte) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	return k
}

// TestUnprivilegedBuildFromSource: nobody builds moo.sif and the OCI
// layout from source, without --busybox, with a read-only HOME and no
// GOCACHE, GOMODCACHE or GOPATH set, so moobuild compiles busybox with
// caches of its own under TMPDIR (made 0700, and reused by the second
// build). Its bytes must equal root's build of the same checkout.
// The modules come from a file proxy copied out of root's module cache
// (nobody cannot read it, and the test needs no network).
func TestUnprivilegedBuildFromSource(t *testing.T) {
	testutil.RequireRoot(t)
	setpriv := testutil.RequireTool(t, "setpriv", "util-linux")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	dir := worldDir(t)
	moobuild, _ := buildTools(t, dir)
	// One copy of the checkout, without .git, built by both: root's
	// build sees the same (absent) revision as nobody's.
	src := filepath.Join(dir, "src")
	copyTree(t, ".", src)
	proxy := filepath.Join(dir, "goproxy")
	copyModules(t, proxy)
	home := filepath.Join(dir, "home")
	mkdir(t, home, 0o555)
	tmp := filepath.Join(dir, "tmp")
	mkdir(t, tmp, fs.ModeSticky|0o777)
	epoch := fmt.Sprint(rand.Int64N(2_000_000_000))
	outs := map[bool]string{}
	for _, asNobody := range []bool{false, true} {
		out := filepath.Join(dir, fmt.Sprintf("out-nobody-%v", asNobody))
		mkdir(t, out, 0o755)
		env := []string{"PATH=" + filepath.Dir(goBin) + ":/usr/bin:/bin", "SOURCE_DATE_EPOCH=" + epoch, "GOTOOLCHAIN=local"}
		var pre []string
		if asNobody {
			os.Chown(out, nobody, nobody)
			env = append(env, "HOME="+home, "TMPDIR="+tmp, "GOPROXY=file://"+proxy)
			pre = []string{setpriv, fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"}
		} else {
			// root builds with its own (warm) caches.
			for _, k := range []string{"HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY"} {
				if v, ok := os.LookupEnv(k); ok {
					env = append(env, k+"="+v)
				}
			}
		}
		for _, args := range [][]string{
			{filepath.Join(out, "moo.sif")},
			{"oci", "oci:" + filepath.Join(out, "layout")},
		} {
			argv := append(append(pre, moobuild, "-q"), args...)
			if args[0] == "oci" {
				argv = append(append(pre, moobuild, "oci", "-q"), args[1:]...)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir, cmd.Env = src, env
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s (nobody=%v): %v\n%s", strings.Join(args, " "), asNobody, err, b)
			}
			if strings.Contains(string(b), "warning") {
				t.Errorf("%s (nobody=%v) warned: %s", strings.Join(args, " "), asNobody, b)
			}
		}
		outs[asNobody] = out
	}
	a, b := readTree(t, outs[false]), readTree(t, outs[true])
	if len(a) < 4 || len(a) != len(b) {
		t.Errorf("root wrote %v, nobody %v", keys(a), keys(b))
	}
	for p, x := range a {
		if !bytes.Equal(x, b[p]) {
			t.Errorf("%s: differs between root's build and nobody's", p)
		}
	}
	// nobody's build used (and kept) private caches in TMPDIR.
	for _, name := range []string{"moobuild-gocache-65534", "moobuild-gomodcache-65534"} {
		fi, err := os.Lstat(filepath.Join(tmp, name))
		if err != nil || fi.Mode() != fs.ModeDir|0o700 || fi.Sys().(*syscall.Stat_t).Uid != nobody {
			t.Errorf("%s: %v %v", name, fi, err)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 2 {
		t.Errorf("TMPDIR holds %d entries, want the 2 caches", len(ents))
	}
}

// copyModules makes a GOPROXY directory holding, from root's module
// cache, every module's go.mod and the zips of busybox's dependencies.
func copyModules(t *testing.T, proxy string) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	out, err = exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if .Version}}{{.Path}}@{{.Version}}{{end}}{{end}}", "./cmd/busybox").Output()
	if err != nil {
		t.Fatal(err)
	}
	zips := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		path, ver, _ := strings.Cut(m, "@")
		zips[filepath.Join(escapeModPath(path), "@v", ver)] = true
	}
	err = filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(cache, p)
		ext := filepath.Ext(rel)
		switch {
		case ext == ".mod" || ext == ".info" || d.Name() == "list":
		case (ext == ".zip" || ext == ".ziphash") && zips[strings.TrimSuffix(rel, ext)]:
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(proxy, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// escapeModPath is the module cache's case encoding ("!" before a
// lower-cased capital).
func escapeModPath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
