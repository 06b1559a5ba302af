package build_test

// Acceptance tests: moobuild is run as a program, and its images are read
// by the real clients (skopeo, umoci, runc, podman, Debian's
// docker-registry, qemu-user-static). Each test skips when its tool is
// missing (fails under MOOBOX_REQUIRE_TOOLS=1, as in CI).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/internal/testutil"
)

var (
	srcRoot  string // the checkout
	tmpRoot  string // 0755 scratch directory shared by the tests
	moobuild string // the moobuild binary under test
	epoch    string // random SOURCE_DATE_EPOCH, so no test depends on a date
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	if srcRoot, err = rootfs.FindSource("."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if tmpRoot, err = os.MkdirTemp("", "moobuild-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)
	os.Chmod(tmpRoot, 0o755) // the unprivileged build reads from here
	// Random unless given, so a failure logged with its date can be replayed.
	epoch = os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		epoch = strconv.FormatInt(1_000_000_000+rand.Int64N(1_000_000_000), 10)
	}
	moobuild = filepath.Join(tmpRoot, "moobuild")
	cmd := exec.Command("go", "build", "-trimpath", "-o", moobuild, "./cmd/moobuild")
	cmd.Dir = srcRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/moobuild: %v\n%s", err, out)
		return 1
	}
	defer stopRegistry()
	return m.Run()
}

// run describes one moobuild invocation's environment.
type run struct {
	dir    string   // working directory (default tmpRoot)
	umask  string   // default 022
	env    []string // added to a clean environment
	nobody bool     // run as uid/gid 65534 with setpriv
}

