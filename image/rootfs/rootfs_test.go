package rootfs

import (
	"io/fs"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moobox/moobox/cows"
	"github.com/moobox/moobox/fortunes"
	"github.com/moobox/moobox/internal/applets"
	"github.com/moobox/moobox/internal/testutil"
)

func TestAddRules(t *testing.T) {
	tr := New(time.Unix(42, 0))
	ok := []Entry{
		{Path: "/a/b/c", Mode: 0o644, Data: []byte("x")},
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "l", Mode: fs.ModeSymlink, Target: "a/b/c"},
		{Path: "a/b/c", Mode: 0o755, Data: []byte("replaced")},
	}
	for _, e := range ok {
		if err := tr.Add(e); err != nil {
			t.Errorf("Add(%+v): %v", e, err)
		}
	}
	bad := []Entry{
		{Path: "", Mode: 0o644},
		{Path: "/", Mode: fs.ModeDir | 0o755},
		{Path: "../x", Mode: 0o644},
		{Path: "a/../../x", Mode: 0o644},
		{Path: "s", Mode: fs.ModeSetuid | 0o755},
		{Path: "g", Mode: fs.ModeSetgid | 0o755},
		{Path: "w", Mode: 0o666},
		{Path: "wd", Mode: fs.ModeDir | 0o777},
		{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
		{Path: "a/b/c/d", Mode: 0o644},            // parent is a file
		{Path: "a/b", Mode: 0o644},                // directory exists
		{Path: "l2", Mode: fs.ModeSymlink},        // no target
		{Path: "a/b/c", Mode: fs.ModeDir | 0o755}, // file exists
	}
	for _, e := range bad {
		if err := tr.Add(e); err == nil {
			t.Errorf("Add(%+v) succeeded", e)
		}
	}
	if e, ok := tr.Lookup("/a/b/c"); !ok || string(e.Data) != "replaced" || e.Mode != 0o755 {
		t.Errorf("Lookup a/b/c = %+v %v", e, ok)
	}
	if e, ok := tr.Lookup("a"); !ok || e.Mode != fs.ModeDir|0o755 {
		t.Errorf("implicit parent a = %+v %v", e, ok)
	}
	if e, _ := tr.Lookup("l"); e.Mode != fs.ModeSymlink|0o777 {
		t.Errorf("symlink mode %v", e.Mode)
	}
	if err := tr.Remove("a"); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range tr.Entries() {
		paths = append(paths, e.Path)
	}
	if got := strings.Join(paths, " "); got != "l tmp" {
		t.Errorf("after Remove: %s", got)
	}
}

