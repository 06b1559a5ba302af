package sif

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apptainer/sif/v2/pkg/sif"

	"github.com/moobox/moobox/image/build"
	"github.com/moobox/moobox/image/deffile"
	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/image/squashfs"
	"github.com/moobox/moobox/internal/applets"
	"github.com/moobox/moobox/internal/testutil"
)

var (
	bbOnce sync.Once
	bbData []byte
	bbErr  error
)

// hostPlatform is the platform whose binaries run here.
func hostPlatform() rootfs.Platform {
	p := rootfs.Platform{OS: "linux", Arch: runtime.GOARCH}
	if p.Arch == "arm" {
		p.Variant = "v7"
	}
	return p
}

// busybox builds the multicall binary once per test run, the way moobuild
// does.
func busybox(t testing.TB) []byte {
	t.Helper()
	bbOnce.Do(func() {
		src, err := rootfs.FindSource(".")
		if err != nil {
			bbErr = err
			return
		}
		bbData, bbErr = rootfs.BuildBusybox(context.Background(), src, hostPlatform())
	})
	if bbErr != nil {
		t.Fatal(bbErr)
	}
	return bbData
}

func mooDef(t testing.TB) *deffile.Def {
	t.Helper()
	d, err := deffile.ParseFile("../moo.def")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func buildMoo(t testing.TB, epoch int64, d *deffile.Def) *Image {
	t.Helper()
	return buildMooComp(t, epoch, d, 0)
}

// built memoises buildMooComp: most tests check the same moo.sif, and
// building its xz squashfs is the slow part of the suite. Callers copy
// the bytes before changing them.
var (
	builtMu sync.Mutex
	built   = map[string]*Image{}
)

func buildMooComp(t testing.TB, epoch int64, d *deffile.Def, c squashfs.Compression) *Image {
	t.Helper()
	key := fmt.Sprintf("%d\x00%d\x00%s", epoch, c, d.Raw)
	builtMu.Lock()
	defer builtMu.Unlock()
	if img, ok := built[key]; ok {
		return img
	}
	img := buildMooFresh(t, epoch, d, c)
	built[key] = img
	return img
}

// buildMooFresh builds moo.sif, sharing nothing with earlier builds.
func buildMooFresh(t testing.TB, epoch int64, d *deffile.Def, c squashfs.Compression) *Image {
	t.Helper()
	mt := time.Unix(epoch, 0)
	tree, err := rootfs.Moobox(mt, busybox(t), rootfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := build.AddDefFiles(tree, d); err != nil {
		t.Fatal(err)
	}
	img, err := Build(tree, d, Options{Platform: hostPlatform(), Created: mt, Compression: c,
		Labels: map[string]string{"org.opencontainers.image.version": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBuildVerify(t *testing.T) {
	img := buildMoo(t, 1700000000, mooDef(t))
	if !bytes.HasPrefix(img.Bytes, []byte(LaunchScript)) {
		t.Errorf("no launch line: %q", img.Bytes[:40])
	}
	r, err := Verify(img.Bytes)
	verifyOK(t, err)
	var out bytes.Buffer
	r.WriteTo(&out)
	t.Logf("%d bytes\n%s", len(img.Bytes), out.String())
	if r.Arch != runtime.GOARCH || r.Created != 1700000000 || r.Modified != 1700000000 {
		t.Errorf("header: arch %s created %d modified %d", r.Arch, r.Created, r.Modified)
	}
	for _, k := range []string{"org.label-schema.build-date", "org.label-schema.schema-version",
		"org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.created"} {
		if r.Labels[k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
	if got := r.Labels["org.label-schema.build-date"]; got != "Tuesday_14_November_2023_22:13:20_UTC" {
		t.Errorf("build-date %q", got)
	}
	// The inspect metadata has exactly the fields apptainer inspect reads.
	f, err := sif.LoadContainer(sif.NewBuffer(img.Bytes), sif.OptLoadWithCloseOnUnload(false))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.GetDescriptor(sif.WithDataType(sif.DataGenericJSON))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := d.GetData()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	attrs := m["data"].(map[string]any)["attributes"].(map[string]any)
	var keys []string
	for k := range attrs {
		keys = append(keys, k)
	}
	sortStrings(keys)
	if strings.Join(keys, " ") != "deffile environment helpfile labels runscript startscript test" || m["type"] != "container" || len(m) != 2 {
		t.Errorf("inspect metadata keys %v, type %v", keys, m["type"])
	}
	if test := attrs["test"].(string); !strings.HasPrefix(test, "#!/bin/sh\n\n") || !strings.Contains(test, "fortune, cowsay and lolcat work") {
		t.Errorf("test %q", test)
	}
	env := attrs["environment"].(map[string]any)["/.singularity.d/env/90-environment.sh"].(string)
	if !strings.HasPrefix(env, "#!/bin/sh\n\n") || !strings.Contains(env, "export PATH=") {
		t.Errorf("environment %q", env)
	}
	if rs := attrs["runscript"].(string); !strings.HasPrefix(rs, "#!/bin/sh\n\n") || !strings.Contains(rs, "fortune | cowsay | lolcat") {
		t.Errorf("runscript %q", rs)
	}
}

// verifyOK fails on a Verify error, except the missing /bin/sh while the
// multicall binary has no sh applet yet (it is being written in parallel).
func verifyOK(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if _, ok := applets.Lookup("sh"); !ok && strings.Contains(err.Error(), "/bin/sh") && !strings.Contains(err.Error(), ";") {
		t.Logf("tolerated until busybox has an sh applet: %v", err)
		return
	}
	t.Fatal(err)
}

// TestBuildDate checks the label parses the way Apptainer reads it back.
func TestBuildDate(t *testing.T) {
	for _, sec := range []int64{0, 1700000000, 1700000000 - 13*60 - 15, 4102444800} {
		want := time.Unix(sec, 0).UTC()
		s := buildDate(want)
		got, err := time.Parse("Monday 2 January 2006 15:04:05 MST", strings.ReplaceAll(s, "_", " "))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: parsed %v %v, want %v", s, got, err, want)
		}
	}
}

func TestReproducible(t *testing.T) {
	d := mooDef(t)
	a := buildMooFresh(t, 1700000000, d, 0)
	b := buildMooFresh(t, 1700000000, d, 0)
	if !bytes.Equal(a.Bytes, b.Bytes) {
		t.Fatal("two builds differ")
	}
	c := buildMoo(t, 1700000001, d)
	if bytes.Equal(a.Bytes, c.Bytes) || a.ID == c.ID {
		t.Error("SOURCE_DATE_EPOCH change did not change the SIF and its ID")
	}
	d2, err := deffile.Parse("x.def", append(append([]byte(nil), d.Raw...), "\n# changed\n"...))
	if err != nil {
		t.Fatal(err)
	}
	e := buildMoo(t, 1700000000, d2)
	if bytes.Equal(a.Bytes, e.Bytes) || a.ID == e.ID {
		t.Error("content change did not change the SIF and its ID")
	}
}

// BenchmarkBuild is moo.sif's build from an already-built busybox: the
// root filesystem, the squashfs, the SIF (figure for README: target <= 1 s,
// size <= 2 MiB for linux/amd64).
func BenchmarkBuild(b *testing.B) {
	d := mooDef(b)
	bb := busybox(b)
	mt := time.Unix(1700000000, 0)
	var size int
	for b.Loop() {
		tree, err := rootfs.Moobox(mt, bb, rootfs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		img, err := Build(tree, d, Options{Platform: hostPlatform(), Created: mt})
		if err != nil {
			b.Fatal(err)
		}
		size = len(img.Bytes)
	}
	b.ReportMetric(float64(size), "bytes")
}

// tinyELF is the smallest static executable header debug/elf accepts for
// the host's architecture: an ELF header and one PT_LOAD program header.
func tinyELF(t testing.TB) []byte {
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "riscv64": elf.EM_RISCV, "ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390}[runtime.GOARCH]
	if machine == 0 || runtime.GOARCH == "s390x" {
		t.Skipf("no tiny ELF for %s", runtime.GOARCH)
	}
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x400078) // entry
	le.PutUint64(b[32:], 64)       // program headers
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], 1)
	le.PutUint32(b[64:], uint32(elf.PT_LOAD))
	le.PutUint32(b[68:], uint32(elf.PF_R|elf.PF_X))
	le.PutUint64(b[80:], 0x400000)
	le.PutUint64(b[88:], 0x400000)
	le.PutUint64(b[96:], uint64(len(b)))
	le.PutUint64(b[104:], uint64(len(b)))
	le.PutUint64(b[112:], 0x1000)
	return b
}

// tinySIF is a SIF that Verify accepts, a few KiB: a tiny static ELF as
// /usr/bin/busybox, gzip, a 4-entry descriptor table.
func tinySIF(t testing.TB) []byte {
	d, err := deffile.Parse("f.def", []byte("Bootstrap: scratch\n%runscript\n  echo hi\n%labels\n a b\n"))
	if err != nil {
		t.Fatal(err)
	}
	tree := miniTree(t, tinyELF(t))
	tree.WriteFile("etc/passwd", []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	img, err := Build(tree, d, Options{Platform: hostPlatform(), SBOM: []byte(`{"spdxVersion":"SPDX-2.3"}`),
		Compression: squashfs.Gzip, descriptors: 4})
	if err != nil {
		t.Fatal(err)
	}
	return img.Bytes
}

func TestTinySIF(t *testing.T) {
	data := tinySIF(t)
	if _, err := Verify(data); err != nil {
		t.Fatal(err)
	}
	// 12 KiB, most of it the sif library's 4 KiB alignments and the
	// squashfs padding to 4 KiB: about 3 KiB of content.
	if len(data) > 16<<10 {
		t.Errorf("fuzz seed of %d bytes, want a few KiB", len(data))
	}
}

// FuzzVerify feeds corrupted SIFs to Verify: errors, never a panic or hang.
// The seed is small (tinySIF) so that mutations reach every part of it.
func FuzzVerify(f *testing.F) {
	f.Add(tinySIF(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Verify(data)
		if r == nil {
			t.Fatal("nil report")
		}
		_ = err
	})
}

// TestVerifyFindsProblems checks Verify's checks can fail.
func TestVerifyFindsProblems(t *testing.T) {
	d := mooDef(t)
	img := buildMoo(t, 1700000000, d)
	bad := append([]byte(nil), img.Bytes...)
	copy(bad, "#!/bin/false\n")
	if _, err := Verify(bad); err == nil || !strings.Contains(err.Error(), "launch line") {
		t.Errorf("wrong launch line: %v", err)
	}
	if _, err := Verify(img.Bytes[:len(img.Bytes)/2]); err == nil {
		t.Error("truncated SIF verified")
	}
	// A host binary labelled as another architecture.
	other := rootfs.Platform{OS: "linux", Arch: "arm64"}
	if runtime.GOARCH == "arm64" {
		other.Arch = "amd64"
	}
	tree, err := rootfs.Moobox(time.Unix(1700000000, 0), busybox(t), rootfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := Build(tree, d, Options{Platform: other})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(wrong.Bytes); err == nil || !strings.Contains(err.Error(), "binary in a "+other.Arch+" image") {
		t.Errorf("wrong architecture: %v", err)
	}
}

// miniTree is the smallest tree Verify accepts the structure of: exe as
// /usr/bin/busybox, /bin -> usr/bin, /usr/bin/sh -> busybox.
func miniTree(t testing.TB, exe []byte) *rootfs.Tree {
	t.Helper()
	tree := rootfs.New(time.Unix(1, 0))
	for _, err := range []error{
		tree.WriteFile("usr/bin/busybox", exe, 0o755),
		tree.Symlink("usr/bin", "bin"),
		tree.Symlink("busybox", "usr/bin/sh"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

// TestVerifyDynamicSh checks Verify refuses a /bin/sh that cannot start in
// the image: a dynamically linked executable (the image has no loader nor
// libraries), one that needs shared libraries, and a static one of another
// architecture. The host's /bin/true is the dynamically linked executable.
func TestVerifyDynamicSh(t *testing.T) {
	d, err := deffile.Parse("d.def", []byte("Bootstrap: scratch\n%runscript\n  echo hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(dyn))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_X86_64 && f.Machine != elf.EM_AARCH64 {
		t.Fatalf("/bin/true is for %v", f.Machine)
	}
	// The same binary with its PT_INTERP entry turned into PT_NULL: only
	// DT_NEEDED says it needs libc.
	noInterp := append([]byte(nil), dyn...)
	phoff, phentsize := f.ByteOrder.Uint64(dyn[32:]), uint64(f.ByteOrder.Uint16(dyn[54:]))
	for i, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			f.ByteOrder.PutUint32(noInterp[phoff+uint64(i)*phentsize:], uint32(elf.PT_NULL))
		}
	}
	for _, c := range []struct {
		name string
		exe  []byte
		want string
	}{
		{"interpreter", dyn, "/bin/sh -> /usr/bin/busybox is dynamically linked (interpreter /lib"},
		{"needed", noInterp, "/bin/sh -> /usr/bin/busybox needs shared libraries [libc.so.6]"},
		{"static", busybox(t), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, err := Build(miniTree(t, c.exe), d, Options{Platform: hostPlatform(), SBOM: []byte(`{"spdxVersion":"SPDX-2.3"}`)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Verify(img.Bytes)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Verify: %v, want %q", err, c.want)
			}
		})
	}
}

// flip inverts n bytes of a copy of data at off.
func flip(data []byte, off, n int) []byte {
	out := append([]byte(nil), data...)
	for i := off; i < off+n; i++ {
		out[i] ^= 0xff
	}
	return out
}

// TestVerifyReadsData checks Verify decompresses every data block and
// fragment: corrupting one inside busybox's blocks, or in the fragment
// holding small files, is an error, as it is for unsquashfs.
func TestVerifyReadsData(t *testing.T) {
	unsquashfs := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	for _, c := range []squashfs.Compression{0, squashfs.Gzip, squashfs.Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			img := buildMooComp(t, 1700000000, mooDef(t), c)
			r, err := Verify(img.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			sq, err := newSqReader(img.Squashfs)
			if err != nil {
				t.Fatal(err)
			}
			bb, err := sq.lookup("usr/bin/busybox")
			if err != nil {
				t.Fatal(err)
			}
			passwd, err := sq.lookup("etc/passwd")
			if err != nil || passwd.frag == noFragment {
				t.Fatalf("etc/passwd: %v, fragment %d", err, passwd.frag)
			}
			fragStart := fragmentStart(t, sq, passwd.frag)
			// The header of busybox's last block, then (except for zstd,
			// whose frames carry no checksum: a flipped literal decodes to
			// other bytes without error, in unsquashfs too) the middle of
			// its fifth block, and the fragment holding small files.
			blocks := blockOffsets(t, sq, bb)
			type corruption struct {
				name string
				off  int
				want string
			}
			cases := []corruption{
				{"last busybox block", blocks[len(blocks)-1], fmt.Sprintf("/usr/bin/busybox: block %d ", len(blocks)-1)},
				{"fragment", fragStart, "fragment"},
			}
			if c != squashfs.Zstd {
				cases = append(cases, corruption{"middle of a busybox block", blocks[4] + 1000, "/usr/bin/busybox: block 4 "})
			}
			for _, bad := range cases {
				data := flip(img.Bytes, int(r.PartOffset)+bad.off, 16)
				if _, err := Verify(data); err == nil || !strings.Contains(err.Error(), bad.want) {
					t.Errorf("%s corrupted: Verify %v, want %q", bad.name, err, bad.want)
				}
				part := filepath.Join(t.TempDir(), "part.sqfs")
				if err := os.WriteFile(part, data[r.PartOffset:r.PartOffset+r.PartSize], 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(unsquashfs, "-n", "-d", filepath.Join(t.TempDir(), "x"), part).CombinedOutput(); err == nil {
					t.Errorf("%s corrupted: unsquashfs extracts it:\n%s", bad.name, out)
				}
			}
		})
	}
}

// fragmentStart is the image offset of fragment block i.
func fragmentStart(t *testing.T, sq *sqReader, i uint32) int {
	t.Helper()
	blk := binary.LittleEndian.Uint64(sq.img[sq.fragTable+8*uint64(i/512):])
	c, err := sq.cursor(0, blk, uint16((i%512)*16), uint64(len(sq.img)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.read(16)
	if err != nil {
		t.Fatal(err)
	}
	return int(binary.LittleEndian.Uint64(e))
}

// blockOffsets lists where each data block of the file in starts.
func blockOffsets(t *testing.T, sq *sqReader, in *sqInode) []int {
	t.Helper()
	var out []int
	c, pos := in.sizesAt, int(in.blocksStart)
	for i := uint64(0); i < in.nblocks; i++ {
		w, err := c.u32()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pos)
		pos += int(w &^ (1 << 24))
	}
	return out
}

// TestDefaultRunscript builds a SIF from a def file without %runscript:
// it verifies, and its runscript, run from the unpacked tree with the
// image's tools on PATH, runs the demo without arguments and its
// arguments with them, as the OCI image of the same file does.
func TestDefaultRunscript(t *testing.T) {
	d, err := deffile.Parse("min.def", []byte("Bootstrap: scratch\n"))
	if err != nil {
		t.Fatal(err)
	}
	img := buildMoo(t, 1700000000, d)
	if _, err := Verify(img.Bytes); err != nil {
		t.Fatal(err)
	}
	// Inspect shows the default runscript, and no test (there is none).
	js, err := Metadata(d, hostPlatform(), time.Unix(1, 0), nil).InspectJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"runscript":"#!/bin/sh\n\n# No %runscript`)) || bytes.Contains(js, []byte(`"test"`)) {
		t.Errorf("inspect metadata %s", js)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Extract(img.Squashfs, root); err != nil {
		t.Fatal(err)
	}
	runscript := func(args ...string) string {
		t.Helper()
		// The host's sh runs the script; the commands are the image's.
		cmd := exec.Command("/bin/sh", append([]string{filepath.Join(root, RunscriptPath)}, args...)...)
		cmd.Env = []string{"PATH=" + filepath.Join(root, "usr/bin"), "TERM=dumb"}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("runscript %q: %v\n%s", args, err, stderr.Bytes())
		}
		return string(out)
	}
	// lolcat writes no colours when stdout is not a terminal.
	if out := runscript(); !strings.Contains(out, "(oo)") || !strings.Contains(out, "||----w |") {
		t.Errorf("runscript with no arguments: %q, want the demo's cow", out)
	}
	if out := runscript("cowsay", "hi"); !strings.Contains(out, "< hi >") {
		t.Errorf("runscript cowsay hi: %q", out)
	}
	if out := runscript("echo", "a b"); out != "a b\n" {
		t.Errorf("runscript echo 'a b': %q", out)
	}
}

// TestMain shortens the fuzzer's minimization of new inputs from its 60 s
// default to 1000 runs unless -test.fuzzminimizetime is given: a 30 s run of
// FuzzVerify otherwise spends all its time minimizing the first
// interesting input (a 12 KiB SIF) and mutates nothing.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.fuzzminimizetime" })
	if !given {
		flag.Set("test.fuzzminimizetime", "1000x")
	}
	os.Exit(m.Run())
}