// moo runs moobuild with args and returns its stdout (the digest line).
func (r run) moo(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := r.exec(args...)
	if err != nil {
		t.Fatalf("moobuild %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return strings.TrimSpace(out)
}

func (r run) exec(args ...string) (string, string, error) {
	if r.dir == "" {
		r.dir = tmpRoot
	}
	if r.umask == "" {
		r.umask = "022"
	}
	argv := []string{"sh", "-c", `umask "$0" && exec "$@"`, r.umask}
	if r.nobody {
		argv = append(argv, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
	}
	argv = append(argv, moobuild, "oci")
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = r.dir
	// A clean environment: only what a build may legitimately use.
	env := []string{"PATH=" + os.Getenv("PATH"), "SOURCE_DATE_EPOCH=" + epoch}
	for _, k := range []string{"HOME", "GOCACHE", "GOPATH", "GOMODCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	cmd.Env = append(env, r.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// busybox builds (once per platform) the busybox binary that moobuild
// would build, for --busybox.
var bbOnce sync.Map // platform string -> func() (string, error)

func busybox(t *testing.T, p rootfs.Platform) string {
	t.Helper()
	f, _ := bbOnce.LoadOrStore(p.String(), sync.OnceValues(func() (string, error) {
		data, err := rootfs.BuildBusybox(context.Background(), srcRoot, p)
		if err != nil {
			return "", err
		}
		path := filepath.Join(tmpRoot, "busybox-"+strings.ReplaceAll(p.String(), "/", "-"))
		return path, os.WriteFile(path, data, 0o755)
	}))
	path, err := f.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

var host = rootfs.Platform{OS: "linux", Arch: "amd64"}

func needAmd64(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("uname", "-m").Output(); err != nil || strings.TrimSpace(string(out)) != "x86_64" {
		t.Skip("runs the linux/amd64 image natively: needs an x86_64 host")
	}
}

func mkdir(t *testing.T, parts ...string) string {
	t.Helper()
	d := filepath.Join(append([]string{tmpRoot}, parts...)...)
	if err := os.MkdirAll(d, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o777) // writable by the unprivileged build
	return d
}

// tree reads every file under dir as path -> mode and content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		m[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

// TestReproducible is the headline: two builds in different directories,
// with different umask, TZ, locale and user give the same digest and the
// same bytes; the digest changes only with SOURCE_DATE_EPOCH or content.
func TestReproducible(t *testing.T) {
	needAmd64(t)
	bb := busybox(t, host)
	a, b := mkdir(t, "repro", "a"), mkdir(t, "repro", "b", "deeper")
	targets := func(d string) []string {
		return []string{"--src", srcRoot, "--busybox", bb, "--sbom", d + "/sbom.json", "-q",
			"oci:" + d + "/layout", "oci-archive:" + d + "/moobox.oci.tar", "docker-archive:" + d + "/moobox.docker.tar"}
	}
	ra := run{dir: a, umask: "022", env: []string{"TZ=UTC", "LC_ALL=C", "LANG=C"}}
	rb := run{dir: b, umask: "077", env: []string{"TZ=Pacific/Chatham", "LC_ALL=fr_FR.UTF-8", "LANG=de_DE.UTF-8", "HOME=" + b}}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("setpriv"); err == nil {
			rb.nobody = true
			rb.env = append(rb.env, "GOCACHE="+b+"/gocache")
		} else if testutil.Required() {
			t.Fatal("setpriv (Debian package util-linux) is needed to build as nobody")
		} else {
			t.Log("second build runs as root: no setpriv (Debian package util-linux)")
		}
	}
	argsB := targets(b)
	// MOOBUILD_TEST_COPY_SRC=1 exercises this path on a readable checkout.
	if rb.nobody && (os.Getenv("MOOBUILD_TEST_COPY_SRC") != "" || !readableByOthers(srcRoot)) {
		// nobody cannot read the checkout (CI's is under /root): give it
		// what a --busybox build reads of one, elsewhere.
		cp := mkdir(t, "repro", "src")
		for _, f := range []string{"go.mod", "image/moo.def"} {
			data, err := os.ReadFile(filepath.Join(srcRoot, f))
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Dir(filepath.Join(cp, f)), 0o755)
			os.WriteFile(filepath.Join(cp, f), data, 0o644)
		}
		argsB[1] = cp
		if rev := rootfs.Revision(srcRoot); rev != "" {
			argsB = append([]string{"--revision", rev}, argsB...)
		}
		t.Log("the checkout is not readable by nobody: its go.mod and moo.def are copied")
	}
	var da, db string
	for try := 0; ; try++ {
		// Both builds label the image with HEAD's commit: when a commit
		// lands in between (work in a shared checkout), build again.
		head := rootfs.Revision(srcRoot)
		da, db = ra.moo(t, targets(a)...), rb.moo(t, argsB...)
		if rootfs.Revision(srcRoot) == head || try == 2 {
			break
		}
		t.Log("HEAD moved during the builds: once more")
	}
	t.Logf("SOURCE_DATE_EPOCH=%s digest %s (second build as nobody: %v)", epoch, da, rb.nobody)
	if !strings.HasPrefix(da, "sha256:") || da != db {
		t.Fatalf("digests differ: %q vs %q", da, db)
	}
	for _, f := range []string{"sbom.json", "moobox.oci.tar", "moobox.docker.tar"} {
		sameFile(t, filepath.Join(a, f), filepath.Join(b, f))
	}
	ta, tb := tree(t, a+"/layout"), tree(t, b+"/layout")
	if len(ta) != len(tb) {
		t.Errorf("layouts have %d and %d files", len(ta), len(tb))
	}
	for k, v := range ta {
		if tb[k] != v {
			t.Errorf("layout file %s differs (%.40q vs %.40q)", k, v, tb[k])
		}
	}
	// Another date: another digest.
	n, _ := strconv.ParseInt(epoch, 10, 64)
	dc := run{env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(n+1, 10)}}.moo(t, "--src", srcRoot, "--busybox", bb, "-q", "oci:"+mkdir(t, "repro", "c")+"/layout")
	if dc == da {
		t.Error("digest unchanged with another SOURCE_DATE_EPOCH")
	}
	// Other content (one byte appended to the binary): another digest.
	data, _ := os.ReadFile(bb)
	bb2 := filepath.Join(tmpRoot, "repro", "busybox-changed")
	os.WriteFile(bb2, append(data, 0), 0o755)
	dd := run{}.moo(t, "--src", srcRoot, "--busybox", bb2, "-q", "oci:"+mkdir(t, "repro", "d")+"/layout")
	if dd == da || dd == dc {
		t.Error("digest unchanged with other content")
	}
	// Built from source by moobuild itself (default --src: the checkout
	// holding the working directory): the binary is the one `go build`
	// with the documented flags gives, and the image the one --busybox
	// gives with it. (Other work may change the source meanwhile, so the
	// comparison is with a build made right after, not the one above.)
	e := mkdir(t, "repro", "e")
	de := run{dir: srcRoot}.moo(t, "-q", "oci:"+e+"/layout")
	fresh, err := rootfs.BuildBusybox(context.Background(), srcRoot, host)
	if err != nil {
		t.Fatal(err)
	}
	inImage := layoutFile(t, e+"/layout", "", "usr/bin/busybox")
	if !bytes.Equal(inImage, fresh) {
		t.Errorf("moobuild's busybox (%d bytes) differs from go build's (%d bytes)", len(inImage), len(fresh))
	}
	os.WriteFile(e+"/busybox", inImage, 0o755)
	if df := (run{}).moo(t, "--src", srcRoot, "--busybox", e+"/busybox", "-q", "oci:"+e+"/again"); df != de {
		t.Errorf("from source: %s, from --busybox with the same binary: %s", de, df)
	}
	// The SBOM lists the files and the Go modules.
	var sb struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct{ Name, VersionInfo string }
		Files       []struct{ FileName string }
	}
	raw, _ := os.ReadFile(a + "/sbom.json")
	if err := json.Unmarshal(raw, &sb); err != nil || sb.SPDXVersion != "SPDX-2.3" {
		t.Fatalf("sbom: %v %s", err, sb.SPDXVersion)
	}
	names := map[string]bool{}
	for _, p := range sb.Packages {
		names[p.Name] = true
	}
	files := map[string]bool{}
	for _, f := range sb.Files {
		files[f.FileName] = true
	}
	for _, want := range []string{"moobox", "github.com/moobox/moobox", "stdlib"} {
		if !names[want] {
			t.Errorf("SBOM lacks package %s", want)
		}
	}
	for _, want := range []string{"./usr/bin/busybox", "./etc/os-release", "./usr/share/games/fortunes/unix.dat", "./usr/share/cowsay/cows/default.cow"} {
		if !files[want] {
			t.Errorf("SBOM lacks file %s", want)
		}
	}
}

// readableByOthers reports whether dir and its parents let "other" in.
func readableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode()&0o005 != 0o005 {
			return false
		}
		if filepath.Dir(d) == d {
			return true
		}
	}
}