func TestEntriesSortedParentsFirst(t *testing.T) {
	tr := New(time.Unix(0, 0))
	for _, p := range []string{"usr/bin-x/a", "usr/bin/sh", "usr/bin.d/z", "b", "usr/bin/a"} {
		if err := tr.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	es := tr.Entries()
	for i, e := range es {
		if i > 0 && es[i-1].Path >= e.Path {
			t.Errorf("not sorted: %q then %q", es[i-1].Path, e.Path)
		}
		if d := dirOf(e.Path); d != "" && !seen[d] {
			t.Errorf("%s comes before its parent %s", e.Path, d)
		}
		seen[e.Path] = true
	}
}

func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

func TestMoobox(t *testing.T) {
	mt := time.Unix(1234567890, 0)
	bb := []byte("\x7fELF fake busybox")
	tr, err := Moobox(mt, bb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.MTime.Equal(mt) {
		t.Errorf("MTime %v", tr.MTime)
	}
	e, ok := tr.Lookup(BusyboxPath)
	if !ok || e.Mode != 0o755 || string(e.Data) != string(bb) {
		t.Fatalf("busybox entry %+v", e)
	}
	for _, n := range applets.Names() {
		e, ok := tr.Lookup("usr/bin/" + n)
		if !ok || !e.IsSymlink() || e.Target != "busybox" {
			t.Errorf("applet link %s: %+v %v", n, e, ok)
		}
	}
	want := map[string]fs.FileMode{
		"bin":     fs.ModeSymlink | 0o777,
		"sbin":    fs.ModeSymlink | 0o777,
		"tmp":     fs.ModeDir | fs.ModeSticky | 0o777,
		"var/tmp": fs.ModeDir | fs.ModeSticky | 0o777,
		"root":    fs.ModeDir | 0o700,
		"dev":     fs.ModeDir | 0o755, "proc": fs.ModeDir | 0o755, "sys": fs.ModeDir | 0o755,
		"home": fs.ModeDir | 0o755, "run": fs.ModeDir | 0o755,
		"etc/passwd": 0o644, "etc/group": 0o644, "etc/hosts": 0o644, "etc/os-release": 0o644,
	}
	for p, m := range want {
		if e, ok := tr.Lookup(p); !ok || e.Mode != m {
			t.Errorf("%s: got %v %v, want %v", p, e.Mode, ok, m)
		}
	}
	if e, _ := tr.Lookup("bin"); e.Target != "usr/bin" {
		t.Errorf("bin -> %q", e.Target)
	}
	if e, _ := tr.Lookup("etc/os-release"); !strings.Contains(string(e.Data), "ID=moobox\n") {
		t.Errorf("os-release: %q", e.Data)
	}
	if e, _ := tr.Lookup("etc/passwd"); !strings.Contains(string(e.Data), "nobody:x:65534:65534:") {
		t.Errorf("passwd: %q", e.Data)
	}
	checkData := func(dir string, fsys fs.FS, suffix string) {
		des, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range des {
			if d.IsDir() || !strings.HasSuffix(d.Name(), suffix) {
				continue
			}
			n++
			want, _ := fs.ReadFile(fsys, d.Name())
			e, ok := tr.Lookup(dir + "/" + d.Name())
			if !ok || e.Mode != 0o644 || string(e.Data) != string(want) {
				t.Errorf("%s/%s missing or different", dir, d.Name())
			}
		}
		if n == 0 {
			t.Errorf("no data files for %s", dir)
		}
	}
	checkData(FortuneDir, fortunes.FS, "")
	checkData(CowDir, cows.FS, ".cow")
	if _, ok := tr.Lookup(FortuneDir + "/unix.dat"); !ok {
		t.Error("fortune .dat index missing")
	}
	// Nothing world-writable but the sticky directories, no set[ug]id.
	for _, e := range tr.Entries() {
		if e.IsSymlink() {
			continue
		}
		if e.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			t.Errorf("%s: %v", e.Path, e.Mode)
		}
		if e.Mode&0o002 != 0 && !(e.IsDir() && e.Mode&fs.ModeSticky != 0) {
			t.Errorf("%s world-writable: %v", e.Path, e.Mode)
		}
	}
	if _, err := Moobox(mt, nil, Options{}); err == nil {
		t.Error("Moobox with no binary succeeded")
	}
}

func TestAddFS(t *testing.T) {
	tr := New(time.Unix(0, 0))
	fsys := fstest.MapFS{
		"a.txt":   {Data: []byte("a"), Mode: 0o600},
		"d/x.sh":  {Data: []byte("#!/bin/sh"), Mode: 0o700},
		"d/e/f":   {Data: []byte("f"), Mode: 0o666},
		"d/e":     {Mode: fs.ModeDir | 0o700},
		"d/sub/g": {Data: nil, Mode: 0o444},
	}
	if err := tr.AddFS("opt/x", fsys); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		"opt/x/a.txt": 0o644, "opt/x/d/x.sh": 0o755, "opt/x/d/e/f": 0o644,
		"opt/x/d/e": fs.ModeDir | 0o755, "opt/x/d/sub/g": 0o644,
	}
	for p, m := range want {
		if e, ok := tr.Lookup(p); !ok || e.Mode != m {
			t.Errorf("%s: %v %v want %v", p, e.Mode, ok, m)
		}
	}
}

