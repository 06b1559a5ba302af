package sif

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/testutil"
)

// The tests here feed Verify's reader images made by the real mksquashfs
// that are small on disk but would make a naive reader use much memory or
// time: they check the costs stay bounded by the image, not by what it
// describes.

// mksquashfs packs dir with squashfs-tools' mksquashfs and returns the
// image.
func mksquashfs(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	out := filepath.Join(t.TempDir(), "img.sq")
	cmd := exec.Command(mk, append([]string{dir, out, "-noappend", "-quiet", "-no-progress", "-all-root"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, b)
	}
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeFile(t *testing.T, p string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// totalAlloc is the bytes allocated so far.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestFragmentsBounded: 100 files of one byte less than the 1 MiB block
// each fill a fragment block of their own; the image is about 100 KiB.
// Checking it must not keep the 100 decompressed fragment blocks.
func TestFragmentsBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 100 {
		p := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		head := make([]byte, 16)
		rand.Read(head)
		writeFile(t, p, head, 0o644)
		if err := os.Truncate(p, 1<<20-1); err != nil {
			t.Fatal(err)
		}
	}
	img := mksquashfs(t, dir, "-b", "1M")
	sq, err := newSqReader(img)
	if err != nil {
		t.Fatal(err)
	}
	if sq.fragCount != 100 {
		t.Fatalf("%d fragment blocks, want 100", sq.fragCount)
	}
	base := heapInUse()
	n, err := checkData(sq)
	if err != nil || n != 101 {
		t.Fatalf("checkData: %d entries, %v", n, err)
	}
	// The reader is still live: what it holds is in the heap.
	held := int64(heapInUse()) - int64(base)
	runtime.KeepAlive(sq)
	t.Logf("%d-byte image, %d KiB held after reading it", len(img), held>>10)
	if held > 16<<20 {
		t.Errorf("the reader holds %d MiB after reading a %d KiB image with 100 fragment blocks", held>>20, len(img)>>10)
	}
}

// TestDuplicateFilesReadOnce: mksquashfs stores identical files once,
// every inode pointing at the same blocks; the check decompresses them
// once, so an image cannot multiply its decompression work by repeating
// an inode.
func TestDuplicateFilesReadOnce(t *testing.T) {
	// Random hex digits: different blocks, all compressible (mksquashfs
	// stores incompressible ones as they are, with nothing to decompress).
	data := make([]byte, 3<<20+100)
	rand.Read(data)
	for i, b := range data {
		data[i] = "0123456789abcdef"[b%16]
	}
	work := func(copies int) int64 {
		dir := t.TempDir()
		for i := range copies {
			writeFile(t, filepath.Join(dir, fmt.Sprintf("f%02d", i)), data, 0o644)
		}
		sq, err := newSqReader(mksquashfs(t, dir, "-b", "1M"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := checkData(sq); err != nil {
			t.Fatal(err)
		}
		return sq.work
	}
	one, fifty := work(1), work(50)
	t.Logf("decompressed %d KiB for one copy, %d KiB for 50", one>>10, fifty>>10)
	if one < 3<<20 || fifty != one {
		t.Errorf("decompressed %d KiB for one copy of a file, %d KiB for 50", one>>10, fifty>>10)
	}
}

// TestSparseShBounded: a /bin/sh of 250 MB, a real static busybox followed
// by a hole mksquashfs stores as nothing (a 40 KiB image), is checked
// without allocating its size; its content reads back as the original
// file's.
func TestSparseShBounded(t *testing.T) {
	dir := t.TempDir()
	bb := filepath.Join(dir, "bin/busybox")
	writeFile(t, bb, busybox(t), 0o755)
	if err := os.Truncate(bb, 250<<20); err != nil {
		t.Fatal(err)
	}
	symlink(t, "busybox", filepath.Join(dir, "bin/sh"))
	writeFile(t, filepath.Join(dir, RunscriptPath), []byte("#!/bin/sh\n"), 0o755)
	writeFile(t, filepath.Join(dir, LabelsPath), []byte("{}"), 0o644)
	writeFile(t, filepath.Join(dir, DeffilePath), []byte("Bootstrap: scratch\n"), 0o644)
	if err := os.Mkdir(filepath.Join(dir, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A non-ELF file of the same size as /bin/sh fails as early.
	other := t.TempDir()
	if err := os.CopyFS(other, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	notELF := filepath.Join(other, "bin/busybox")
	writeFile(t, notELF, []byte("#!/bin/sh\n"), 0o755)
	if err := os.Truncate(notELF, 250<<20); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir, want string
	}{{dir, ""}, {other, "/bin/sh -> /bin/busybox not an ELF executable"}} {
		img := mksquashfs(t, c.dir, "-b", "1M")
		before := totalAlloc()
		r := &Report{}
		err := r.checkSquash(img, runtime.GOARCH)
		alloc := totalAlloc() - before
		t.Logf("%d-byte image: %v, %d MiB allocated", len(img), err, alloc>>20)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("checkSquash: %v, want %q", err, c.want)
		}
		// busybox's blocks are decompressed, a MiB each: far less than
		// the file's 250 MiB.
		if alloc > 64<<20 {
			t.Errorf("%d MiB allocated to check a %d KiB image", alloc>>20, len(img)>>10)
		}
	}
	// The hole reads as zeros: the content is the original file's.
	sq, err := newSqReader(mksquashfs(t, dir, "-b", "1M"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := sq.lookup("bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	f, err := sq.open(in)
	if err != nil {
		t.Fatal(err)
	}
	got, want := sha256.New(), sha256.New()
	if _, err := io.Copy(got, io.NewSectionReader(f, 0, int64(in.size))); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(bb)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	io.Copy(want, src)
	if string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Error("the sparse file reads back differently")
	}
}

// withTimeout runs f, failing the test if it has not returned after a
// minute (a guard against a hang, not a timing assertion).
func withTimeout(t *testing.T, f func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("still running after a minute")
	}
}

// TestSymlinkBudget: links whose targets go through other links, each
// level doubling the paths a per-branch depth count explores, give "too
// many levels of symbolic links" at once, as in Linux, where one path
// resolution follows at most 40 links. (Counting the depth per branch
// instead took minutes on this 60 KiB image.)
func TestSymlinkBudget(t *testing.T) {
	dir := t.TempDir()
	// a0 -> D, a$k -> a$((k-1))/e$k, D/e$k -> /a$((k-1)).
	if err := os.Mkdir(filepath.Join(dir, "D"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "D", filepath.Join(dir, "a0"))
	for k := 1; k <= 20; k++ {
		symlink(t, fmt.Sprintf("a%d/e%d", k-1, k), filepath.Join(dir, fmt.Sprintf("a%d", k)))
		symlink(t, fmt.Sprintf("/a%d", k-1), filepath.Join(dir, "D", fmt.Sprintf("e%d", k)))
	}
	for j := range 40 {
		symlink(t, fmt.Sprintf("/a16/s%d", j+1), filepath.Join(dir, "D", fmt.Sprintf("s%d", j)))
	}
	// A large root directory makes each lookup there cost more.
	for i := range 2000 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o644)
	}
	symlink(t, "/a16/s0", filepath.Join(dir, "bin/sh"))
	sq, err := newSqReader(mksquashfs(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	withTimeout(t, func() {
		if p, err := resolve(sq, "bin/sh"); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
			t.Errorf("resolve bin/sh: %q %v, want too many levels of symbolic links", p, err)
		}
	})
}

// TestSymlinkLikeLinux compares resolve with the kernel on the same tree:
// chains of 40 and 41 links (Linux follows 40), a path of 60 plain
// directories, "..", a link into a directory reached through links, and
// "/", "." and ".." after a file (not a directory, for both).
func TestSymlinkLikeLinux(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x"), []byte("x"), 0o755)
	symlink(t, "x", filepath.Join(dir, "c1"))
	for k := 2; k <= 41; k++ {
		symlink(t, fmt.Sprintf("c%d", k-1), filepath.Join(dir, fmt.Sprintf("c%d", k)))
	}
	deep := ""
	for i := range 60 {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i))
	}
	writeFile(t, filepath.Join(dir, deep, "exe"), []byte("x"), 0o755)
	symlink(t, deep, filepath.Join(dir, "deep"))
	symlink(t, "../../x", filepath.Join(dir, "d0/d1/up"))
	symlink(t, "deep/../d0/d1/up", filepath.Join(dir, "viaup"))
	for i, tg := range []string{"x/", "x/.", "x/../x", "c1/", "x//", "d0/./d1/../d1/up"} {
		symlink(t, tg, filepath.Join(dir, fmt.Sprintf("after%d", i)))
	}
	sq, err := newSqReader(mksquashfs(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ p, want string }{
		{"c40", "x"},
		{"c41", ""},
		{deep + "/exe", deep + "/exe"},
		{"deep/exe", deep + "/exe"},
		{"d0/d1/up", "x"},
		{"viaup", ""}, // "deep/.." is d58 in Linux: d0/d1 is not there
		{"after0", ""},
		{"after1", ""},
		{"after2", ""},
		{"after3", ""},
		{"after4", ""},
		{"after5", "x"},
		{"c1/", ""},
	} {
		// The kernel's answer, on the unpacked tree (the links are
		// relative, so they stay inside it).
		// (Not filepath.Join: it would drop a trailing slash.)
		real, kerr := filepath.EvalSymlinks(filepath.Join(dir, c.p))
		_, serr := os.Stat(dir + "/" + c.p)
		var p string
		withTimeout(t, func() { p, err = resolve(sq, c.p) })
		switch {
		case c.want == "" && err == nil, c.want != "" && p != c.want:
			t.Errorf("resolve %s: %q %v, want %q", c.p, p, err, c.want)
		}
		if c.want != "" && (serr != nil || kerr != nil || real != filepath.Join(dir, c.want)) {
			t.Errorf("%s: the kernel resolves it to %s (%v %v), the test wants %s", c.p, real, serr, kerr, c.want)
		}
		if c.want == "" && serr == nil {
			t.Errorf("%s: the kernel resolves it, resolve gives %v", c.p, err)
		}
		if c.want == "" && c.p != "c41" && c.p != "viaup" && (!errors.Is(serr, syscall.ENOTDIR) || err == nil || !strings.Contains(err.Error(), "not a directory")) {
			t.Errorf("%s: kernel %v, resolve %v, want both not a directory", c.p, serr, err)
		}
		if c.p == "c41" && (!errors.Is(serr, syscall.ELOOP) || !strings.Contains(err.Error(), "too many levels of symbolic links")) {
			t.Errorf("c41: kernel %v, resolve %v, want both too many levels of symbolic links", serr, err)
		}
	}
}
