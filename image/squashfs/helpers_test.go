package squashfs

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sqlow "github.com/sylabs/squashfs/low"
	sqinode "github.com/sylabs/squashfs/low/inode"
	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/testutil"
)

// want is one expected name of an image: its entry with hard links
// resolved, and the size of its link group.
type want struct {
	path  string
	e     *Entry
	group string // canonical path of the hard-link group
	nlink int
	// sample, when set, replaces the full content comparison of a huge file.
	sample func(r io.ReaderAt) error
}

func wantsOf(t *Tree) []*want {
	var ws []*want
	count := map[string]int{}
	err := t.Walk(func(e *Entry) error {
		w := &want{path: e.Path}
		n := t.lookup(e.Path)
		for n.e.HardLink != "" {
			w.group = n.e.HardLink
			n = t.lookup(n.e.HardLink)
		}
		if w.group == "" && !n.e.Mode.IsDir() {
			w.group = e.Path
		}
		ee := n.e
		w.e = &ee
		count[w.group]++
		ws = append(ws, w)
		return nil
	})
	if err != nil {
		panic(err)
	}
	for _, w := range ws {
		if w.group != "" {
			w.nlink = count[w.group]
		}
	}
	return ws
}

func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

func expectedContent(e *Entry) (io.ReadCloser, error) { return e.open() }

func sameContent(a, b io.Reader) error {
	ba, bb := bufio.NewReaderSize(a, 1<<16), bufio.NewReaderSize(b, 1<<16)
	var off int64
	bufA, bufB := make([]byte, 1<<16), make([]byte, 1<<16)
	for {
		na, ea := io.ReadFull(ba, bufA)
		nb, eb := io.ReadFull(bb, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return fmt.Errorf("content differs near offset %d", off)
		}
		off += int64(na)
		if ea != nil || eb != nil {
			if (ea == nil) != (eb == nil) {
				return fmt.Errorf("lengths differ (%v, %v)", ea, eb)
			}
			return nil
		}
	}
}

type dirCheck struct {
	noIno     bool // reader renumbers inodes: no hard-link or ".." inode checks
	noSockets bool
	// sample compares the content of at most this many regular files
	// (spread over the tree; sizes and metadata are always compared).
	sample int
	// partial: ws is a subset; do not look for extra files.
	partial bool
}

// sampled reports whether the i-th of n items is in a sample of k.
func sampled(i, n, k int) bool {
	return k <= 0 || n <= k || i*k/n != (i+1)*k/n
}