// TestErrors: bad input gives a clear error and no output file.
func TestErrors(t *testing.T) {
	d := mkdir(t, "errors")
	isDir := mkdir(t, "errors-isdir")
	os.WriteFile(isDir+"/keep", nil, 0o644)
	bb := filepath.Join(d, "script")
	os.WriteFile(bb, []byte("#!/bin/sh\n"), 0o755)
	// A cgo build of moobox's busybox: the image has no dynamic loader.
	testutil.RequireTool(t, "gcc", "gcc")
	dyn := filepath.Join(tmpRoot, "busybox-cgo")
	cmd := exec.Command("go", "build", "-ldflags=-linkmode=external", "-o", dyn, "./cmd/busybox")
	cmd.Dir, cmd.Env = srcRoot, append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build a cgo busybox: %v\n%s", err, out)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch:x"}, "unknown transport"},
		{[]string{"--platform", "linux/mips", "oci:" + d + "/x"}, "not supported"},
		{[]string{"--compression", "xz", "oci:" + d + "/x"}, "want gzip or zstd"},
		{[]string{"--busybox", bb, "oci:" + d + "/x"}, "not an ELF"},
		{[]string{"--busybox", d + "/none", "oci:" + d + "/x"}, "no such file"},
		{[]string{"--busybox", dyn, "oci:" + d + "/x"}, "busybox-cgo is dynamically linked; build it with CGO_ENABLED=0"},
		{[]string{"--busybox", moobuild, "oci:" + d + "/x"}, "moobuild is a build of github.com/moobox/moobox/cmd/moobuild, not of moobox's busybox"},
		{[]string{"--src", srcRoot, "--platform", "linux/amd64,linux/arm64", "docker-archive:" + d + "/x.tar"}, "one platform"},
		{[]string{"--src", srcRoot, "--def", d + "/none.def", "oci:" + d + "/x"}, "none.def"},
		{[]string{"--src", "/", "oci:" + d + "/x"}, "not inside a moobox checkout"},
		{[]string{"--src", srcRoot, "--user", "bad user", "oci:" + d + "/x"}, `--user "bad user": "bad user" is neither a number nor a name`},
		{[]string{"--src", srcRoot, "--user", "0:0:0", "oci:" + d + "/x"}, "more than one ':'"},
		{[]string{"--src", srcRoot, "--user", "", "oci:" + d + "/x"}, "empty user"},
		{[]string{"--busybox", busybox(t, host), "--user", "ghost", "oci:" + d + "/x"}, "no ghost in the image's /etc/passwd"},
		{[]string{"--busybox", busybox(t, host), "--user", "nobody:nobodies", "oci:" + d + "/x"}, "no nobodies in the image's /etc/group"},
		// Outputs are checked before busybox is compiled.
		{[]string{"--src", srcRoot, "oci-archive:" + isDir}, "moobuild oci: cannot write " + isDir + ": is a directory\n"},
		{[]string{"--src", srcRoot, "oci:" + isDir}, "moobuild oci: cannot write " + isDir + ": exists and is not an OCI layout"},
		{[]string{"--src", srcRoot, "--sbom", isDir, "oci:" + d + "/x"}, "moobuild oci: --sbom: cannot write " + isDir + ": is a directory\n"},
		{[]string{"--src", srcRoot, "oci:" + d + "/x", "oci-archive:" + d + "/script/x.tar"}, "moobuild oci: cannot write in " + d + "/script: not a directory\n"},
	}
	for _, c := range cases {
		_, errOut, err := run{}.exec(c.args...)
		if err == nil || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "built busybox") {
			t.Errorf("moobuild oci %s: err %v, stderr %q, want %q", strings.Join(c.args, " "), err, errOut, c.want)
		}
	}
	// %files: line-numbered errors naming the definition file.
	fd := mkdir(t, "errors-files")
	os.WriteFile(fd+"/src", []byte("x"), 0o644)
	os.MkdirAll(fd+"/sdir/inner", 0o755)
	os.WriteFile(fd+"/sdir/inner/f", []byte("x"), 0o644)
	os.Mkdir(fd+"/out", 0o777)
	os.Chmod(fd+"/out", 0o777)
	filesCase := func(name, line string) string {
		p := fd + "/" + name
		os.WriteFile(p, []byte("Bootstrap: scratch\n\n%files\n    "+line+"\n"), 0o644)
		return p
	}
	for _, c := range []struct{ def, want string }{
		{filesCase("bb.def", "src /usr/bin/busybox"), fd + `/bb.def:4: %files "src" -> "/usr/bin/busybox": %files may not replace /usr/bin/busybox`},
		{filesCase("bbdir.def", "sdir/inner /usr/bin/busybox"), fd + `/bbdir.def:4: %files "sdir/inner" -> "/usr/bin/busybox": `},
		{filesCase("sd.def", "src /.singularity.d/x"), fd + `/sd.def:4: %files may not write into /.singularity.d`},
		{filesCase("sd2.def", "sdir //.singularity.d/"), fd + `/sd2.def:4: %files may not write into /.singularity.d`},
	} {
		_, errOut, err := run{}.exec("--busybox", busybox(t, host), "--def", c.def, "oci:"+fd+"/out/x")
		if err == nil || !strings.HasPrefix(errOut, "moobuild oci: "+c.want) {
			t.Errorf("--def %s: %v %q, want %q", c.def, err, errOut, c.want)
		}
	}
	if des, _ := os.ReadDir(fd + "/out"); len(des) != 0 {
		t.Errorf("files left in %s/out: %v", fd, des)
	}
	_, errOut, err := run{env: []string{"SOURCE_DATE_EPOCH=yesterday"}}.exec("--src", srcRoot, "oci:"+d+"/x")
	if err == nil || !strings.Contains(errOut, "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v %q", err, errOut)
	}
	if des, _ := os.ReadDir(d); len(des) != 1 {
		t.Errorf("files left behind: %v", des)
	}
	// Without privilege, an unwritable output directory is a clear error,
	// found before anything is written: no output at all is left.
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("setpriv"); err == nil {
			ro := filepath.Join(d, "readonly")
			os.Mkdir(ro, 0o755)
			own := mkdir(t, "errors-own")
			sticky := mkdir(t, "errors-sticky")
			os.Chmod(sticky, fs.ModeSticky|0o777)
			os.WriteFile(sticky+"/taken.tar", nil, 0o644)
			bbHost := busybox(t, host)
			def := filepath.Join(srcRoot, "image", "moo.def")
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"oci-archive:" + ro + "/a.tar"}, "cannot write in " + ro + ": permission denied"},
				{[]string{"oci:" + ro + "/layout"}, "cannot write in " + ro + ": permission denied"},
				{[]string{"oci:" + ro + "/new/deeper/layout"}, "cannot write in " + ro + ": permission denied"},
				{[]string{"docker-archive:" + ro + "/d.tar"}, "cannot write in " + ro + ": permission denied"},
				{[]string{"--def", def, "oci:" + own + "/lay1", "oci-archive:" + own + "/ok.tar", "oci-archive:" + ro + "/x.tar"}, "cannot write in " + ro + ": permission denied"},
				{[]string{"--sbom", ro + "/x.spdx.json", "oci-archive:" + own + "/e.tar"}, "--sbom: cannot write in " + ro + ": permission denied"},
				{[]string{"oci-archive:" + own + "/e.tar", "oci-archive:" + sticky + "/taken.tar"}, "cannot write " + sticky + "/taken.tar: operation not permitted"},
			} {
				args := append([]string{"--busybox", bbHost}, c.args...)
				_, errOut, err := run{dir: d, nobody: true, env: []string{"HOME=" + d}}.exec(args...)
				if err == nil || !strings.Contains(errOut, c.want) || strings.Contains(errOut, ".tmp-") {
					t.Errorf("moobuild oci %s as nobody: %v %q, want %q", strings.Join(args, " "), err, errOut, c.want)
				}
			}
			// A subdirectory of a %files source that nobody may not read.
			os.Chmod(fd+"/sdir/inner", 0o700)
			sub := filesCase("sub.def", "sdir /opt/sdir")
			_, errOut, err := run{dir: d, nobody: true, env: []string{"HOME=" + d}}.exec("--busybox", bbHost, "--def", sub, "oci:"+fd+"/out/x")
			if want := "moobuild oci: " + sub + `:4: %files source "sdir/inner": permission denied` + "\n"; err == nil || errOut != want {
				t.Errorf("unreadable %%files subdirectory: %v %q, want %q", err, errOut, want)
			}
			if des, _ := os.ReadDir(fd + "/out"); len(des) != 0 {
				t.Errorf("files left in %s/out: %v", fd, des)
			}
			// A checkout whose .git nobody may not read: a warning, not
			// a silent 1970.
			repo := mkdir(t, "errors-git")
			os.Chmod(repo, 0o755)
			os.WriteFile(repo+"/go.mod", []byte("module github.com/moobox/moobox\n"), 0o644)
			for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=m", "-c", "user.email=m@example.org", "commit", "-q", "--allow-empty", "-m", "c"}} {
				if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			os.Chmod(repo+"/.git", 0o700)
			gitOut := mkdir(t, "errors-gitout")
			_, errOut, err = run{dir: d, nobody: true, env: []string{"HOME=" + d, "SOURCE_DATE_EPOCH="}}.exec("--busybox", bbHost, "--src", repo, "-q", "oci:"+gitOut+"/x")
			if want := "moobuild: warning: cannot read the commit time of HEAD in " + repo + " (git cannot read " + repo + "/.git): the timestamps are 1970-01-01; set SOURCE_DATE_EPOCH to choose them\n"; err != nil || errOut != want {
				t.Errorf("unreadable .git: %v %q, want %q", err, errOut, want)
			}
			for _, dir := range []string{ro, own} {
				if des, _ := os.ReadDir(dir); len(des) != 0 {
					t.Errorf("files left in %s: %v", dir, des)
				}
			}
			if des, _ := os.ReadDir(sticky); len(des) != 1 {
				t.Errorf("files left in %s: %v", sticky, des)
			}
		}
	}
}

