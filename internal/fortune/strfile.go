package fortune

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/moobox/moobox/internal/applet"
)

// strfileOptions are strfile's flags.
type strfileOptions struct {
	Delim      byte
	Order      bool // -o
	IgnoreCase bool // -i
	Random     bool // -r
	Rotated    bool // -x
	Seed       uint64
}

// strfileLineMax is the most bytes strfile reads as one "line": it reads
// with fgets into a 256-byte buffer, so a longer line is seen as several,
// and one of them may look like a delimiter. Indexes depend on it.
const strfileLineMax = 255

// Build indexes src as strfile does and returns the .dat image and the
// number of strings.
func Build(src []byte, o strfileOptions) (dat []byte, h header) {
	var (
		pts      = []uint32{0}
		firsts   []firstCh
		lastOff  = 0
		pos      = 0
		first    = o.Order
		buf      [257]byte // strfile's static line buffer, see firstAlnum
		lenIsSet bool
	)
	h = header{Version: datVersion, ShortLen: 0xffffffff, Delim: o.Delim}
	for {
		chunk, ok := fgetsAt(src, pos, strfileLineMax)
		if ok {
			pos += len(chunk)
			// fgets leaves the rest of the buffer as earlier lines left it.
			copy(buf[:], chunk)
			if len(chunk) < len(buf) {
				buf[len(chunk)] = 0
			}
		}
		if !ok || isDelimLine(chunk, o.Delim) {
			n := 0
			if ok {
				n = cstrlen(chunk)
			}
			length := pos - lastOff - n
			if length == 0 {
				// An empty string: the previous offset moves past it.
				if pos-lastOff == 2 {
					pts[len(pts)-1] = uint32(pos)
				}
				lastOff = pos
			} else {
				lastOff = pos
				pts = append(pts, uint32(pos))
				l := uint32(length)
				if !lenIsSet {
					h.LongLen, h.ShortLen, lenIsSet = l, l, true
				} else {
					h.LongLen = max(h.LongLen, l)
					h.ShortLen = min(h.ShortLen, l)
				}
				first = o.Order
			}
		} else if first {
			c := firstAlnum(&buf)
			if o.IgnoreCase && c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			firsts = append(firsts, firstCh{c: int(int8(c)), pos: pts[len(pts)-1]})
			first = false
		}
		if !ok {
			break
		}
	}
	n := len(pts) - 1
	if o.Order {
		// Each string got its first character when its first line was
		// read; strings are in file order, so firsts[i] is string i.
		firsts = firsts[:min(len(firsts), n)]
		s := &sorter{src: src, delim: o.Delim, fold: o.IgnoreCase}
		s.msort(firsts)
		for i, f := range firsts {
			pts[i] = f.pos
		}
		h.Flags |= flagOrdered
	} else if o.Random {
		// Like strfile, the shuffle includes the end offset.
		r := mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
		for i := range pts {
			j := i + r.IntN(len(pts)-i)
			pts[i], pts[j] = pts[j], pts[i]
		}
		h.Flags |= flagRandom
	}
	if o.Rotated {
		h.Flags |= flagRotated
	}
	h.NumStr = uint32(n)
	dat = appendHeader(make([]byte, 0, headerSize+4*len(pts)), h)
	for _, p := range pts {
		dat = binary.BigEndian.AppendUint32(dat, p)
	}
	return dat, h
}

// fgetsAt returns what fgets(buf, max+1, f) would read at pos: up to and
// including a newline, at most max bytes. ok is false at end of input.
func fgetsAt(src []byte, pos, max int) ([]byte, bool) {
	if pos >= len(src) {
		return nil, false
	}
	end := min(len(src), pos+max)
	for i := pos; i < end; i++ {
		if src[i] == '\n' {
			return src[pos : i+1], true
		}
	}
	return src[pos:end], true
}

// isDelimLine is fortune-mod's STR_ENDSTRING: the delimiter then a newline.
func isDelimLine(line []byte, delim byte) bool {
	return len(line) >= 2 && line[0] == delim && line[1] == '\n'
}

// cstrlen is strlen: a line with a NUL byte counts only up to it.
func cstrlen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

func isAlnum(c int) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// firstAlnum finds the first ASCII letter or digit in strfile's line
// buffer. Like strfile it does not stop at the end of the line: a line with
// none finds one in what earlier, longer lines left in the buffer. Past the
// buffer strfile reads unrelated memory; moobox takes 0 there.
func firstAlnum(buf *[257]byte) byte {
	for _, c := range buf {
		if isAlnum(int(c)) {
			return c
		}
	}
	return 0
}

type firstCh struct {
	c   int // signed, as strfile keeps it in a char
	pos uint32
}

// sorter orders strings as strfile -o does: by first alphanumeric
// character, then by the text from there to the delimiter, optionally
// ignoring case.
type sorter struct {
	src   []byte
	delim byte
	fold  bool
}

// getc returns the byte at p or -1 (EOF).
func (s *sorter) getc(p *int) int {
	if *p >= len(s.src) || *p < 0 {
		return -1
	}
	c := int(s.src[*p])
	*p++
	return c
}

