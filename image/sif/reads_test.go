package sif

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// TestAppendedImageFragmentsOnce: an image made by two mksquashfs runs,
// the second appended to the first, lists the two runs' files in one
// directory, alternately: consecutive files have their tails in fragment
// blocks far apart. Each fragment block is still decompressed once, and
// the extracted tree is unsquashfs's.
func TestAppendedImageFragmentsOnce(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	src := t.TempDir()
	for k, d := range []string{"A", "B"} {
		for i := range 2000 {
			writeFile(t, filepath.Join(src, d, fmt.Sprintf("f%04d", 2*i+k)), fmt.Appendf(nil, "%s%0996d", d, i), 0o644)
		}
	}
	img := filepath.Join(t.TempDir(), "img.sq")
	for _, d := range []string{"A", "B"} {
		cmd := exec.Command(mk, filepath.Join(src, d), img, "-quiet", "-no-progress", "-all-root")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mksquashfs: %v\n%s", err, b)
		}
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := newSqReader(data)
	if err != nil {
		t.Fatal(err)
	}
	n, err := checkData(sq)
	t.Logf("%d entries, %d fragment blocks, %d blocks decompressed: %v", n, sq.fragCount, sq.work/int64(sq.bs), err)
	if err != nil || n != 4001 {
		t.Fatalf("checkData: %d entries, %v", n, err)
	}
	if sq.work != int64(sq.fragCount)*int64(sq.bs) {
		t.Errorf("decompressed %d blocks for %d fragment blocks", sq.work/int64(sq.bs), sq.fragCount)
	}
	out := t.TempDir()
	if err := Extract(data, out); err != nil {
		t.Fatal(err)
	}
	ref := unsquashfs(t, img)
	if a, b := treeListing(t, ref), treeListing(t, out); a != b {
		t.Errorf("extracted tree differs from unsquashfs's")
	}
	for _, p := range []string{"f0000", "f3999", "f1234"} {
		a, _ := os.ReadFile(filepath.Join(ref, p))
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil || !bytes.Equal(a, b) || len(a) != 997 {
			t.Errorf("%s: %q, want %q (%v)", p, b, a, err)
		}
	}
}

func unsquashfs(t *testing.T, img string) string {
	t.Helper()
	un := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	ref := filepath.Join(t.TempDir(), "ref")
	if b, err := exec.Command(un, "-no-xattrs", "-q", "-d", ref, img).CombinedOutput(); err != nil {
		t.Fatalf("unsquashfs: %v\n%s", err, b)
	}
	return ref
}

// TestHugeHoleListStreamed: a 1 GiB file of holes with 4 KiB blocks has
// 262,144 block entries (1 MiB of metadata) in an image of a few KiB.
// Checking it streams the list: once the metadata is read (and cached),
// checking again allocates almost nothing, not 12 bytes an entry.
func TestHugeHoleListStreamed(t *testing.T) {
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "holes"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	img := mksquashfs(t, src, "-b", "4096")
	sq, err := newSqReader(img)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkData(sq); err != nil {
		t.Fatal(err)
	}
	before := totalAlloc()
	if _, err := checkData(sq); err != nil {
		t.Fatal(err)
	}
	alloc := totalAlloc() - before
	t.Logf("%d-byte image, %d KiB of metadata, %d KiB allocated", len(img), sq.metaBytes>>10, alloc>>10)
	if alloc > 256<<10 {
		t.Errorf("%d KiB allocated to check %d KiB of cached metadata", alloc>>10, sq.metaBytes>>10)
	}
}

// TestExtractKeepsHoles: a sparse file is extracted sparse, taking no
// more disk blocks than unsquashfs's copy, with the same content.
func TestExtractKeepsHoles(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "holes")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("middle"), 100<<20+5)
	if err := f.Truncate(200 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := mksquashfs(t, src, "-b", "128K")
	img := filepath.Join(t.TempDir(), "img.sq")
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := Extract(data, out); err != nil {
		t.Fatal(err)
	}
	ref := unsquashfs(t, img)
	var got, want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(out, "holes"), &got); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(filepath.Join(ref, "holes"), &want); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d-byte image: %d blocks extracted, unsquashfs %d", len(data), got.Blocks, want.Blocks)
	if got.Size != want.Size || got.Blocks > want.Blocks {
		t.Errorf("extracted %d bytes in %d blocks, unsquashfs %d bytes in %d", got.Size, got.Blocks, want.Size, want.Blocks)
	}
	a, _ := os.ReadFile(filepath.Join(ref, "holes"))
	b, _ := os.ReadFile(filepath.Join(out, "holes"))
	if !bytes.Equal(a, b) {
		t.Errorf("extracted content differs from unsquashfs's")
	}
}

// TestPartlySharedBlocksRefused: a file whose blocks start inside another
// file's blocks (mksquashfs never writes that: it shares whole files) is
// refused, so files cannot make the check decompress the same blocks
// again and again through block lists that differ.
func TestPartlySharedBlocksRefused(t *testing.T) {
	src := t.TempDir()
	for _, n := range []string{"a", "b"} {
		writeFile(t, filepath.Join(src, n), bytes.Repeat([]byte(n+" moo\n"), 3*4096/5+1)[:3*4096], 0o644)
	}
	// Inodes stored uncompressed, so the test can edit one in place.
	img := mksquashfs(t, src, "-b", "4096", "-no-fragments", "-noI")
	sq, err := newSqReader(img)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkData(sq); err != nil {
		t.Fatalf("the image as written: %v", err)
	}
	a, errA := sq.lookup("a")
	b, errB := sq.lookup("b")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	first := blockOffsets(t, sq, a)
	// b's blocks now start at a's second block (a basic file inode:
	// 16-byte header, then the blocks' start).
	at := sq.inodeTable + b.ref>>16 + 2 + b.ref&0xffff + 16
	if got := binary.LittleEndian.Uint32(img[at:]); uint64(got) != b.blocksStart {
		t.Fatalf("b's inode: blocks start %d, want %d", got, b.blocksStart)
	}
	bad := bytes.Clone(img)
	binary.LittleEndian.PutUint32(bad[at:], uint32(first[1]))
	sq, err = newSqReader(bad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checkData(sq)
	if want := "/b shares only part of its data blocks with another file"; err == nil || err.Error() != want {
		t.Errorf("checkData: %v, want %q", err, want)
	}
}

// FuzzExtract feeds Extract and the checks corrupted images with
// fragments, a sparse file, a file of several blocks and a symlink: an
// error, never a panic nor a hang.
func FuzzExtract(f *testing.F) {
	mk, err := exec.LookPath("mksquashfs")
	if err != nil {
		f.Skip("mksquashfs (squashfs-tools) not found")
	}
	src := f.TempDir()
	big := make([]byte, 10000)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}
	for p, data := range map[string][]byte{"a": []byte("hello hello hello"), "d/b": big} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), data, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.Symlink("../a", filepath.Join(src, "d/l")); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sp"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(src, "sp"), 9000); err != nil {
		f.Fatal(err)
	}
	for _, c := range []string{"gzip", "xz", "zstd"} {
		out := filepath.Join(f.TempDir(), "img.sq")
		if b, err := exec.Command(mk, src, out, "-noappend", "-quiet", "-no-progress", "-all-root", "-comp", c, "-b", "4096").CombinedOutput(); err != nil {
			f.Fatalf("mksquashfs: %v\n%s", err, b)
		}
		img, err := os.ReadFile(out)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(img)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		_ = Extract(img, t.TempDir())
		if sq, err := newSqReader(img); err == nil {
			checkData(sq)
			resolve(sq, "d/l")
		}
	})
}
