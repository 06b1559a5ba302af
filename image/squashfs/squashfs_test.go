package squashfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sqlow "github.com/sylabs/squashfs/low"
	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/testutil"
)

var allComps = []Compression{Gzip, XZ, Zstd}

// fullCheck runs every reader on img: unsquashfs -d and -lln, the
// sylabs/squashfs reader, the kernel and squashfuse.
func fullCheck(t *testing.T, ws []*want, img string, heavy bool) {
	t.Run("unsquashfs", func(t *testing.T) {
		checkDir(t, "unsquashfs -d", ws, unsquash(t, img), dirCheck{})
	})
	t.Run("lln", func(t *testing.T) { checkListing(t, ws, img) })
	t.Run("sylabs", func(t *testing.T) {
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		checkSylabs(t, ws, b, true, 0)
	})
	if !heavy {
		return
	}
	t.Run("kernel", func(t *testing.T) {
		checkDir(t, "kernel", ws, kernelMount(t, img), dirCheck{sample: 500})
	})
	t.Run("squashfuse", func(t *testing.T) {
		checkDir(t, "squashfuse", ws, fuseMount(t, img), dirCheck{noIno: true, sample: 300})
	})
}

// TestRoundTrip: the fixed edge cases and a random tree, per compressor,
// through every reader.
func TestRoundTrip(t *testing.T) {
	for i, c := range allComps {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			bs := blockSizes[i%2]
			t.Run("edge", func(t *testing.T) {
				tree := edgeTree(128 << 10)
				img := writeImage(t, tree, Options{Compression: c, MkfsTime: 1700000000})
				fullCheck(t, wantsOf(tree), img, true)
			})
			// The smallest images: no inode but the root (no data, no
			// fragments), and one empty file (no data block either).
			t.Run("empty", func(t *testing.T) {
				tree := NewTree()
				img := writeImage(t, tree, Options{Compression: c, MkfsTime: 1700000000})
				fullCheck(t, wantsOf(tree), img, true)
			})
			t.Run("one-empty-file", func(t *testing.T) {
				tree := NewTree()
				must(tree.Add(Entry{Path: "empty", Mode: 0o644, Mtime: 1700000000}))
				img := writeImage(t, tree, Options{Compression: c, MkfsTime: 1700000000})
				fullCheck(t, wantsOf(tree), img, true)
			})
			t.Run("random", func(t *testing.T) {
				tree := randomTree(uint64(100+i), 400, bs)
				img := writeImage(t, tree, Options{Compression: c, BlockSize: bs, MkfsTime: 1700000000})
				fullCheck(t, wantsOf(tree), img, true)
			})
		})
	}
}

// TestRandomTrees is the property test: more seeds, lighter checks.
func TestRandomTrees(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		c := allComps[seed%3]
		bs := blockSizes[seed%2]
		t.Run(fmt.Sprintf("seed%d-%v-%d", seed, c, bs), func(t *testing.T) {
			t.Parallel()
			tree := randomTree(seed, 20+int(seed)*15, bs)
			ws := wantsOf(tree)
			img := writeImage(t, tree, Options{Compression: c, BlockSize: bs})
			checkDir(t, "unsquashfs -d", ws, unsquash(t, img), dirCheck{})
			b, _ := os.ReadFile(img)
			checkSylabs(t, ws, b, true, 0)
		})
	}
}