func (s *sorter) cmp(a, b firstCh) int {
	c1, c2 := a.c, b.c
	if c1 != c2 {
		return c1 - c2
	}
	p1, p2 := int(a.pos), int(b.pos)
	n1, n2 := false, false
	for {
		c1 = s.getc(&p1)
		if isAlnum(c1) || c1 == 0 || c1 < 0 {
			break
		}
		n1 = c1 == '\n'
	}
	for {
		c2 = s.getc(&p2)
		if isAlnum(c2) || c2 == 0 || c2 < 0 {
			break
		}
		n2 = c2 == '\n'
	}
	d := int(s.delim)
	isEnd := func(c int, n bool) bool { return c == d && n }
	for !isEnd(c1, n1) && !isEnd(c2, n2) {
		if s.fold {
			c1, c2 = lower(c1), lower(c2)
		}
		if c1 != c2 {
			return c1 - c2
		}
		if c1 < 0 {
			// Both at end of file: equal. (strfile would spin here.)
			return 0
		}
		n1, n2 = c1 == '\n', c2 == '\n'
		c1, c2 = s.getc(&p1), s.getc(&p2)
	}
	if isEnd(c1, n1) {
		c1 = 0
	}
	if isEnd(c2, n2) {
		c2 = 0
	}
	return c1 - c2
}

