package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/moobox/moobox/image/build"
	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/internal/testutil"
)

// sifEpoch is SOURCE_DATE_EPOCH for these tests: CI sets a random one, so
// nothing depends on a fixed date.
func sifEpoch(t *testing.T) int64 {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 1700000000
}

var (
	toolsOnce              sync.Once
	toolsDir               string
	toolsMoobuild, toolsBB string
	toolsErr               error
)

// TestMain removes the tools sifTools built for the tests.
func TestMain(m *testing.M) {
	rc := m.Run()
	if toolsDir != "" {
		os.RemoveAll(toolsDir)
	}
	os.Exit(rc)
}

// sifTools builds moobuild and the host's busybox, once for all tests, the
// way a user runs them ("from a built binary").
func sifTools(t *testing.T) (moobuild, busybox string) {
	t.Helper()
	toolsOnce.Do(func() {
		if toolsDir, toolsErr = os.MkdirTemp("", "moobuild-sif-tools-"); toolsErr != nil {
			return
		}
		toolsMoobuild = filepath.Join(toolsDir, "moobuild")
		if out, err := exec.Command("go", "build", "-o", toolsMoobuild, ".").CombinedOutput(); err != nil {
			toolsErr = fmt.Errorf("go build moobuild: %v\n%s", err, out)
			return
		}
		src, err := rootfs.FindSource(".")
		if err != nil {
			toolsErr = err
			return
		}
		bb, err := rootfs.BuildBusybox(context.Background(), src, build.HostPlatform())
		if err != nil {
			toolsErr = err
			return
		}
		toolsBB = filepath.Join(toolsDir, "busybox")
		toolsErr = os.WriteFile(toolsBB, bb, 0o755)
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return toolsMoobuild, toolsBB
}

func mooDefPath(t *testing.T) string {
	p, err := filepath.Abs("../../image/moo.def")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildIn runs moobuild in dir with the given umask, TZ and locale, and
// returns the SIF.
func buildIn(t *testing.T, moobuild, busybox, dir, umask, tz, lang string, epoch int64, def string) []byte {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "umask "+umask+"; exec \"$@\"", "sh",
		moobuild, "-q", "--busybox", busybox, "moo.sif", def)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ="+tz, "LC_ALL="+lang, "SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch, 10))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("moobuild in %s: %v\n%s", dir, err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "moo.sif"))
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, "moo.sif"))
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("moo.sif mode %v with umask %s, want 0755", fi.Mode(), umask)
	}
	return data
}