// checkDir compares a directory (extracted or mounted) with the tree.
func checkDir(t *testing.T, label string, ws []*want, root string, c dirCheck) {
	t.Helper()
	errs := 0
	fail := func(format string, a ...any) {
		t.Helper()
		if errs++; errs <= 20 {
			t.Errorf(label+": "+format, a...)
		}
	}
	inos := map[string]uint64{}
	seen := map[string]bool{}
	type dirStat struct{ ino, nlink uint64 }
	dirs := map[string]dirStat{}
	subdirs := map[string]uint64{}
	for _, w := range ws {
		if w.e.Mode.IsDir() && w.path != "" {
			subdirs[parentOf(w.path)]++
		}
	}
	for i, w := range ws {
		seen[w.path] = true
		p := filepath.Join(root, w.path)
		e := w.e
		fi, err := os.Lstat(p)
		if err != nil {
			if c.noSockets && e.Mode.Type() == fs.ModeSocket {
				continue
			}
			fail("%v", err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Type() != e.Mode.Type() {
			fail("%q: type %v, want %v", w.path, fi.Mode().Type(), e.Mode.Type())
			continue
		}
		if e.Mode.Type() != fs.ModeSymlink && permBits(fi.Mode()) != permBits(e.Mode) {
			fail("%q: mode %v, want %v", w.path, fi.Mode(), e.Mode)
		}
		if st.Uid != e.Uid || st.Gid != e.Gid {
			fail("%q: owner %d:%d, want %d:%d", w.path, st.Uid, st.Gid, e.Uid, e.Gid)
		}
		if got, want := fi.ModTime().Unix(), int64(clampTime(e.Mtime)); got != want {
			fail("%q: mtime %d, want %d", w.path, got, want)
		}
		switch e.Mode.Type() {
		case fs.ModeDir:
			dirs[w.path] = dirStat{st.Ino, uint64(st.Nlink)}
		case 0:
			if fi.Size() != e.Size {
				fail("%q: size %d, want %d", w.path, fi.Size(), e.Size)
				continue
			}
			if !sampled(i, len(ws), c.sample) {
				break
			}
			f, err := os.Open(p)
			if err != nil {
				fail("%v", err)
				continue
			}
			if w.sample != nil {
				err = w.sample(f)
			} else {
				var rc io.ReadCloser
				if rc, err = expectedContent(e); err == nil {
					err = sameContent(f, rc)
					rc.Close()
				}
			}
			f.Close()
			if err != nil {
				fail("%q: %v", w.path, err)
			}
		case fs.ModeSymlink:
			if l, err := os.Readlink(p); err != nil || l != e.Target {
				fail("%q: link %q %v, want %q", w.path, l, err, e.Target)
			}
		case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			rdev := uint64(st.Rdev)
			if unix.Major(rdev) != e.Major || unix.Minor(rdev) != e.Minor {
				fail("%q: device %d:%d, want %d:%d", w.path, unix.Major(rdev), unix.Minor(rdev), e.Major, e.Minor)
			}
		}
		if w.group != "" && !c.noIno {
			if uint64(st.Nlink) != uint64(w.nlink) {
				fail("%q: nlink %d, want %d", w.path, st.Nlink, w.nlink)
			}
			if ino, ok := inos[w.group]; ok && ino != st.Ino {
				fail("%q: not a hard link of its group %q", w.path, w.group)
			}
			inos[w.group] = st.Ino
		}
	}
	// A directory's nlink counts its own name, its "." and each
	// subdirectory's "..", and its ".." names its parent's inode.
	for p, d := range dirs {
		if want := 2 + subdirs[p]; d.nlink != want {
			fail("%q: directory nlink %d, want %d", p, d.nlink, want)
		}
		if p == "" || c.noIno { // squashfuse lists no "." and ".."
			continue
		}
		got, err := dotDotIno(filepath.Join(root, p))
		if want := dirs[parentOf(p)]; err != nil || got != want.ino {
			fail("%q: \"..\" is inode %d (%v), want its parent's %d", p, got, err, want.ino)
		}
	}
	if c.partial {
		return
	}
	// Nothing extra.
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fail("%v", err)
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			rel = ""
		}
		if !seen[rel] {
			fail("unexpected %q", rel)
		}
		return nil
	})
}

// parentOf returns the path of p's directory, "" for the root.
func parentOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

// dotDotIno returns the inode number readdir gives for dir's "..": the
// kernel takes it from the parent field of the directory's inode, where a
// stat of dir/.. would follow the dentry cache instead.
func dotDotIno(dir string) (uint64, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, errors.New(`no ".." entry`)
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			name, _, _ := bytes.Cut(b[19:reclen], []byte{0})
			if string(name) == ".." {
				return binary.LittleEndian.Uint64(b), nil
			}
			b = b[reclen:]
		}
	}
}

func writeImage(t testing.TB, tree *Tree, o Options) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "img.sqfs")
	if err := WriteFile(img, tree, o); err != nil {
		t.Fatal(err)
	}
	return img
}

func unsquash(t *testing.T, img string) string {
	t.Helper()
	bin := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	testutil.RequireRoot(t) // to restore owners and create device nodes
	dir := filepath.Join(scratchDir(t), "x")
	out, err := exec.Command(bin, "-no-progress", "-d", dir, img).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs: %v\n%s", err, out)
	}
	return dir
}