func TestParsePlatforms(t *testing.T) {
	ps, err := ParsePlatforms("linux/arm64,amd64,linux/arm,linux/arm64/v8")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if s := strings.Join(got, " "); s != "linux/arm64 linux/amd64 linux/arm/v7" {
		t.Errorf("got %s", s)
	}
	all, _ := ParsePlatforms("all")
	if len(all) != 7 {
		t.Errorf("all: %v", all)
	}
	for _, bad := range []string{"", "windows/amd64", "linux/mips", "linux/arm/v5", "a/b/c/d"} {
		if _, err := ParsePlatforms(bad); err == nil {
			t.Errorf("ParsePlatforms(%q) succeeded", bad)
		}
	}
	names := make([]string, len(AllPlatforms))
	for i, p := range AllPlatforms {
		names[i] = p.String()
	}
	if sort.StringsAreSorted(names) {
		t.Log("(AllPlatforms happens to be sorted)")
	}
}

func TestSourceDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	d, err := SourceDate("")
	if err != nil || d.Unix() != 1700000000 || d.Location() != time.UTC {
		t.Errorf("got %v %v", d, err)
	}
	for _, bad := range []string{"x", "-1", "1.5", "99999999999999"} {
		t.Setenv("SOURCE_DATE_EPOCH", bad)
		if _, err := SourceDate(""); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH=%s accepted", bad)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if d, err := SourceDate(t.TempDir()); err != nil || d.Unix() != 0 {
		t.Errorf("outside git: %v %v", d, err)
	}
}

// TestSourceDateWarns: a checkout whose HEAD git cannot read gets the
// epoch with a warning saying why; a directory outside git gets it quietly.
func TestSourceDateWarns(t *testing.T) {
	gitBin := testutil.RequireTool(t, "git", "git")
	t.Setenv("SOURCE_DATE_EPOCH", "")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(gitBin, append([]string{"-C", dir, "-c", "user.name=m", "-c", "user.email=m@example.org"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=1600000000 +0000", "GIT_AUTHOR_DATE=1600000000 +0000")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	plain, empty, repo := t.TempDir(), t.TempDir(), t.TempDir()
	git(empty, "init", "-q")
	git(repo, "init", "-q")
	git(repo, "commit", "-q", "--allow-empty", "-m", "c")
	for _, c := range []struct {
		dir  string
		date int64
		warn string
	}{
		{plain, 0, ""},
		{empty, 0, "moobuild: warning: cannot read the commit time of HEAD in " + empty + " (git: "},
		{repo, 1600000000, ""},
	} {
		var w strings.Builder
		d, err := sourceDate(c.dir, &w)
		if err != nil || d.Unix() != c.date || !strings.HasPrefix(w.String(), c.warn) || (c.warn == "") != (w.Len() == 0) ||
			(c.warn != "" && !strings.Contains(w.String(), "set SOURCE_DATE_EPOCH")) {
			t.Errorf("%s: %v %v, warning %q, want %d %q", c.dir, d, err, w.String(), c.date, c.warn)
		}
	}
}

func TestELFPlatformRejectsGarbage(t *testing.T) {
	if _, err := ELFPlatform([]byte("#!/bin/sh\n")); err == nil {
		t.Error("script accepted as ELF")
	}
}

// TestCheckBusybox: only a static build of moobox's busybox is accepted
// as --busybox (TestErrors in image/build runs the real cases through
// moobuild: a cgo busybox, moobuild itself).
func TestCheckBusybox(t *testing.T) {
	cases := []struct{ file, want string }{
		{testutil.RequireTool(t, "true", "coreutils"), "is dynamically linked; build it with CGO_ENABLED=0"},
		{"/bin/busybox", "is not a Go program"}, // Debian's busybox-static
	}
	for _, c := range cases {
		data, err := os.ReadFile(c.file)
		if err != nil {
			testutil.Missing(t, c.file+": "+err.Error()+"; install Debian package busybox-static")
			continue
		}
		if err := CheckBusybox(data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckBusybox(%s) = %v, want %q", c.file, err, c.want)
		}
	}
	if err := CheckBusybox([]byte("#!/bin/sh\n")); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("script: %v", err)
	}
}

// TestPrivateDir: the shared temporary directory's Go caches are used only
// when they are the builder's own private directories.
func TestPrivateDir(t *testing.T) {
	base := t.TempDir()
	var warn strings.Builder
	d, fresh, err := privateDir(base, "own", &warn)
	if err != nil || fresh || d != base+"/own" {
		t.Fatalf("absent: %q %v %v", d, fresh, err)
	}
	if fi, err := os.Lstat(d); err != nil || fi.Mode() != fs.ModeDir|0o700 {
		t.Fatalf("made %v %v", fi.Mode(), err)
	}
	if d2, fresh, _ := privateDir(base, "own", &warn); d2 != d || fresh || warn.Len() != 0 {
		t.Errorf("second use: %q %v %q", d2, fresh, warn.String())
	}
	// Not ours to use: world-writable, a symlink to our own directory, a
	// file, a directory of another user.
	os.Mkdir(base+"/open", 0o777)
	os.Chmod(base+"/open", 0o777)
	os.Symlink(d, base+"/link")
	os.WriteFile(base+"/file", nil, 0o600)
	bad := []string{"open", "link", "file"}
	if os.Geteuid() == 0 {
		os.Mkdir(base+"/theirs", 0o700)
		if err := os.Chown(base+"/theirs", 65534, 65534); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, "theirs")
	} else {
		t.Log("not root: the case of another user's directory is not run")
	}
	for _, name := range bad {
		warn.Reset()
		got, fresh, err := privateDir(base, name, &warn)
		if err != nil || !fresh || !strings.HasPrefix(got, base+"/"+name+"-") || !strings.Contains(warn.String(), "not using "+base+"/"+name) {
			t.Errorf("%s: got %q fresh %v err %v warning %q", name, got, fresh, err, warn.String())
			continue
		}
		if fi, err := os.Lstat(got); err != nil || fi.Mode() != fs.ModeDir|0o700 || !ownedByMe(fi) {
			t.Errorf("%s: fresh directory %v %v", name, fi.Mode(), err)
		}
	}
}

// FuzzCheckBusybox: any bytes give an answer, never a panic, and only
// well-formed moobox busybox builds are accepted.
func FuzzCheckBusybox(f *testing.F) {
	f.Add([]byte("#!/bin/sh\n"))
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	if b, err := os.ReadFile("/bin/true"); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if CheckBusybox(data) == nil {
			if _, err := ELFPlatform(data); err != nil {
				t.Fatalf("accepted, but ELFPlatform: %v", err)
			}
		}
	})
}