// fixture is one amd64 build in every file transport, shared by the
// client tests.
type fixture struct {
	dir, layout, ociArchive, dockerArchive, digest string
}

var amd64Fixture struct {
	once sync.Once
	f    *fixture
}

func getFixture(t *testing.T) *fixture {
	t.Helper()
	needAmd64(t)
	amd64Fixture.once.Do(func() {
		d := mkdir(t, "fixture")
		f := &fixture{dir: d, layout: d + "/layout", ociArchive: d + "/moobox.oci.tar", dockerArchive: d + "/moobox.docker.tar"}
		f.digest = run{}.moo(t, "--src", srcRoot, "--busybox", busybox(t, host), "-q",
			"oci:"+f.layout+":test", "oci-archive:"+f.ociArchive+":test", "docker-archive:"+f.dockerArchive+":localhost/moobox:test")
		amd64Fixture.f = f
	})
	if amd64Fixture.f == nil {
		t.Fatal("fixture build failed")
	}
	return amd64Fixture.f
}

// cow returns what Debian's cowsay prints for "cowsay moo": the images'
// cowsay must print exactly that.
func cow(t *testing.T) string {
	t.Helper()
	ref := testutil.RequireTool(t, "cowsay", "cowsay")
	return command(t, nil, ref, "moo")
}