// TestFromDir: a tree materialized on the host, read back by FromDir.
func TestFromDir(t *testing.T) {
	testutil.RequireRoot(t)
	tree := randomTree(7, 300, 4096)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	materialize(t, tree, src)
	host, err := FromDir(src, DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := writeImage(t, host, Options{Compression: Zstd, BlockSize: 4096})
	ws := wantsOf(tree)
	checkDir(t, "unsquashfs -d", ws, unsquash(t, img), dirCheck{})
	checkDir(t, "kernel", ws, kernelMount(t, img), dirCheck{})

	// Options: all-root and clamped times.
	host, err = FromDir(src, DirOptions{AllRoot: true, ClampMtime: true, Mtime: 1600000000})
	if err != nil {
		t.Fatal(err)
	}
	host.Walk(func(e *Entry) error {
		if e.HardLink == "" && (e.Uid != 0 || e.Gid != 0 || e.Mtime > 1600000000) {
			t.Errorf("%q: %d:%d %d", e.Path, e.Uid, e.Gid, e.Mtime)
		}
		return nil
	})
}

// TestReproducible: the same tree added in another order, written with
// another number of workers, gives the same bytes.
func TestReproducible(t *testing.T) {
	var entries []Entry
	randomTree(3, 300, 4096).Walk(func(e *Entry) error {
		entries = append(entries, *e)
		return nil
	})
	build := func(order []int) *Tree {
		tr := NewTree()
		tr.DefaultMtime = 1
		for _, i := range order {
			must(tr.Add(entries[i]))
		}
		return tr
	}
	fwd := make([]int, len(entries))
	for i := range fwd {
		fwd[i] = i
	}
	// Reversed: children before parents, so parents are first implicit.
	rev := make([]int, len(entries))
	for i := range rev {
		rev[i] = len(entries) - 1 - i
	}
	for _, c := range allComps {
		o := Options{Compression: c, BlockSize: 4096, MkfsTime: 42, Workers: 1}
		a, ab := imageSHA(t, build(fwd), o)
		o.Workers = 5
		b, _ := imageSHA(t, build(rev), o)
		if a != b {
			t.Errorf("%v: images differ with entry order / workers", c)
		}
		if len(ab)%4096 != 0 {
			t.Errorf("%v: image length %d not a multiple of 4096", c, len(ab))
		}
	}
}

// TestDedup: identical files are stored once; tails share fragments.
func TestDedup(t *testing.T) {
	content := make([]byte, 400000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(r.Uint32())
	}
	one, two := NewTree(), NewTree()
	must(one.Add(Entry{Path: "a", Mode: 0o644, Data: content}))
	must(two.Add(Entry{Path: "a", Mode: 0o644, Data: content}))
	must(two.Add(Entry{Path: "b", Mode: 0o644, Data: bytes.Clone(content)}))
	for i := range 50 {
		must(one.Add(Entry{Path: fmt.Sprintf("s%d", i), Mode: 0o644, Data: content[:100000]}))
		must(two.Add(Entry{Path: fmt.Sprintf("s%d", i), Mode: 0o644, Data: content[:100000]}))
	}
	_, b1 := imageSHA(t, one, Options{})
	_, b2 := imageSHA(t, two, Options{})
	// One data copy of 400 KB and one 100 KB fragment, in both.
	if len(b1) > 520000 || len(b2) != len(b1) {
		t.Errorf("sizes %d and %d: duplicates stored twice?", len(b1), len(b2))
	}
	if n := binary.LittleEndian.Uint32(b2[16:]); n != 1 {
		t.Errorf("%d fragments, want 1", n)
	}
	checkSylabs(t, wantsOf(two), b2, true, 0)
}

// TestInodeDelta: a directory whose entries' inode numbers are more than
// 32767 apart needs a new directory header.
func TestInodeDelta(t *testing.T) {
	tree := NewTree()
	must(tree.Add(Entry{Path: "x/a", Mode: 0o644}))
	const n = 33000
	for i := range n {
		must(tree.Add(Entry{Path: fmt.Sprintf("x/b/%05d", i), Mode: 0o644}))
	}
	must(tree.Add(Entry{Path: "x/c", Mode: fs.ModeSymlink | 0o777, Target: "a"}))
	img := writeImage(t, tree, Options{})
	var ws []*want
	for _, w := range wantsOf(tree) {
		if !strings.HasPrefix(w.path, "x/b/") || w.path == "x/b/00000" || w.path == fmt.Sprintf("x/b/%05d", n-1) {
			ws = append(ws, w)
		}
	}
	b, _ := os.ReadFile(img)
	r, err := sqlow.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	xb, err := r.BaseFromEntry(r.Root.Entries[0])
	if err != nil {
		t.Fatal(err)
	}
	xd, err := xb.ToDir(r)
	if err != nil {
		t.Fatal(err)
	}
	var nums []uint32
	for _, e := range xd.Entries {
		nums = append(nums, e.Num)
	}
	if len(nums) != 3 || nums[1]-nums[0] < 32768 {
		t.Fatalf("inode numbers %v: the test does not test the delta overflow", nums)
	}
	for _, e := range xd.Entries {
		if ino, err := r.InodeFromEntry(e); err != nil || ino.Num != e.Num {
			t.Errorf("%s: inode %d (%v), directory says %d", e.Name, ino.Num, err, e.Num)
		}
	}
	dir := kernelMount(t, img)
	checkDir(t, "kernel", ws, dir, dirCheck{partial: true})
	if ents, err := os.ReadDir(filepath.Join(dir, "x/b")); len(ents) != n {
		t.Errorf("kernel lists %d entries (%v), want %d", len(ents), err, n)
	}
}

type hugeReader struct {
	off, size int64
	tail      []byte
}

func (h *hugeReader) Read(p []byte) (int, error) {
	if h.off >= h.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), h.size-h.off))
	clear(p[:n])
	for i := range n {
		if j := h.off + int64(i) - (h.size - int64(len(h.tail))); j >= 0 {
			p[i] = h.tail[j]
		}
		if i == 0 && h.off+int64(n) < h.size-int64(len(h.tail)) {
			break
		}
	}
	h.off += int64(n)
	return n, nil
}