func FuzzAdd(f *testing.F) {
	f.Add("usr/bin/sh", uint32(0o755), "x")
	f.Add("../etc", uint32(fs.ModeDir|0o777), "")
	f.Add("/a//b/./c", uint32(fs.ModeSymlink), "t")
	f.Fuzz(func(t *testing.T, p string, mode uint32, target string) {
		tr := New(time.Unix(0, 0))
		err := tr.Add(Entry{Path: p, Mode: fs.FileMode(mode), Target: target, Data: []byte(target)})
		if err != nil {
			return
		}
		for _, e := range tr.Entries() {
			if e.Path == "" || strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") || strings.Contains("/"+e.Path+"/", "/./") {
				t.Fatalf("bad path %q from %q", e.Path, p)
			}
			if e.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
				t.Fatalf("setuid accepted: %v", e.Mode)
			}
		}
	})
}

func TestFindSource(t *testing.T) {
	root, err := FindSource(".")
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := FindSource(root + "/image/rootfs"); err != nil || sub != root {
		t.Errorf("from a subdirectory: %q %v", sub, err)
	}
	if _, err := FindSource(t.TempDir()); err == nil {
		t.Error("found a checkout in an empty temporary directory")
	}
	if !isMooboxMod([]byte("// c\nmodule \"github.com/moobox/moobox\"\n")) || isMooboxMod([]byte("module github.com/moobox/mooboxx\n")) {
		t.Error("isMooboxMod")
	}
}