// isDemo reports whether out is what the image's default command prints,
// "fortune | cowsay | lolcat" (lolcat adds no colour without a tty, but
// escapes are dropped anyway): a balloon, then the default cow.
func isDemo(out string) bool {
	out = regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	cowLines := []string{
		`        \   ^__^`,
		`         \  (oo)\_______`,
		`            (__)\       )\/\`,
		`                ||----w |`,
		`                ||     ||`,
	}
	n := len(lines) - len(cowLines)
	if n < 3 || !regexp.MustCompile(`^ _+$`).MatchString(lines[0]) || !regexp.MustCompile(`^ -+$`).MatchString(lines[n-1]) {
		return false
	}
	for i, c := range cowLines {
		if lines[n+i] != c {
			return false
		}
	}
	// Balloon lines: "< text >" for one line, else "/ \", "| |", "\ /".
	width := len(lines[0]) + 1
	for _, l := range lines[1 : n-1] {
		if len([]rune(l)) > width+1 || !regexp.MustCompile(`^[<>/\\|] .* [<>/\\|]$`).MatchString(l) {
			return false
		}
	}
	return true
}

// TestIsDemo checks the checker on Debian's own fortune | cowsay output,
// and that other output fails it.
func TestIsDemo(t *testing.T) {
	cowsay := testutil.RequireTool(t, "cowsay", "cowsay")
	fortune := testutil.RequireTool(t, "fortune", "fortune-mod")
	for i := 0; i < 20; i++ {
		out := command(t, nil, "sh", "-c", `"$0" | "$1"`, fortune, cowsay)
		if !isDemo(out) {
			t.Errorf("fortune | cowsay printed what isDemo refuses:\n%s", out)
		}
	}
	for _, bad := range []string{"", "moo\n", command(t, nil, cowsay, "-f", "tux", "moo"), strings.Replace(command(t, nil, cowsay, "moo"), "(oo)", "(xx)", 1)} {
		if isDemo(bad) {
			t.Errorf("isDemo accepted %q", bad)
		}
	}
}

func command(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func TestSkopeo(t *testing.T) {
	skopeo := testutil.RequireTool(t, "skopeo", "skopeo")
	f := getFixture(t)
	var cfg struct {
		Architecture, OS string
		Created          string
		Config           struct {
			User, WorkingDir string
			Env, Cmd         []string
			Labels           map[string]string
		}
	}
	raw := command(t, nil, skopeo, "inspect", "--config", "oci:"+f.layout+":test")
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(epoch, 10, 64)
	created := time.Unix(n, 0).UTC().Format(time.RFC3339)
	if cfg.Architecture != "amd64" || cfg.OS != "linux" || cfg.Created != created || cfg.Config.User != "65534:65534" || cfg.Config.WorkingDir != "/" {
		t.Errorf("config: %s", raw)
	}
	if len(cfg.Config.Env) == 0 || !strings.HasPrefix(cfg.Config.Env[0], "PATH=") || !strings.Contains(cfg.Config.Env[0], "/usr/bin") {
		t.Errorf("Env: %v", cfg.Config.Env)
	}
	if len(cfg.Config.Cmd) < 3 || cfg.Config.Cmd[0] != "/bin/sh" || cfg.Config.Cmd[1] != "-c" || !strings.Contains(cfg.Config.Cmd[2], "fortune | cowsay | lolcat") {
		t.Errorf("Cmd: %q", cfg.Config.Cmd)
	}
	for _, k := range []string{"title", "description", "version", "revision", "source", "created", "licenses"} {
		if cfg.Config.Labels["org.opencontainers.image."+k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
	if cfg.Config.Labels["org.opencontainers.image.created"] != created {
		t.Errorf("created label %q", cfg.Config.Labels["org.opencontainers.image.created"])
	}
	// Copies between the three file transports keep the config digest.
	d := mkdir(t, "skopeo")
	chain := []string{
		"oci:" + f.layout + ":test",
		"oci-archive:" + d + "/copy.oci.tar:test",
		"docker-archive:" + d + "/copy.docker.tar:localhost/moobox:copy",
		"oci:" + d + "/copy-layout:back",
		"docker-archive:" + d + "/copy2.docker.tar:localhost/moobox:copy2",
	}
	for i := 0; i+1 < len(chain); i++ {
		command(t, nil, skopeo, "copy", "-q", chain[i], chain[i+1])
	}
	for _, s := range append(chain, "oci-archive:"+f.ociArchive+":test", "docker-archive:"+f.dockerArchive) {
		var c struct{ Config struct{ User string } }
		json.Unmarshal([]byte(command(t, nil, skopeo, "inspect", "--config", s)), &c)
		if c.Config.User != "65534:65534" {
			t.Errorf("%s: config not read back (%+v)", s, c)
		}
	}
}

// runcRun runs args in the bundle and returns stdout.
func runcRun(t *testing.T, runc, bundle string, rootless bool, args ...string) string {
	t.Helper()
	p := filepath.Join(bundle, "config.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	proc := c["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	if rootless {
		// The rootless bundle maps only our uid (0 here) into the
		// container's user namespace: run as that user.
		proc["user"] = map[string]any{"uid": 0, "gid": 0}
	}
	raw, _ = json.Marshal(c)
	os.WriteFile(p, raw, 0o644)
	state := mkdir(t, "runc-state")
	id := fmt.Sprintf("moobox-test-%d-%d", os.Getpid(), rand.IntN(1<<30))
	return command(t, nil, runc, "--root", state, "run", "--bundle", bundle, id)
}

func TestUmociRunc(t *testing.T) {
	testutil.RequireRoot(t)
	umoci := testutil.RequireTool(t, "umoci", "umoci")
	runc := testutil.RequireTool(t, "runc", "runc")
	f := getFixture(t)
	want := cow(t)
	for _, rootless := range []bool{false, true} {
		t.Run(fmt.Sprintf("rootless=%v", rootless), func(t *testing.T) {
			bundle := filepath.Join(mkdir(t, "umoci"), fmt.Sprintf("bundle-%v", rootless))
			args := []string{"unpack", "--image", f.layout + ":test", bundle}
			if rootless {
				args = []string{"unpack", "--rootless", "--image", f.layout + ":test", bundle}
			}
			command(t, nil, umoci, args...)
			if out := runcRun(t, runc, bundle, rootless, "busybox", "--list"); !strings.Contains(out, "cowsay\n") || !strings.Contains(out, "fortune\n") {
				t.Errorf("busybox --list: %q", out)
			}
			runcRun(t, runc, bundle, rootless, "true")
			if out := runcRun(t, runc, bundle, rootless, "cowsay", "moo"); out != want {
				t.Errorf("cowsay moo:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

// podmanEnv makes a private podman configuration (runc, cgroupfs, file
// events, storage in a temporary directory), used from the first call.
var podmanEnvOnce struct {
	sync.Once
	env []string
}

func podmanEnv(t *testing.T) []string {
	podmanEnvOnce.Do(func() {
		d := mkdir(t, "podman")
		conf := fmt.Sprintf(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%[1]s/events.log"
tmp_dir = "%[1]s/tmp"
`, d)
		storage := fmt.Sprintf(`[storage]
driver = "overlay"
graphroot = "%[1]s/graph"
runroot = "%[1]s/run"
`, d)
		os.WriteFile(d+"/containers.conf", []byte(conf), 0o644)
		os.WriteFile(d+"/storage.conf", []byte(storage), 0o644)
		podmanEnvOnce.env = []string{"CONTAINERS_CONF=" + d + "/containers.conf", "CONTAINERS_STORAGE_CONF=" + d + "/storage.conf", "TMPDIR=" + d}
	})
	return podmanEnvOnce.env
}