func (h *hugeReader) Close() error { return nil }

// TestHugeSparse: a 5 GiB file of holes ending in data (extended inode,
// 160 KiB block list spanning many metadata blocks), per compressor.
func TestHugeSparse(t *testing.T) {
	const size = 5 << 30
	tail := []byte("the end of a very long file\n")
	tree := NewTree()
	must(tree.Add(Entry{Path: "huge", Mode: 0o644, Mtime: 1700000000, Size: size,
		Open: func() (io.ReadCloser, error) { return &hugeReader{size: size, tail: tail}, nil }}))
	must(tree.Add(Entry{Path: "holes", Mode: 0o600, Size: size + 1}))
	must(tree.Add(Entry{Path: "small", Mode: 0o644, Data: []byte("small")}))
	for _, c := range allComps {
		t.Run(c.String(), func(t *testing.T) {
			img := writeImage(t, tree, Options{Compression: c, MkfsTime: 1})
			if fi, _ := os.Stat(img); fi.Size() > 1<<20 {
				t.Errorf("image of %d bytes: holes not sparse", fi.Size())
			}
			ws := wantsOf(tree)
			for _, w := range ws {
				w := w
				if w.e.Size <= 1<<30 {
					continue
				}
				wantTail := tail
				if w.path == "holes" {
					wantTail = []byte{0, 0, 0, 0}
				}
				w.sample = func(r io.ReaderAt) error {
					for _, off := range []int64{0, 1 << 32, w.e.Size - int64(len(wantTail))} {
						want := make([]byte, len(wantTail))
						if off == w.e.Size-int64(len(wantTail)) {
							want = wantTail
						}
						got := make([]byte, len(want))
						if _, err := r.ReadAt(got, off); err != nil {
							return err
						}
						if !bytes.Equal(got, want) {
							return fmt.Errorf("at %d: %q, want %q", off, got, want)
						}
					}
					return nil
				}
			}
			t.Run("lln", func(t *testing.T) { checkListing(t, ws, img) })
			t.Run("unsquashfs", func(t *testing.T) { checkDir(t, "unsquashfs", ws, unsquash(t, img), dirCheck{}) })
			t.Run("kernel", func(t *testing.T) { checkDir(t, "kernel", ws, kernelMount(t, img), dirCheck{}) })
			t.Run("squashfuse", func(t *testing.T) {
				checkDir(t, "squashfuse", ws, fuseMount(t, img), dirCheck{noIno: true})
			})
			t.Run("sylabs", func(t *testing.T) {
				b, _ := os.ReadFile(img)
				checkSylabs(t, ws, b, false, 0)
			})
		})
	}
}

type shortReader struct{ n int }

func (s *shortReader) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), s.n)
	s.n -= k
	return k, nil
}

// TestErrors: bad input is an error, and WriteFile leaves nothing behind.
func TestErrors(t *testing.T) {
	short := func(n int) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(&shortReader{n}), nil }
	}
	cases := map[string]func(*Tree) error{
		"short":       func(t *Tree) error { return t.Add(Entry{Path: "f", Size: 300000, Open: short(200000)}) },
		"short-small": func(t *Tree) error { return t.Add(Entry{Path: "f", Size: 30, Open: short(20)}) },
		"long":        func(t *Tree) error { return t.Add(Entry{Path: "f", Size: 10, Open: short(20)}) },
		"open-fails": func(t *Tree) error {
			return t.Add(Entry{Path: "f", Size: 10, Open: func() (io.ReadCloser, error) { return nil, fs.ErrPermission }})
		},
		"link-missing": func(t *Tree) error { return t.Add(Entry{Path: "l", HardLink: "nowhere"}) },
		"link-dir": func(t *Tree) error {
			must(t.Add(Entry{Path: "d", Mode: fs.ModeDir | 0o755}))
			return t.Add(Entry{Path: "l", HardLink: "d"})
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			tree := NewTree()
			if err := build(tree); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			err := WriteFile(filepath.Join(dir, "out.sqfs"), tree, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left %v behind", ents)
			}
		})
	}
	bad := []Entry{
		{Path: "a/../b"}, {Path: "x", Mode: fs.ModeSymlink}, {Path: strings.Repeat("n", 257)},
		{Path: "d", Mode: fs.ModeDevice, Major: 5000}, {Path: "i", Mode: fs.ModeIrregular},
	}
	for _, e := range bad {
		if err := NewTree().Add(e); err == nil {
			t.Errorf("Add(%q, %v) accepted", e.Path, e.Mode)
		}
	}
	tree := NewTree()
	must(tree.Add(Entry{Path: "f"}))
	if err := tree.Add(Entry{Path: "f"}); err == nil {
		t.Error("duplicate accepted")
	}
	if err := tree.Add(Entry{Path: "f/g"}); err == nil {
		t.Error("file as parent accepted")
	}
	for _, bs := range []int{1000, 4097, 2 << 20} {
		if _, err := Write(io.Discard, tree, Options{BlockSize: bs}); err == nil {
			t.Errorf("block size %d accepted", bs)
		}
	}
}