func lower(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// msort is glibc's qsort for this size of data: a stable top-down merge
// sort. The same algorithm makes the same comparisons, so even strfile's
// inconsistent comparisons (strings without letters) give its order.
func (s *sorter) msort(v []firstCh) {
	if len(v) <= 1 {
		return
	}
	tmp := make([]firstCh, len(v))
	s.msortRec(v, tmp)
}

func (s *sorter) msortRec(v, tmp []firstCh) {
	n := len(v)
	if n <= 1 {
		return
	}
	n1 := n / 2
	s.msortRec(v[:n1], tmp)
	s.msortRec(v[n1:], tmp)
	a, b := v[:n1], v[n1:]
	k := 0
	for len(a) > 0 && len(b) > 0 {
		if s.cmp(a[0], b[0]) <= 0 {
			tmp[k] = a[0]
			a = a[1:]
		} else {
			tmp[k] = b[0]
			b = b[1:]
		}
		k++
	}
	k += copy(tmp[k:], a)
	copy(tmp[k:], b) // the rest of b is already in place
	copy(v, tmp[:k])
}

// StrfileMain runs strfile [-iorsx] [-c C] SOURCE [DATAFILE].
func StrfileMain(c *applet.Ctx) int {
	stdout := bufio.NewWriter(c.Stdout)
	defer stdout.Flush()
	usage := func() int {
		stdout.Flush()
		fmt.Fprintln(c.Stderr, "strfile [-iorsx] [-c char] sourcefile [datafile]")
		return 1
	}
	opts, args, ok := getopt(c.Args[0], c.Args[1:], "c:iorsx", c.Stderr)
	if !ok {
		return usage()
	}
	o := strfileOptions{Delim: '%'}
	silent := false
	for _, op := range opts {
		switch op.c {
		case 'c':
			d := byte(0)
			if op.arg != "" {
				d = op.arg[0]
			}
			o.Delim = d
			if d >= 0x80 {
				// strfile warns (on stdout, in this odd shape) and goes on.
				fmt.Fprintf(stdout, "bad delimiting character: '\\%o\n'", uint32(int32(int8(d))))
			}
		case 'i':
			o.IgnoreCase = true
		case 'o':
			o.Order = true
		case 'r':
			o.Random = true
		case 's':
			silent = true
		case 'x':
			o.Rotated = true
		}
	}
	if len(args) == 0 {
		fmt.Fprintln(stdout, "No input file name")
		return usage()
	}
	in := args[0]
	out := in + ".dat"
	if len(args) > 1 && args[1] != "" {
		out = args[1]
	}
	src, err := os.ReadFile(vfs{dir: c.Dir}.real(in))
	if errors.Is(err, syscall.EISDIR) {
		// strfile's fgets on a directory fails at once: an empty index.
		src, err = nil, nil
	}
	if err != nil {
		stdout.Flush()
		fmt.Fprintf(c.Stderr, "%s: %s\n", in, strerror(err))
		return 1
	}
	if o.Random {
		o.Seed = strfileSeed(c, src)
	}
	dat, h := Build(src, o)
	if err := writeFileAtomic(vfs{dir: c.Dir}.real(out), dat); err != nil {
		stdout.Flush()
		fmt.Fprintf(c.Stderr, "%s: %s\n", out, strerror(err))
		return 1
	}
	if !silent {
		fmt.Fprintf(stdout, "\"%s\" created\n", out)
		switch h.NumStr {
		case 0:
			fmt.Fprintln(stdout, "There was no string")
		case 1:
			fmt.Fprintln(stdout, "There was 1 string")
		default:
			fmt.Fprintf(stdout, "There were %d strings\n", h.NumStr)
		}
		if h.NumStr > 0 {
			fmt.Fprintf(stdout, "Longest string: %d byte%s\n", h.LongLen, plural(h.LongLen))
			fmt.Fprintf(stdout, "Shortest string: %d byte%s\n", h.ShortLen, plural(h.ShortLen))
		}
	}
	return 0
}

func plural(n uint32) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// strfileSeed seeds -r. Under SOURCE_DATE_EPOCH the shuffle depends only
// on that and the input, so rebuilding gives the same bytes; otherwise it
// is random, as strfile's time-and-pid seed is in practice.
func strfileSeed(c *applet.Ctx, src []byte) uint64 {
	if s, ok := c.LookupEnv("SOURCE_DATE_EPOCH"); ok {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			h := uint64(14695981039346656037)
			for _, b := range src {
				h = (h ^ uint64(b)) * 1099511628211
			}
			return v ^ h
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// writeFileAtomic leaves path as strfile's fopen(path, "w") would, but
// never half-written where it can help it. A new file, or an existing
// regular file that is ours alone (our owner, one link, a writable
// directory), is replaced by renaming a complete temporary file over it
// with the old file's mode and group. Any other existing regular file
// (another owner's, hard-linked, in a directory we cannot write) is
// truncated and rewritten in place as fopen does, so its owner, its
// other names and its inode stay; only there can a failed write leave
// it short. A symbolic link is followed and its target written so; a
// device or FIFO (/dev/null) is written in place; a directory, or a
// name ending in "/", is refused with EISDIR.
func writeFileAtomic(path string, data []byte) error {
	target := path
	mode := os.FileMode(0o644)
	gid := -1
	for links := 0; ; links++ {
		if strings.HasSuffix(target, "/") {
			return trailingSlashErr(target)
		}
		fi, err := os.Lstat(target)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				break // created, as fopen does at the end of a dangling link
			}
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if links >= 40 {
				return syscall.ELOOP
			}
			l, err := os.Readlink(target)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(l, "/") {
				// Not filepath.Join: cleaning "dir/.." would skip a link in dir.
				l = parentDir(target) + "/" + l
			}
			target = l
			continue
		}
		switch {
		case fi.IsDir():
			return syscall.EISDIR
		case !fi.Mode().IsRegular():
			return writeInPlace(target, data)
		}
		// fopen's own check: if we may not write the file, neither may
		// strfile, whatever the directory allows.
		// O_CREAT as fopen("w") has it: the kernel's protected_regular
		// check for sticky directories applies only to such opens.
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Nlink > 1 || int(st.Uid) != os.Geteuid() {
			return rewrite(f, data)
		}
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		gid = int(st.Gid)
		if tried, err := replace(target, data, mode, gid); !tried {
			return rewrite(f, data)
		} else if err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if _, err := replace(target, data, mode, gid); err != nil {
		// Report the target, as strfile's fopen would.
		if _, serr := os.Stat(parentDir(target)); serr != nil {
			return serr
		}
		return err
	}
	return nil
}

// noWriteDir reports whether err says the directory may not be written
// (rather than that it is full, or anything else).
func noWriteDir(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EROFS)
}

// replace writes data to a temporary file next to target and renames it
// over target, giving it gid (-1: any). It reports false, with nothing
// changed, when it cannot make the temporary file or give it that group:
// the caller may then write in place. The mode is set before the
// data is written, so that the write clears set-user-ID and set-group-ID
// bits exactly as the kernel clears them when strfile writes into the old
// file (kept for root, dropped for others).
func replace(target string, data []byte, mode os.FileMode, gid int) (bool, error) {
	// A short fixed prefix: the target's own name may be 255 bytes long.
	f, err := os.CreateTemp(parentDir(target), ".strfile*.tmp")
	if err != nil {
		// Only a directory we may not write sends the caller to write in
		// place; a full disk or inode table must leave the old file whole.
		return !noWriteDir(err), err
	}
	tmp := f.Name()
	fail := func(tried bool, err error) (bool, error) {
		f.Close()
		os.Remove(tmp)
		return tried, err
	}
	if gid >= 0 {
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
			return fail(true, err)
		}
		if int(st.Gid) != gid {
			if err := f.Chown(-1, gid); err != nil {
				return fail(!errors.Is(err, syscall.EPERM), err)
			}
		}
	}
	if err := f.Chmod(mode); err != nil {
		return fail(true, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(true, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return true, err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return true, err
	}
	return true, nil
}

// rewrite truncates the open file f and writes data into it.
func rewrite(f *os.File, data []byte) error {
	err := f.Truncate(0)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// trailingSlashErr is what open(p, O_CREAT) gives for a name ending in
// "/": the parent's error if it has one, else EISDIR.
func trailingSlashErr(p string) error {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return syscall.EISDIR
	}
	if fi, err := os.Stat(parentDir(p)); err != nil {
		return err
	} else if !fi.IsDir() {
		return syscall.ENOTDIR
	}
	return syscall.EISDIR
}

// parentDir is the directory part of p, uncleaned.
func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}

// writeInPlace writes data into an existing device or FIFO.
func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