func TestPodman(t *testing.T) {
	testutil.RequireRoot(t)
	podman := testutil.RequireTool(t, "podman", "podman")
	testutil.RequireTool(t, "runc", "runc")
	f := getFixture(t)
	env := podmanEnv(t)
	want := cow(t)
	check := func(image string) {
		out := command(t, env, podman, "run", "--rm", "--network", "none", image, "busybox", "--list")
		if !strings.Contains(out, "cowsay\n") {
			t.Errorf("%s busybox --list: %q", image, out)
		}
		if out := command(t, env, podman, "run", "--rm", "--network", "none", image, "cowsay", "moo"); out != want {
			t.Errorf("%s cowsay moo:\n%s\nwant:\n%s", image, out, want)
		}
		// The image runs as nobody by default.
		if out := command(t, env, podman, "run", "--rm", "--network", "none", image, "id", "-u"); out != "65534\n" {
			t.Errorf("%s id -u: %q, want 65534", image, out)
		}
	}
	check("oci-archive:" + f.ociArchive)
	// The default command, the def file's %runscript, runs the demo.
	if out := command(t, env, podman, "run", "--rm", "--network", "none", "oci-archive:"+f.ociArchive); !isDemo(out) {
		t.Errorf("the default command printed %q, want a fortune in a balloon said by the default cow", out)
	}
	// --user 0:0 is the config's User, and the container runs as root.
	u := mkdir(t, "user0")
	run{}.moo(t, "--src", srcRoot, "--busybox", busybox(t, host), "-q", "--user", "0:0", "oci:"+u+"/layout", "oci-archive:"+u+"/moobox.oci.tar")
	if c := layoutConfig(t, u+"/layout"); c.Config.User != "0:0" {
		t.Errorf("--user 0:0: config User %q", c.Config.User)
	}
	if out := command(t, env, podman, "run", "--rm", "--network", "none", "oci-archive:"+u+"/moobox.oci.tar", "id", "-u"); out != "0\n" {
		t.Errorf("--user 0:0: id -u printed %q", out)
	}
	// zstd layers: podman reads them (umoci 0.4 does not).
	z := mkdir(t, "zstd") + "/moobox.oci.tar"
	run{}.moo(t, "--src", srcRoot, "--busybox", busybox(t, host), "-q", "--compression", "zstd", "oci-archive:"+z)
	if out := command(t, env, podman, "run", "--rm", "--network", "none", "oci-archive:"+z, "busybox", "--list"); !strings.Contains(out, "fortune\n") {
		t.Errorf("zstd image: busybox --list: %q", out)
	}
	out := command(t, env, podman, "load", "-i", f.dockerArchive)
	if !strings.Contains(out, "localhost/moobox:test") {
		t.Errorf("podman load: %q", out)
	}
	check("localhost/moobox:test")
	command(t, env, podman, "rmi", "-f", "localhost/moobox:test")
}

// The registry: Debian's docker-registry on a free loopback port, its
// storage in a temporary directory, stopped by PID when the tests end.
var reg struct {
	once sync.Once
	cmd  *exec.Cmd
	addr string
	err  error
}

func registry(t *testing.T) string {
	t.Helper()
	bin := testutil.RequireTool(t, "docker-registry", "docker-registry")
	reg.once.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			reg.err = err
			return
		}
		reg.addr = l.Addr().String()
		l.Close()
		d := mkdir(t, "registry")
		conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", d, reg.addr)
		os.WriteFile(d+"/config.yml", []byte(conf), 0o644)
		reg.cmd = exec.Command(bin, "serve", d+"/config.yml")
		reg.cmd.Stdout, reg.cmd.Stderr = io.Discard, io.Discard
		if reg.err = reg.cmd.Start(); reg.err != nil {
			return
		}
		for i := 0; i < 100; i++ {
			resp, err := http.Get("http://" + reg.addr + "/v2/")
			if err == nil {
				resp.Body.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		reg.err = fmt.Errorf("docker-registry did not answer on %s", reg.addr)
	})
	if reg.err != nil {
		t.Fatal(reg.err)
	}
	return reg.addr
}

func stopRegistry() {
	if reg.cmd != nil && reg.cmd.Process != nil {
		reg.cmd.Process.Kill()
		reg.cmd.Wait()
	}
}

// multi builds linux/amd64, arm64 and riscv64 from source (moobuild
// compiles each busybox) into a layout and pushes the same index.
var multi struct {
	once           sync.Once
	layout, ref, d string
}