func TestSIFReproducible(t *testing.T) {
	moobuild, busybox := sifTools(t)
	epoch := sifEpoch(t)
	def, err := os.ReadFile(mooDefPath(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "elsewhere", "deeper")
	for _, d := range []string{a, b} {
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, "moo.def"), def, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	one := buildIn(t, moobuild, busybox, a, "022", "UTC", "C", epoch, "moo.def")
	two := buildIn(t, moobuild, busybox, b, "077", "Pacific/Kiritimati", "C.UTF-8", epoch, filepath.Join(b, "moo.def"))
	if !bytes.Equal(one, two) {
		t.Fatal("two builds in different directories, umasks and time zones differ")
	}
	t.Logf("moo.sif: %d bytes (SOURCE_DATE_EPOCH=%d)", len(one), epoch)
	if out, err := exec.Command(moobuild, "verify", filepath.Join(a, "moo.sif")).CombinedOutput(); err != nil {
		t.Errorf("moobuild verify: %v\n%s", err, out)
	}
	if later := buildIn(t, moobuild, busybox, a, "022", "UTC", "C", epoch+1, "moo.def"); bytes.Equal(one, later) {
		t.Error("SOURCE_DATE_EPOCH+1 gives the same SIF")
	}
	changed := bytes.Replace(def, []byte("\n%labels\n"), []byte("\n%labels\n    extra yes\n"), 1)
	if err := os.WriteFile(filepath.Join(b, "moo.def"), changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if other := buildIn(t, moobuild, busybox, b, "022", "UTC", "C", epoch, "moo.def"); bytes.Equal(one, other) {
		t.Error("a new label gives the same SIF")
	}
}

func TestSIFArm64(t *testing.T) {
	siftool := testutil.RequireTool(t, "siftool", "siftool")
	if runtime.GOARCH == "arm64" {
		t.Skip("host is arm64")
	}
	out := filepath.Join(t.TempDir(), "moo-arm64.sif")
	var stdout, stderr bytes.Buffer
	if rc := sifBuildMain([]string{"-q", "--platform", "linux/arm64", out, mooDefPath(t)}, &stdout, &stderr); rc != 0 {
		t.Fatalf("rc %d: %s", rc, stderr.Bytes())
	}
	list, err := exec.Command(siftool, "list", out).CombinedOutput()
	if err != nil || !bytes.Contains(list, []byte("|FS (Squashfs/*System/arm64)")) {
		t.Errorf("siftool list: %v\n%s", err, list)
	}
	// verify checks /bin/sh is an arm64 ELF.
	if rc := verifyCmd([]string{out}); rc != 0 {
		t.Errorf("moobuild verify %s: rc %d", out, rc)
	}
	if rc := sifBuildMain([]string{"-q", "--platform", "linux/arm64", "--test", out + "2.sif", mooDefPath(t)}, &stdout, &stderr); rc == 0 ||
		!strings.Contains(stderr.String(), "cannot run a linux/arm64 image's %test") {
		t.Errorf("--test of an arm64 image: rc %d, %s", rc, stderr.Bytes())
	}
}

func TestSIFBadDef(t *testing.T) {
	_, busybox := sifTools(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "present"), []byte("x\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, def, want string
	}{
		{"unknown section", "Bootstrap: scratch\n%labels\n a b\n%frobnicate\n", "t.def:4: unknown section"},
		{"post", "Bootstrap: scratch\n\n%post\n apt-get install -y cowsay\n", "t.def:3: %post is not supported"},
		{"setup", "Bootstrap: scratch\n%setup\n", "t.def:2: %setup is not supported"},
		{"docker", "Bootstrap: docker\nFrom: debian:bookworm\n", "t.def:1: Bootstrap: docker is not supported: moobox needs no base image"},
		{"from", "Bootstrap: scratch\nFrom: debian:bookworm\n", "t.def:2: header \"from\" is not supported"},
		{"missing bootstrap", "%labels\n a b\n", "t.def:1: missing \"Bootstrap: scratch\""},
		{"dup label", "Bootstrap: scratch\n%labels\n a 1\n a 2\n", "t.def:4: duplicate label \"a\" (first at line 3)"},
		{"files missing", "Bootstrap: scratch\n%files\n present /p\n nothere /n\n", "t.def:4: %files source \"nothere\": no such file or directory"},
		{"files dotdot", "Bootstrap: scratch\n%files\n ../../etc/passwd /etc/passwd\n", "t.def:3: %files source \"../../etc/passwd\" contains \"..\""},
		{"env unmappable", "Bootstrap: scratch\n%environment\n export X=$(date)\n", "t.def:3: %environment: command substitution is not supported"},
		{"env unexported", "Bootstrap: scratch\n%environment\n export A=1\n VAR=1\n", "t.def:4: %environment: VAR is set but not exported"},
		{"files fifo", "Bootstrap: scratch\n%files\n fifo /fifo\n", "t.def:3: %files \"fifo\" -> \"/fifo\": not a regular file or directory"},
		{"test fails", "Bootstrap: scratch\n%test\n echo failing on purpose >&2\n exit 3\n", "%test failed: exit status 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := filepath.Join(dir, "t.def")
			if err := os.WriteFile(def, []byte(c.def), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.sif")
			var stdout, stderr bytes.Buffer
			args := []string{"-q", "--busybox", busybox, out, def}
			if c.name == "test fails" {
				if os.Geteuid() != 0 {
					testutil.RequireRoot(t)
				}
				args = append([]string{"--test"}, args...)
			}
			rc := sifBuildMain(args, &stdout, &stderr)
			if rc != 1 || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("rc %d, stderr %q, want 1 and %q", rc, stderr.String(), c.want)
			}
			des, _ := os.ReadDir(dir)
			for _, d := range des {
				if d.Name() != "t.def" && d.Name() != "present" && d.Name() != "fifo" {
					t.Errorf("left %s behind", d.Name())
				}
			}
		})
	}
	// An output directory that does not exist: a clear error, nothing written.
	var stderr bytes.Buffer
	if rc := sifBuildMain([]string{"-q", "--busybox", busybox, filepath.Join(dir, "no", "such", "moo.sif"), mooDefPath(t)}, io.Discard, &stderr); rc != 1 ||
		!strings.Contains(stderr.String(), "no such file or directory") {
		t.Errorf("missing output dir: rc %d %q", rc, stderr.String())
	}
}

// TestSIFTest runs moo.def's %test in the built image (chroot), then
// writes the image.
func TestSIFTest(t *testing.T) {
	testutil.RequireRoot(t)
	_, busybox := sifTools(t)
	out := filepath.Join(t.TempDir(), "moo.sif")
	var stdout, stderr bytes.Buffer
	rc := sifBuildMain([]string{"-q", "--test", "--busybox", busybox, out, mooDefPath(t)}, &stdout, &stderr)
	if rc != 0 || !strings.Contains(stdout.String(), "fortune, cowsay and lolcat work") {
		t.Fatalf("rc %d\nstdout %s\nstderr %s", rc, stdout.Bytes(), stderr.Bytes())
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRegistry runs Debian's docker-registry on a free loopback port with
// its storage in a temp dir, and stops it (by PID) when the test ends.
func startRegistry(t *testing.T) string {
	reg := testutil.RequireTool(t, "docker-registry", "docker-registry")
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(dir, "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(reg, "serve", cfg)
	var logb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logb, &logb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr
			}
		}
		if i == 100 {
			t.Fatalf("docker-registry did not start: %v\n%s", err, logb.Bytes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSIFPushORAS(t *testing.T) {
	skopeo := testutil.RequireTool(t, "skopeo", "skopeo")
	addr := startRegistry(t)
	moobuild, busybox := sifTools(t)
	epoch := sifEpoch(t)
	dir := t.TempDir()
	sifData := buildIn(t, moobuild, busybox, dir, "022", "UTC", "C", epoch, mooDefPath(t))
	ref := addr + "/moobox/moo:latest"
	push := func() string {
		out, err := exec.Command(moobuild, "push", filepath.Join(dir, "moo.sif"), "oras://"+ref).Output()
		if err != nil {
			t.Fatalf("moobuild push: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	digest := push()

	// The manifest as a registry client sees it, through skopeo.
	raw, err := exec.Command(skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw: %v", err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.sylabs.sif.config.v1+json" ||
		m.Config.Size != 2 || len(m.Layers) != 1 || m.Layers[0].MediaType != "application/vnd.sylabs.sif.layer.v1.sif" ||
		m.Layers[0].Annotations["org.opencontainers.image.title"] != "moo.sif" || m.Layers[0].Size != int64(len(sifData)) {
		t.Errorf("manifest:\n%s", raw)
	}
	if want := time.Unix(epoch, 0).UTC().Format(time.RFC3339); m.Annotations["org.opencontainers.image.created"] != want {
		t.Errorf("created annotation %q, want %q", m.Annotations["org.opencontainers.image.created"], want)
	}
	h, _, _ := v1.SHA256(bytes.NewReader(raw))
	if h.String() != digest {
		t.Errorf("push printed %s, registry has %s", digest, h)
	}

	// The blobs pulled back with go-containerregistry.
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo := r.Context()
	cfgLayer, err := remote.Layer(repo.Digest(m.Config.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfgLayer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := io.ReadAll(rc)
	rc.Close()
	if string(cfg) != "{}" {
		t.Errorf("config blob %q", cfg)
	}
	layer, err := remote.Layer(repo.Digest(m.Layers[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err = layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pulled, sifData) {
		t.Errorf("pulled layer (%d bytes) differs from moo.sif (%d bytes)", len(pulled), len(sifData))
	}
	if again := push(); again != digest {
		t.Errorf("second push: %s, first %s", again, digest)
	}
}

// TestSIFEpochWarning builds outside any checkout: without SOURCE_DATE_EPOCH
// the SIF is dated 0 and moobuild says so (even with -q); with it, nothing.
func TestSIFEpochWarning(t *testing.T) {
	moobuild, busybox := sifTools(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "min.def"), []byte("Bootstrap: scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") {
			env = append(env, kv)
		}
	}
	// A source tree that is not a git checkout (an unpacked tarball).
	tarball := filepath.Join(dir, "tarball")
	if err := os.Mkdir(tarball, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tarball, "go.mod"), []byte("module github.com/moobox/moobox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		src  string
		want string
	}{
		{env, "", "moobuild: warning: SOURCE_DATE_EPOCH is not set and there is no moobox checkout here: the image is dated 1970-01-01"},
		{env, tarball, "moobuild: warning: SOURCE_DATE_EPOCH is not set and there is no .git in " + tarball + ": the image is dated 1970-01-01"},
		{append(env, "SOURCE_DATE_EPOCH=0"), "", ""},
		{append(env, "SOURCE_DATE_EPOCH=1700000000"), "", ""},
	} {
		args := []string{"-q", "--busybox", busybox, "min.sif", "min.def"}
		if c.src != "" {
			args = append([]string{"--src", c.src}, args...)
		}
		cmd := exec.Command(moobuild, args...)
		cmd.Dir, cmd.Env = dir, c.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("moobuild: %v\n%s", err, out)
		}
		if c.want == "" && len(out) != 0 || c.want != "" && !strings.HasPrefix(string(out), c.want) {
			t.Errorf("SOURCE_DATE_EPOCH %v: output %q, want %q", c.env[len(c.env)-1], out, c.want)
		}
		// The SIF without a runscript in its def file verifies.
		if out, err := exec.Command(moobuild, "verify", filepath.Join(dir, "min.sif")).CombinedOutput(); err != nil {
			t.Errorf("moobuild verify min.sif: %v\n%s", err, out)
		}
	}
}
