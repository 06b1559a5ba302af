package fortune

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// TestMain lets the test binary stand in for strfile: with
// MOOBOX_FORTUNE_TEST_MAIN=strfile it runs that applet, so tests can run
// it as another user.
func TestMain(m *testing.M) {
	switch os.Getenv("MOOBOX_FORTUNE_TEST_MAIN") {
	case "strfile":
		os.Exit(StrfileMain(applet.OS()))
	case "unstr":
		os.Exit(UnstrMain(applet.OS()))
	}
	os.Exit(m.Run())
}

// treeState lists everything under dir: type and mode, owner, link count
// and, for regular files, the contents.
func treeState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		s := fmt.Sprintf("%s %v %d:%d links=%d", rel, fi.Mode(), st.Uid, st.Gid, st.Nlink)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			s += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s += fmt.Sprintf(" %q", b)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// diffStates reports the lines in which two tree states differ.
func diffStates(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			t.Errorf("%s: Debian left %s", what, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			t.Errorf("%s: moobox left  %s", what, s)
		}
	}
}

// A name ending in "/", a link followed by "..", a name of 250 bytes:
// strfile and unstr take their paths as given, uncleaned, as the kernel
// does (the applet runs in a directory that is not the process's).
func TestStrfileOutputPaths(t *testing.T) {
	deb := debianTool(t, "strfile")
	long := strings.Repeat("a", 250)
	setup := func(dir string) {
		writeFile(t, filepath.Join(dir, "in"), []byte("b\n%\na\n%\n"))
		writeFile(t, filepath.Join(dir, "out"), []byte("old"))
		for _, d := range []string{"dir", "real/sub"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for l, to := range map[string]string{"lnk": "real/sub", "lf": "in", "ld": "dir", "dangling": "nowhere", "dsl": "nowhere/"} {
			if err := os.Symlink(to, filepath.Join(dir, l)); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, filepath.Join(dir, "real/in2"), []byte("c\n%\n"))
	}
	var runs [][]string
	for _, o := range []string{"out/", "newdir/", "dir/", "dir", "lf/", "ld/", "dangling/", "dsl", "lnk/../x.dat", "out/x", "nowhere/x",
		"nowhere/x/", "out/x/", "/", "./", "dir/.", "out/.", "//", long, "ld/" + long + ".dat"} {
		runs = append(runs, []string{"-s", "in", o})
	}
	for _, i := range []string{"in/", "lnk/../in2", "lnk/../in", "lf/", "lf", "ld/../in"} {
		runs = append(runs, []string{"-s", i, "o.dat"})
	}
	runs = append(runs, []string{"-o", "lnk/../in2"})
	ddir, mdir := t.TempDir(), t.TempDir()
	setup(ddir)
	setup(mdir)
	runStrfileBoth(t, deb, ddir, mdir, runs)
	diffStates(t, "strfile", treeState(t, mdir), treeState(t, ddir))

	// unstr: Debian's always fails, so check the paths by hand.
	for _, c := range []struct {
		out, err string
	}{{"out/", "out/: Is a directory\n"}, {"newdir/", "newdir/: Is a directory\n"}, {"lnk/../u.txt", ""}} {
		r := runApplet(t, UnstrMain, mdir, nil, "unstr", "lnk/../in2.dat", c.out)
		wantErr := "Input file: lnk/../in2.dat\nOutput file: " + c.out + "\n" + c.err
		if r.stderr != wantErr || (r.code == 0) != (c.err == "") {
			t.Errorf("unstr to %s: %+v, want stderr %q", c.out, r, wantErr)
		}
	}
	if b, err := os.ReadFile(filepath.Join(mdir, "real/u.txt")); err != nil || string(b) != "c\n%\n" {
		t.Errorf("unstr lnk/../u.txt: real/u.txt holds %q (%v)", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(mdir, "newdir")); err == nil {
		t.Errorf("unstr newdir/ made a %v", fi.Mode())
	}
}

// strfile run as nobody over files of other owners, modes (set-user-ID,
// set-group-ID, sticky), hard links and unwritable directories leaves
// every file (mode, owner, links, contents) as Debian's strfile does:
// a file that is not ours alone is rewritten in place, ours is replaced
// with the mode the kernel would leave.
func TestStrfileOutputOwnership(t *testing.T) {
	testutil.RequireRoot(t)
	deb := debianTool(t, "strfile")
	setpriv := testutil.RequireTool(t, "setpriv", "util-linux")
	base, err := os.MkdirTemp("", "moobox-strfile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	moo := filepath.Join(base, "strfile")
	copyExec(t, self, moo)

	const setup = `set -e
umask 022
printf 'a\n%%\nb\n%%\n' > in
mk() { echo old > "$1"; chown "$3" "$1"; chmod "$2" "$1"; }
mk a 666 root:root; mk b 4777 root:root; mk c 4777 nobody:nogroup; mk d 2777 nobody:nogroup
mk e 2767 nobody:nogroup; mk f 2767 nobody:root; mk g 2777 nobody:root; mk h 6777 nobody:nogroup
mk i 1777 nobody:nogroup; mk j 444 nobody:nogroup; mk k 646 nobody:root; mk l 2767 root:root
mk m 600 nobody:nogroup; mk n 4755 root:root
mkdir ud; mk ud/w 666 root:root; mk ud/x 666 nobody:nogroup; chmod 755 ud
mk hl 666 root:root; ln hl hl2; mk hm 666 nobody:nogroup; ln hm hm2
mkdir nd; mk nd/o 644 nobody:nogroup; ln nd/o nd/o2; mk nd/p 640 nobody:nogroup; chown nobody nd
mkdir sg; chown nobody:root sg; chmod 2777 sg; mk sg/q 664 nobody:nogroup
mk r1 4755 root:root; mk r2 6770 root:root; mk r3 2710 nobody:nogroup; mk r4 1640 nobody:nogroup
chmod 777 .
`
	asNobody := []string{"ud/w", "ud/x", "ud/new"}
	for _, n := range strings.Fields("a b c d e f g h i j k l m hl hm nd/o nd/p sg/q sg/new") {
		asNobody = append(asNobody, n)
	}
	asRoot := []string{"n", "r1", "r2", "r3", "r4", "hm2"}
	state := map[string][]string{}
	outs := map[string][]string{}
	for who, prog := range map[string]string{"debian": deb, "moobox": moo} {
		dir := filepath.Join(base, who)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		sh := exec.Command("sh", "-c", setup)
		sh.Dir = dir
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("setup: %v\n%s", err, out)
		}
		env := []string{"PATH=/usr/bin:/bin", "LANG=C", "MOOBOX_FORTUNE_TEST_MAIN=strfile"}
		run := func(nobody bool, target string) {
			argv := []string{prog, "-s", "in", target}
			if nobody {
				argv = append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"}, argv...)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			outs[who] = append(outs[who], fmt.Sprintf("%s: %q %v", target, out, err))
		}
		for _, n := range asNobody {
			run(true, n)
		}
		for _, n := range asRoot {
			run(false, n)
		}
		state[who] = treeState(t, dir)
	}
	for i := range outs["debian"] {
		if outs["debian"][i] != outs["moobox"][i] {
			t.Errorf("moobox %s\ndebian %s", outs["moobox"][i], outs["debian"][i])
		}
	}
	diffStates(t, "as nobody and root", state["moobox"], state["debian"])
}

// copyExec copies an executable to where every user can run it.
func copyExec(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStrfileFullDiskKeepsOld: when the disk is full, replacing one's own
// index fails with an error and leaves the old index whole (Debian's
// strfile truncates it and exits 0). A tmpfs with no inode left stands in
// for the full disk, in a private mount namespace.
func TestStrfileFullDiskKeepsOld(t *testing.T) {
	testutil.RequireRoot(t)
	unshare := testutil.RequireTool(t, "unshare", "util-linux")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mnt, keep := t.TempDir(), t.TempDir()
	script := `set -e
mount -t tmpfs -o size=64k,nr_inodes=5 tmpfs "$1"
cd "$1"
printf 'x\n%%\n' > in
"$2" -s in in.dat
cp in.dat "$3/orig.dat"
seq 1 1500 | sed 's/$/\n%/' > big
dd if=/dev/zero of=fill bs=4k 2>/dev/null || true
set +e
"$2" -s big in.dat
echo "rc=$?"
cmp -s in.dat "$3/orig.dat" && echo same
`
	cmd := exec.Command(unshare, "-m", "sh", "-c", script, "sh", mnt, exe, keep)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C", "MOOBOX_FORTUNE_TEST_MAIN=strfile"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "No space left on device") || !strings.Contains(string(out), "rc=1\n") || !strings.Contains(string(out), "same\n") {
		t.Errorf("strfile on a full disk:\n%s\nwant an error, exit 1 and the old index unchanged", out)
	}
}