var multiPlatforms = []string{"linux/amd64", "linux/arm64", "linux/riscv64"}

func multiBuild(t *testing.T) (layout, ref, digest string) {
	t.Helper()
	addr := registry(t)
	multi.once.Do(func() {
		d := mkdir(t, "multi")
		ref := addr + "/moobox/moobox:multi"
		multi.d = run{}.moo(t, "--src", srcRoot, "-q", "--platform", strings.Join(multiPlatforms, ","),
			"oci:"+d+"/layout:multi", "docker://"+ref)
		multi.layout, multi.ref = d+"/layout", ref
	})
	if multi.layout == "" {
		t.Fatal("multi-platform build failed")
	}
	return multi.layout, multi.ref, multi.d
}

func TestMultiPlatformQemu(t *testing.T) {
	layout, _, digest := multiBuild(t)
	var idx struct {
		Manifests []struct {
			MediaType, Digest string
			Annotations       map[string]string
		}
	}
	raw, _ := os.ReadFile(layout + "/index.json")
	json.Unmarshal(raw, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].MediaType != "application/vnd.oci.image.index.v1+json" ||
		idx.Manifests[0].Digest != digest || idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "multi" {
		t.Fatalf("index.json: %s", raw)
	}
	var nested struct {
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture string }
		}
	}
	blob := func(d string) []byte { return layoutBlob(t, layout, d) }
	json.Unmarshal(blob(digest), &nested)
	var got []string
	for _, m := range nested.Manifests {
		p := m.Platform.OS + "/" + m.Platform.Architecture
		got = append(got, p)
		var man struct{ Layers []struct{ Digest string } }
		json.Unmarshal(blob(m.Digest), &man)
		qemu := map[string]string{"linux/arm64": "qemu-aarch64-static", "linux/riscv64": "qemu-riscv64-static"}[p]
		if qemu == "" || len(man.Layers) != 1 {
			continue
		}
		t.Run(p, func(t *testing.T) {
			q := testutil.RequireTool(t, qemu, "qemu-user-static")
			bb := extract(t, blob(man.Layers[0].Digest), "usr/bin/busybox")
			path := filepath.Join(mkdir(t, "qemu", strings.ReplaceAll(p, "/", "-")), "busybox")
			os.WriteFile(path, bb, 0o755)
			out := command(t, nil, q, path, "--list")
			if !strings.Contains(out, "cowsay\n") {
				t.Errorf("busybox --list under %s: %q", qemu, out)
			}
			command(t, nil, q, path, "true")
			if out, want := command(t, nil, q, path, "cowsay", "moo"), cow(t); out != want {
				t.Errorf("cowsay moo under %s:\n%s\nwant:\n%s", qemu, out, want)
			}
		})
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "linux/amd64 linux/arm64 linux/riscv64" {
		t.Errorf("index platforms: %v", got)
	}
}