// TestAgainstMksquashfs: for the same host tree, unsquashfs lists our image
// and mksquashfs's identically (directory sizes aside).
func TestAgainstMksquashfs(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	uns := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	testutil.RequireRoot(t)
	src := filepath.Join(t.TempDir(), "src")
	os.Mkdir(src, 0o755)
	materialize(t, randomTree(11, 300, 131072), src)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.sqfs")
	if out, err := exec.Command(mk, src, ref, "-noappend", "-no-progress", "-quiet", "-no-xattrs").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	host, err := FromDir(src, DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ours := writeImage(t, host, Options{})
	list := func(img string) string {
		cmd := exec.Command(uns, "-lln", img)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if m := llnLine.FindStringSubmatch(l); m != nil {
				if m[1][0] == 'd' {
					m[4] = "-"
				}
				lines = append(lines, strings.Join(m[1:], " "))
			}
		}
		return strings.Join(lines, "\n")
	}
	if a, b := list(ref), list(ours); a != b {
		t.Errorf("listings differ:\nmksquashfs:\n%s\nours:\n%s", a, b)
	}
	// The root has no parent: both store the inode count + 1 (what the
	// kernel's readdir gives as the root's "..").
	for _, img := range []string{ref, ours} {
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		n := uint64(binary.LittleEndian.Uint32(b[4:]))
		if got, err := dotDotIno(kernelMount(t, img)); err != nil || got != n+1 {
			t.Errorf("%s: root's \"..\" is inode %d (%v), want %d", filepath.Base(img), got, err, n+1)
		}
	}
}

// TestExportTable: entry i of the export table (what NFS file handles and
// open_by_handle_at resolve through) is the reference of inode i+1.
func TestExportTable(t *testing.T) {
	tree := edgeTree(4096) // over 10,000 inodes: a table of several blocks
	img := writeImage(t, tree, Options{Compression: XZ, BlockSize: 4096})
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlow.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := r.Superblock.InodeCount
	if n < 10000 {
		t.Fatalf("%d inodes", n)
	}
	for i := range n {
		if ino, err := r.Inode(i); err != nil || ino.Num != i+1 {
			t.Fatalf("sylabs: export entry %d: inode %d (%v), want %d", i, ino.Num, err, i+1)
		}
	}

	// The kernel: on a fresh mount, with no path looked up yet, a handle
	// (FILEID_INO32_GEN: inode number, generation) is resolved through
	// the table, and the inode's header gives the number fstat reports.
	dir := kernelMount(t, img)
	mfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(mfd)
	modes := map[uint64]uint32{}
	for i := uint32(1); i <= n; i++ {
		h := unix.NewFileHandle(1, append(binary.LittleEndian.AppendUint32(nil, i), 0, 0, 0, 0))
		fd, err := unix.OpenByHandleAt(mfd, h, unix.O_PATH)
		if err != nil {
			t.Fatalf("open_by_handle_at(inode %d): %v", i, err)
		}
		var st unix.Stat_t
		err = unix.Fstat(fd, &st)
		unix.Close(fd)
		if err != nil || st.Ino != uint64(i) {
			t.Fatalf("handle of inode %d opens inode %d (%v)", i, st.Ino, err)
		}
		modes[st.Ino] = st.Mode
	}
	// And each name's inode is the one its number's handle opened.
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if m, ok := modes[st.Ino]; !ok || m != st.Mode {
			t.Errorf("%s: inode %d mode %o, its handle's %o (%v)", p, st.Ino, st.Mode, m, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