// scratchDir returns a temporary directory on tmpfs when there is one:
// creating thousands of files on this machine's disk is ten times slower.
func scratchDir(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "squashfs-test"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func lsPerm(m fs.FileMode) string {
	var b [10]byte
	switch m.Type() {
	case fs.ModeDir:
		b[0] = 'd'
	case fs.ModeSymlink:
		b[0] = 'l'
	case fs.ModeDevice:
		b[0] = 'b'
	case fs.ModeDevice | fs.ModeCharDevice:
		b[0] = 'c'
	case fs.ModeNamedPipe:
		b[0] = 'p'
	case fs.ModeSocket:
		b[0] = 's'
	default:
		b[0] = '-'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		} else {
			b[1+i] = '-'
		}
	}
	special := func(i int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[i] == 'x' {
			b[i] = lower
		} else {
			b[i] = upper
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b[:])
}

var llnLine = regexp.MustCompile(`^(\S{10}) (\d+)/(\d+) +(\d+|\d+, *\d+) (\d{4}-\d\d-\d\d \d\d:\d\d) (squashfs-root.*)$`)

// checkListing compares `unsquashfs -lln` with the tree.
func checkListing(t *testing.T, ws []*want, img string) {
	t.Helper()
	bin := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	cmd := exec.Command(bin, "-lln", img)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("unsquashfs -lln: %v", err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		m := llnLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		size := strings.Join(strings.Fields(strings.ReplaceAll(m[4], ",", ", ")), " ")
		got[m[6]] = strings.Join([]string{m[1], m[2] + "/" + m[3], size, m[5]}, " ")
	}
	n := 0
	for _, w := range ws {
		if strings.Contains(w.path, "\n") {
			continue
		}
		e := w.e
		name := "squashfs-root"
		if w.path != "" {
			name += "/" + w.path
		}
		size := "-"
		switch e.Mode.Type() {
		case 0:
			size = strconv.FormatInt(e.Size, 10)
		case fs.ModeSymlink:
			size = strconv.Itoa(len(e.Target))
			name += " -> " + e.Target
		case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			size = fmt.Sprintf("%d, %d", e.Major, e.Minor)
		case fs.ModeNamedPipe, fs.ModeSocket:
			size = "0"
		}
		perm := lsPerm(e.Mode)
		if e.Mode&fs.ModeDevice != 0 && (e.Major > 255 || e.Minor > 255) {
			// unsquashfs -lln shows big device numbers mangled, without
			// a space; unsquashfs -d and the kernel check them.
			continue
		}
		want := strings.Join([]string{perm, fmt.Sprintf("%d/%d", e.Uid, e.Gid), size,
			time.Unix(int64(clampTime(e.Mtime)), 0).UTC().Format("2006-01-02 15:04")}, " ")
		g, ok := got[name]
		if ok && size == "-" { // a directory's size is its listing's: not compared
			f := strings.Fields(g)
			g = strings.Join([]string{f[0], f[1], "-", f[3], f[4]}, " ")
		}
		if g != want {
			if n++; n <= 10 {
				t.Errorf("unsquashfs -lln %q: got %q, want %q", name, g, want)
			}
		}
	}
}

// checkSylabs reads the image back with the pure-Go sylabs/squashfs reader.
func checkSylabs(t testing.TB, ws []*want, img []byte, full bool, sample int) {
	t.Helper()
	r, err := sqlow.NewReader(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("sylabs reader: %v", err)
	}
	bases := map[string]sqlow.FileBase{"": r.Root.FileBase}
	listed := map[string]bool{"": true}
	var walk func(d sqlow.Directory, p string) error
	walk = func(d sqlow.Directory, p string) error {
		for i, de := range d.Entries {
			cp := path.Join(p, de.Name)
			if listed[cp] {
				return fmt.Errorf("%q listed twice", cp)
			}
			listed[cp] = true
			// This reader decodes a metadata block per inode: sample the
			// inodes of huge directories.
			if len(d.Entries) > 1000 && i%50 != 0 && i != len(d.Entries)-1 {
				continue
			}
			b, err := r.BaseFromEntry(de)
			if err != nil {
				return err
			}
			bases[cp] = b
			if b.IsDir() {
				sub, err := b.ToDir(r)
				if err != nil {
					return err
				}
				if err := walk(sub, cp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(r.Root, ""); err != nil {
		t.Fatalf("sylabs reader: %v", err)
	}
	if len(listed) != len(ws) {
		t.Errorf("sylabs: %d entries, want %d", len(listed), len(ws))
	}
	types := map[fs.FileMode]uint16{0: sqinode.Fil, fs.ModeDir: sqinode.Dir, fs.ModeSymlink: sqinode.Sym,
		fs.ModeDevice: sqinode.Block, fs.ModeDevice | fs.ModeCharDevice: sqinode.Char, fs.ModeNamedPipe: sqinode.Fifo, fs.ModeSocket: sqinode.Sock}
	nums := map[string]uint32{}
	errs := 0
	fail := func(format string, a ...any) {
		t.Helper()
		if errs++; errs <= 20 {
			t.Errorf("sylabs: "+format, a...)
		}
	}
	for i, w := range ws {
		b, ok := bases[w.path]
		if !ok {
			if !listed[w.path] {
				fail("%q missing", w.path)
			}
			continue
		}
		e := w.e
		typ := b.Inode.Type
		if typ > sqinode.Sock {
			typ -= 7
		}
		if typ != types[e.Mode.Type()] {
			fail("%q: type %d, want %d", w.path, typ, types[e.Mode.Type()])
			continue
		}
		if fs.FileMode(b.Inode.Perm&0o777) != e.Mode.Perm() {
			fail("%q: perm %o, want %v", w.path, b.Inode.Perm, e.Mode)
		}
		uid, _ := b.Uid(r)
		gid, _ := b.Gid(r)
		if uid != e.Uid || gid != e.Gid || b.Inode.ModTime != clampTime(e.Mtime) {
			fail("%q: %d:%d %d, want %d:%d %d", w.path, uid, gid, b.Inode.ModTime, e.Uid, e.Gid, clampTime(e.Mtime))
		}
		if w.group != "" {
			if n, ok := nums[w.group]; ok && n != b.Inode.Num {
				fail("%q: inode %d, not its group's %d", w.path, b.Inode.Num, n)
			}
			nums[w.group] = b.Inode.Num
		}
		switch typ {
		case sqinode.Sym:
			var tg []byte
			if s, ok := b.Inode.Data.(sqinode.Symlink); ok {
				tg = s.Target
			} else {
				tg = b.Inode.Data.(sqinode.ESymlink).Target
			}
			if string(tg) != e.Target {
				fail("%q: target %q, want %q", w.path, tg, e.Target)
			}
		case sqinode.Fil:
			if !full && e.Size > 1<<20 || !sampled(i, len(ws), sample) {
				continue
			}
			// The sequential reader: the parallel FullReader of v1.0.6
			// garbles some files with holes (unsquashfs and the kernel
			// read them right).
			rd, _, err := b.GetRegFileReaders(r)
			if err != nil {
				fail("%q: %v", w.path, err)
				continue
			}
			var got bytes.Buffer
			if _, err := io.Copy(&got, rd); err != nil {
				fail("%q: %v", w.path, err)
				continue
			}
			if bs := int64(r.Superblock.BlockSize); int64(got.Len()) == e.Size-bs && e.Size%bs == 0 {
				// v1.0.6 drops a trailing hole block when the size is a
				// multiple of the block size; the other readers don't.
				got.Write(make([]byte, bs))
			}
			rc, _ := expectedContent(e)
			if err := sameContent(&got, rc); err != nil {
				fail("%q: %v", w.path, err)
			}
			rc.Close()
		}
	}
}

// kernelMount loop-mounts img read-only and returns the mount point.
func kernelMount(t *testing.T, img string) string {
	t.Helper()
	testutil.RequireRoot(t)
	losetup := testutil.RequireTool(t, "losetup", "mount")
	if out, err := exec.Command(losetup, "-f").CombinedOutput(); err != nil {
		testutil.Missing(t, fmt.Sprintf("no loop device available (losetup -f: %v %s)", err, bytes.TrimSpace(out)))
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "squashfs", "-o", "loop,ro", img, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -t squashfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// fuseMount mounts img with squashfuse and returns the mount point.
func fuseMount(t *testing.T, img string) string {
	t.Helper()
	bin := testutil.RequireTool(t, "squashfuse", "squashfuse")
	testutil.RequireRoot(t)
	if _, err := os.Stat("/dev/fuse"); err != nil {
		testutil.Missing(t, "no /dev/fuse: "+err.Error())
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, img, dir).CombinedOutput(); err != nil {
		t.Fatalf("squashfuse: %v\n%s", err, out)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// unmount retries for a while: a FUSE file system can stay busy for a
// moment after its last file is closed.
func unmount(t *testing.T, dir string) {
	var out []byte
	var err error
	for range 50 {
		if out, err = exec.Command("umount", dir).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("umount: %v %s", err, out)
	exec.Command("umount", "-l", dir).Run()
}

// --- tree generators ---

var blockSizes = []int{4096, 131072}

func randName(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		n := 1 + r.IntN(255)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	case 1: // arbitrary bytes: non-UTF-8 names
		n := 1 + r.IntN(12)
		b := make([]byte, n)
		for i := range b {
			for b[i] == 0 || b[i] == '/' || b[i] == '\n' {
				b[i] = byte(r.IntN(256))
			}
		}
		if s := string(b); s == "." || s == ".." {
			return "dot"
		}
		return string(b)
	}
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	n := 1 + r.IntN(16)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	if s := string(b); s == "." || s == ".." {
		return "dotdot"
	}
	return string(b)
}

func randContent(r *rand.Rand, bs int, prev [][]byte) []byte {
	switch k := r.IntN(20); {
	case k == 0:
		return nil
	case k == 1 && len(prev) > 0: // a duplicate
		return prev[r.IntN(len(prev))]
	case k == 2:
		sizes := []int{1, bs - 1, bs, bs + 1, 2*bs - 1, 3 * bs}
		n := sizes[r.IntN(len(sizes))]
		b := make([]byte, n)
		fillText(r, b)
		return b
	case k == 3: // blocks of zeros between data: sparse blocks
		b := make([]byte, 4*bs+r.IntN(bs))
		fillText(r, b[:bs/2])
		fillText(r, b[3*bs:])
		return b
	case k == 4: // incompressible
		b := make([]byte, r.IntN(3*bs))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	case k == 5: // all zeros, not a multiple of the block size
		return make([]byte, 2*bs+r.IntN(bs))
	default:
		b := make([]byte, r.IntN(3000))
		fillText(r, b)
		return b
	}
}

func fillText(r *rand.Rand, b []byte) {
	words := []string{"moo ", "cow ", "squash ", "fs ", "the ", "\n", "block ", "fragment ", "inode "}
	for i := 0; i < len(b); {
		i += copy(b[i:], words[r.IntN(len(words))])
	}
}

func randAttrs(r *rand.Rand, e *Entry) {
	ids := []uint32{0, 0, 0, 1, 100, 1000, 65534, 65536, 4294967294}
	e.Uid = ids[r.IntN(len(ids))]
	e.Gid = ids[r.IntN(len(ids))]
	e.Mode |= fs.FileMode(r.IntN(0o1000))
	if r.IntN(5) == 0 {
		e.Mode |= []fs.FileMode{fs.ModeSetuid, fs.ModeSetgid, fs.ModeSticky}[r.IntN(3)]
	}
	switch r.IntN(4) {
	case 0:
		e.Mtime = int64(r.Uint32())
	case 1:
		e.Mtime = 0
	default:
		e.Mtime = 1600000000 + int64(r.IntN(1e8))
	}
}

// randomTree builds a tree of n entries of every kind from seed.
func randomTree(seed uint64, n, bs int) *Tree {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	t := NewTree()
	t.DefaultMtime = 1700000000
	root := Entry{Mode: fs.ModeDir}
	randAttrs(r, &root)
	root.Mode |= 0o700
	must(t.Add(root))
	dirs := []string{""}
	var files []string
	var contents [][]byte
	used := map[string]bool{"": true}
	for range n {
		p := path.Join(dirs[r.IntN(len(dirs))], randName(r))
		if used[p] {
			continue
		}
		used[p] = true
		e := Entry{Path: p}
		randAttrs(r, &e)
		switch k := r.IntN(100); {
		case k < 20:
			e.Mode |= fs.ModeDir
			dirs = append(dirs, p)
		case k < 65:
			e.Data = randContent(r, bs, contents)
			if e.Data == nil {
				e.Data = []byte{}
			}
			contents = append(contents, e.Data)
			if r.IntN(3) == 0 { // through Open instead of Data
				d := e.Data
				e.Data, e.Size = nil, int64(len(d))
				e.Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(d)), nil }
			}
			files = append(files, p)
		case k < 80:
			e.Mode = e.Mode&^fs.ModePerm | fs.ModeSymlink | 0o777
			targets := []string{"../x", "/etc/passwd", "dangling/nowhere", strings.Repeat("long/", 100), "\xff\xfe"}
			e.Target = targets[r.IntN(len(targets))]
		case k < 88 && len(files) > 0:
			e = Entry{Path: p, HardLink: files[r.IntN(len(files))]}
		case k < 91:
			e.Mode |= fs.ModeNamedPipe
		case k < 93:
			e.Mode |= fs.ModeSocket
		case k < 96:
			e.Mode |= fs.ModeDevice | fs.ModeCharDevice
			e.Major, e.Minor = uint32(r.IntN(4096)), uint32(r.IntN(1<<20))
		default:
			e.Mode |= fs.ModeDevice
			e.Major, e.Minor = uint32(r.IntN(300)), uint32(r.IntN(300))
		}
		must(t.Add(e))
	}
	return t
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// edgeTree holds the fixed edge cases of issue 8 for block size bs.
func edgeTree(bs int) *Tree {
	t := NewTree()
	t.DefaultMtime = 1234567890
	add := func(e Entry) {
		if e.Mtime == 0 {
			e.Mtime = 1700000000
		}
		must(t.Add(e))
	}
	text := func(n int, seed uint64) []byte {
		b := make([]byte, n)
		fillText(rand.New(rand.NewPCG(seed, 1)), b)
		return b
	}
	add(Entry{Path: "", Mode: fs.ModeDir | 0o755})
	add(Entry{Path: "sizes/empty", Mode: 0o644, Data: []byte{}})
	add(Entry{Path: "sizes/one", Mode: 0o644, Data: []byte("x")})
	for _, n := range []int{bs - 1, bs, bs + 1, 2 * bs} {
		add(Entry{Path: "sizes/" + strconv.Itoa(n), Mode: 0o644, Data: text(n, uint64(n))})
	}
	// 10,000 entries: > 256 per header, listing far over 8 KiB, index.
	for i := range 10000 {
		add(Entry{Path: fmt.Sprintf("big/entry-%05d-%s", i, strings.Repeat("p", i%40)), Mode: 0o644, Data: []byte(strconv.Itoa(i % 1234))})
	}
	for i := range 300 {
		tg := fmt.Sprintf("../sizes/%d", i)
		if i%3 == 0 {
			tg = fmt.Sprintf("/abs/path/%d", i)
		}
		add(Entry{Path: fmt.Sprintf("links/l%03d", i), Mode: fs.ModeSymlink | 0o777, Target: tg})
	}
	add(Entry{Path: "names/" + strings.Repeat("n", 255), Mode: 0o600, Data: []byte("long name")})
	add(Entry{Path: "names/" + strings.Repeat("\xe9", 255), Mode: 0o600, Data: []byte("long latin-1 name")})
	for _, n := range []string{"caf\xe9", "\xff\xfe", "\x80", "a b", "-dash", "\x01ctl", "日本"} {
		add(Entry{Path: "names/" + n, Mode: 0o644, Data: []byte(n)})
	}
	deep := "deep"
	for i := range 100 {
		deep += "/d" + strconv.Itoa(i%10)
	}
	add(Entry{Path: deep + "/leaf", Mode: 0o644, Data: []byte("deep")})
	add(Entry{Path: "hl/a", Mode: 0o4755, Uid: 1000, Gid: 100, Data: text(5000, 7)})
	add(Entry{Path: "hl/b", HardLink: "hl/a"})
	add(Entry{Path: "hl/sub/c", HardLink: "hl/b"})
	add(Entry{Path: "hl/big", Mode: 0o644, Data: text(3*bs+17, 8)})
	add(Entry{Path: "hl/big2", HardLink: "hl/big"})
	add(Entry{Path: "hl/sym", Mode: fs.ModeSymlink | 0o777, Target: "a"})
	add(Entry{Path: "hl/sym2", HardLink: "hl/sym"})
	add(Entry{Path: "hl/fifo", Mode: fs.ModeNamedPipe | 0o600})
	add(Entry{Path: "hl/fifo2", HardLink: "hl/fifo"})
	add(Entry{Path: "perm/suid", Mode: 0o755 | fs.ModeSetuid, Data: []byte("u")})
	add(Entry{Path: "perm/sgid", Mode: 0o755 | fs.ModeSetgid, Data: []byte("g")})
	add(Entry{Path: "perm/sgid-noexec", Mode: 0o644 | fs.ModeSetgid, Data: []byte("G")})
	add(Entry{Path: "perm/sticky", Mode: fs.ModeDir | fs.ModeSticky | 0o777})
	add(Entry{Path: "perm/all", Mode: 0o777 | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky, Data: []byte("a")})
	add(Entry{Path: "perm/none", Mode: 0, Data: []byte("n")})
	add(Entry{Path: "perm/sgiddir", Mode: fs.ModeDir | fs.ModeSetgid | 0o775, Uid: 4294967294, Gid: 65534})
	add(Entry{Path: "sym/dangling", Mode: fs.ModeSymlink | 0o777, Target: "does/not/exist"})
	add(Entry{Path: "sym/abs", Mode: fs.ModeSymlink | 0o777, Target: "/etc/passwd"})
	add(Entry{Path: "sym/long", Mode: fs.ModeSymlink | 0o777, Target: strings.Repeat("x/", 2047) + "y"})
	add(Entry{Path: "dev/fifo", Mode: fs.ModeNamedPipe | 0o644})
	add(Entry{Path: "dev/sock", Mode: fs.ModeSocket | 0o755})
	add(Entry{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Major: 1, Minor: 3})
	add(Entry{Path: "dev/sda", Mode: fs.ModeDevice | 0o660, Gid: 6, Major: 8, Minor: 0})
	add(Entry{Path: "dev/huge", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, Major: 4095, Minor: 1048575})
	holey := text(3*bs, 9)
	clear(holey[bs : 2*bs])
	add(Entry{Path: "sparse/holey", Mode: 0o644, Data: holey})
	add(Entry{Path: "sparse/zeros", Mode: 0o644, Size: int64(2*bs + 5)})
	add(Entry{Path: "sparse/zeros-read", Mode: 0o644, Data: make([]byte, 2*bs+5)})
	add(Entry{Path: "sparse/small-zeros", Mode: 0o644, Size: 100})
	dup := text(300000, 10)
	add(Entry{Path: "dup/a", Mode: 0o644, Data: dup})
	add(Entry{Path: "dup/b", Mode: 0o600, Data: bytes.Clone(dup)})
	add(Entry{Path: "dup/s1", Mode: 0o644, Data: []byte("same small")})
	add(Entry{Path: "dup/s2", Mode: 0o644, Data: []byte("same small")})
	add(Entry{Path: "empty-dir", Mode: fs.ModeDir | 0o700, Mtime: 1})
	add(Entry{Path: "time/zero", Mode: 0o644, Mtime: -5, Data: []byte("t")})
	add(Entry{Path: "time/max", Mode: 0o644, Mtime: 1<<32 - 1, Data: []byte("t")})
	return t
}

// materialize creates the tree on the host under dir (as root).
func materialize(t *testing.T, tree *Tree, dir string) {
	t.Helper()
	type dirTime struct {
		p  string
		mt int64
	}
	var dirs []dirTime
	var links []*Entry
	err := tree.Walk(func(e *Entry) error {
		p := filepath.Join(dir, e.Path)
		if e.HardLink != "" {
			links = append(links, e)
			return nil
		}
		var err error
		switch e.Mode.Type() {
		case fs.ModeDir:
			if e.Path != "" {
				err = os.Mkdir(p, 0o700)
			}
			dirs = append(dirs, dirTime{p, e.Mtime})
		case 0:
			var f *os.File
			if f, err = os.Create(p); err != nil {
				return err
			}
			var rc io.ReadCloser
			if rc, err = e.open(); err == nil {
				_, err = io.Copy(f, rc)
				rc.Close()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		case fs.ModeSymlink:
			err = os.Symlink(e.Target, p)
		case fs.ModeNamedPipe:
			err = unix.Mkfifo(p, 0o600)
		case fs.ModeSocket:
			// mknod makes socket files too, with no 108-byte path limit.
			err = unix.Mknod(p, unix.S_IFSOCK|0o600, 0)
		default:
			typ := uint32(unix.S_IFBLK)
			if e.Mode&fs.ModeCharDevice != 0 {
				typ = unix.S_IFCHR
			}
			err = unix.Mknod(p, typ|0o600, int(unix.Mkdev(e.Major, e.Minor)))
		}
		if err != nil {
			return err
		}
		if err := os.Lchown(p, int(e.Uid), int(e.Gid)); err != nil {
			return err
		}
		if e.Mode.Type() != fs.ModeSymlink {
			m := uint32(e.Mode.Perm())
			if e.Mode&fs.ModeSetuid != 0 {
				m |= unix.S_ISUID
			}
			if e.Mode&fs.ModeSetgid != 0 {
				m |= unix.S_ISGID
			}
			if e.Mode&fs.ModeSticky != 0 {
				m |= unix.S_ISVTX
			}
			if err := unix.Fchmodat(unix.AT_FDCWD, p, m, 0); err != nil {
				return err
			}
		}
		if e.Mode.Type() != fs.ModeDir {
			ts := []unix.Timespec{{Sec: e.Mtime}, {Sec: e.Mtime}}
			return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(links) > 0 { // targets may come later in walk order, or be links
		var again []*Entry
		for _, e := range links {
			err := os.Link(filepath.Join(dir, e.HardLink), filepath.Join(dir, e.Path))
			if errors.Is(err, fs.ErrNotExist) {
				again = append(again, e)
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if len(again) == len(links) {
			t.Fatal("hard link cycle")
		}
		links = again
	}
	slices.Reverse(dirs)
	for _, d := range dirs {
		ts := []unix.Timespec{{Sec: d.mt}, {Sec: d.mt}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, d.p, ts, 0); err != nil {
			t.Fatal(err)
		}
	}
}

func imageSHA(t testing.TB, tree *Tree, o Options) ([sha256.Size]byte, []byte) {
	t.Helper()
	var b bytes.Buffer
	if _, err := Write(&b, tree, o); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b.Bytes()), b.Bytes()
}