// layoutBlob returns the blob of digest d in an OCI layout.
func layoutBlob(t *testing.T, layout, d string) []byte {
	t.Helper()
	b, err := os.ReadFile(layout + "/blobs/sha256/" + strings.TrimPrefix(d, "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// layoutFile returns a file of the layer of the image for platform
// (arch, or "" for a single-image layout) in an OCI layout.
func layoutFile(t *testing.T, layout, arch, name string) []byte {
	t.Helper()
	blob := func(d string) []byte { return layoutBlob(t, layout, d) }
	type desc struct {
		MediaType, Digest string
		Platform          struct{ Architecture string }
	}
	var idx struct{ Manifests []desc }
	raw, _ := os.ReadFile(layout + "/index.json")
	json.Unmarshal(raw, &idx)
	for len(idx.Manifests) > 0 && idx.Manifests[0].MediaType == "application/vnd.oci.image.index.v1+json" {
		d := idx.Manifests[0].Digest
		idx.Manifests = nil
		json.Unmarshal(blob(d), &idx)
	}
	for _, m := range idx.Manifests {
		if arch != "" && m.Platform.Architecture != arch {
			continue
		}
		var man struct{ Layers []desc }
		json.Unmarshal(blob(m.Digest), &man)
		if len(man.Layers) != 1 {
			t.Fatalf("%d layers", len(man.Layers))
		}
		return extract(t, blob(man.Layers[0].Digest), name)
	}
	t.Fatalf("%s: no image for %q", layout, arch)
	return nil
}

// imageConfig is the part of an image config the tests read.
type imageConfig struct {
	Architecture, OS string
	Config           struct {
		User, WorkingDir string
		Env, Cmd         []string
	}
}

// layoutConfig returns the config of a single-image OCI layout.
func layoutConfig(t *testing.T, layout string) imageConfig {
	t.Helper()
	blob := func(d string) []byte { return layoutBlob(t, layout, d) }
	var idx struct{ Manifests []struct{ Digest string } }
	var man struct{ Config struct{ Digest string } }
	var c imageConfig
	raw, _ := os.ReadFile(layout + "/index.json")
	if json.Unmarshal(raw, &idx) != nil || len(idx.Manifests) != 1 ||
		json.Unmarshal(blob(idx.Manifests[0].Digest), &man) != nil || json.Unmarshal(blob(man.Config.Digest), &c) != nil {
		t.Fatalf("%s: cannot read the image config", layout)
	}
	return c
}

// extract returns a file from a gzipped tar layer, through the system tar.
func extract(t *testing.T, layer []byte, name string) []byte {
	t.Helper()
	cmd := exec.Command("tar", "-xzOf", "-", name)
	cmd.Stdin = bytes.NewReader(layer)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tar -x %s: %v", name, err)
	}
	return out
}

func TestRegistry(t *testing.T) {
	skopeo := testutil.RequireTool(t, "skopeo", "skopeo")
	layout, ref, digest := multiBuild(t)
	raw := command(t, nil, skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
	var idx struct {
		MediaType string
		Manifests []struct{ Platform struct{ Architecture string } }
	}
	json.Unmarshal([]byte(raw), &idx)
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" || len(idx.Manifests) != len(multiPlatforms) {
		t.Errorf("pushed index: %s", raw)
	}
	local, _ := os.ReadFile(layout + "/blobs/sha256/" + strings.TrimPrefix(digest, "sha256:"))
	if string(local) != raw {
		t.Error("the registry serves another index than the layout holds")
	}
	// Pull back with skopeo (amd64 picked from the index) and compare.
	d := mkdir(t, "pulled")
	command(t, nil, skopeo, "copy", "-q", "--src-tls-verify=false", "--override-arch", "amd64", "docker://"+ref, "oci:"+d+"/layout:pulled")
	var c struct{ Architecture string }
	json.Unmarshal([]byte(command(t, nil, skopeo, "inspect", "--config", "oci:"+d+"/layout:pulled")), &c)
	if c.Architecture != "amd64" {
		t.Errorf("pulled architecture %q", c.Architecture)
	}
	// A single-platform push gives a plain image manifest.
	needAmd64(t)
	single := registry(t) + "/moobox/single:1"
	// Pushing needs no privilege either: as root, push as nobody with a
	// HOME it cannot write (no credentials file: an anonymous push).
	pusher := run{}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("setpriv"); err == nil {
			pusher = run{nobody: true, env: []string{"HOME=/nonexistent"}}
		}
	}
	ds := pusher.moo(t, "--busybox", busybox(t, host), "--def", filepath.Join(srcRoot, "image", "moo.def"), "-q", "docker://"+single)
	raw = command(t, nil, skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+single)
	if !strings.Contains(raw, `"mediaType":"application/vnd.oci.image.manifest.v1+json"`) || !strings.Contains(command(t, nil, skopeo, "inspect", "--tls-verify=false", "docker://"+single), ds) {
		t.Errorf("single-platform push %s: %s", ds, raw)
	}
	t.Run("podman", func(t *testing.T) {
		testutil.RequireRoot(t)
		needAmd64(t)
		podman := testutil.RequireTool(t, "podman", "podman")
		env := podmanEnv(t)
		command(t, env, podman, "pull", "-q", "--tls-verify=false", ref)
		out := command(t, env, podman, "run", "--rm", "--network", "none", ref, "busybox", "--list")
		if !strings.Contains(out, "lolcat\n") {
			t.Errorf("busybox --list: %q", out)
		}
		if out, want := command(t, env, podman, "run", "--rm", "--network", "none", ref, "cowsay", "moo"), cow(t); out != want {
			t.Errorf("cowsay moo:\n%s\nwant:\n%s", out, want)
		}
		command(t, env, podman, "rmi", "-f", ref)
	})
}

// TestPushCredentials: a push to a registry that wants a login uses the
// credentials of ~/.docker/config.json, as docker and skopeo do, and
// without them fails clearly. The registry sits behind a proxy asking for
// HTTP basic authentication, as registries behind nginx do.
func TestPushCredentials(t *testing.T) {
	upstream := "http://" + registry(t)
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "moo" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="moobox test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		req.Header.Del("Authorization")
		req.ContentLength = r.ContentLength
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go proxy.Serve(l)
	t.Cleanup(func() { proxy.Close() })
	addr := l.Addr().String()

	withCreds := mkdir(t, "push-home")
	if err := os.MkdirAll(withCreds+"/.docker", 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`{"auths":{%q:{"auth":"bW9vOnMzY3JldA=="}}}`, addr) // moo:s3cret
	if err := os.WriteFile(withCreds+"/.docker/config.json", []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	noCreds := mkdir(t, "push-home-empty")
	bb := busybox(t, host)
	def := filepath.Join(srcRoot, "image", "moo.def")
	ref := addr + "/moobox/private:1"

	_, errOut, err := run{env: []string{"HOME=" + noCreds}}.exec("-q", "--busybox", bb, "--def", def, "docker://"+ref)
	if err == nil || !strings.Contains(errOut, "401 Unauthorized") {
		t.Errorf("push without credentials: err %v, stderr %q; want a 401 Unauthorized error", err, errOut)
	}
	digest := run{env: []string{"HOME=" + withCreds}}.moo(t, "-q", "--busybox", bb, "--def", def, "docker://"+ref)
	// The image is in the registry behind the proxy, under that digest.
	req, _ := http.NewRequest(http.MethodHead, upstream+"/v2/moobox/private/manifests/"+digest, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("manifest %s after the push: HTTP %d", digest, resp.StatusCode)
	}
}

// TestPushProgress: on a terminal a push shows its progress on stderr; in
// a pipe (every other test) it prints nothing but the digest.
func TestPushProgress(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	ref := registry(t) + "/moobox/progress:1"
	cmd := exec.Command(moobuild, "oci", "--busybox", busybox(t, host), "--def", filepath.Join(srcRoot, "image", "moo.def"), "docker://"+ref)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+epoch)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var seen bytes.Buffer
	io.Copy(&seen, ptmx) // until the child closes its end (EIO)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("push: %v\n%s", err, seen.String())
	}
	want := "pushing " + ref + ": 100%"
	if !strings.Contains(seen.String(), "\rpushing "+ref+": ") || !strings.Contains(seen.String(), want) {
		t.Errorf("terminal output %q lacks the progress %q", seen.String(), want)
	}
	if !strings.HasPrefix(strings.TrimSpace(stdout.String()), "sha256:") {
		t.Errorf("stdout %q, want the digest", stdout.String())
	}
}
