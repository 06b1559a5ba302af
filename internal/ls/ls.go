// Package ls is moobox's ls applet, laid out as Debian's busybox ls prints:
// the same columns, widths, sort order and error messages.
package ls

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/fsfmt"
	"github.com/moobox/moobox/internal/users"
)

const usage = `Usage: ls [-1AaCxdLHRFplinshrSXvctu] [-w WIDTH] [FILE]...

List FILEs, and the contents of directories (. by default)

	-1	One name per line
	-a	Show every name, dot files and . and .. too
	-A	Show dot files, but not . and ..
	-x	Columns filled across
	-d	Directories themselves, not their contents
	-L	Follow every symbolic link
	-H	Follow symbolic links named as operands
	-R	Descend into subdirectories
	-p	Mark directories with /
	-F	Mark types: / directory, * executable, @ link, | fifo, = socket
	-l	Long listing
	-i	Inode numbers
	-n	Numeric owners and groups (implies -l)
	-s	Allocated blocks (KiB)
	-lc	Show the change time
	-lu	Show the access time
	--full-time	Show complete dates and times
	-h	Sizes in K, M, G...
	--group-directories-first
	-S	By size, largest first
	-X	By extension
	-v	By version (numbers in names compare as numbers)
	-t	By modification time, newest first
	-tc	By change time
	-tu	By access time
	-r	Reverse the order
	-w N	Assume a line N columns wide
	--color[={always,never,auto}]
`

// Keys of the long-only options.
const (
	optFullTime  = 0x80
	optDirsFirst = 0x81
	optColor     = 0x82
)

var spec = bbopt.Spec{
	Short: "1AaCxdLHRFplinshrSXvctuw:",
	Long: []Long{
		{Name: "full-time", Key: optFullTime},
		{Name: "group-directories-first", Key: optDirsFirst},
		{Name: "color", Arg: bbopt.Optional, Key: optColor},
	},
	Usage: usage,
}

// Long is bbopt.Long; aliased to keep the table above short.
type Long = bbopt.Long

// flags is the resolved option set.
type flags struct {
	all, almost, one, cols, across, dir, follow, followArgs, recurse bool
	slash, classify, long, inode, numeric, blocks, human, reverse    bool
	bySize, byExt, byVersion, byTime, ctime, atime, fullTime         bool
	dirsFirst, color, unicode                                        bool
	width                                                            int
}

// node is one file to show: the stat fields ls uses.
type node struct {
	name      string // as shown
	full      string // as given or built (printed in headers, errors)
	mode      uint32
	modeLstat uint32
	modeStat  uint32
	size      int64
	time      int64
	ino       uint64
	blocks    int64
	nlink     uint64
	uid, gid  uint32
	rdev      uint64
}

type lister struct {
	c       *applet.Ctx
	f       flags
	w       *bufio.Writer
	rc      int
	now     int64
	loc     *time.Location
	db      users.DB
	line    []byte
	showDir bool
}

// Main is the ls applet.
func Main(c *applet.Ctx) int {
	if bbopt.Help(c, &spec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &spec)
	if !ok {
		return 1
	}
	f, ok := resolve(c, o)
	if !ok {
		return 1
	}
	tz, tzSet := c.LookupEnv("TZ")
	l := &lister{
		c:   c,
		f:   f,
		w:   bufio.NewWriterSize(c.Stdout, 64<<10),
		now: time.Now().Unix(),
		loc: fsfmt.Location(tz, tzSet),
	}
	l.run(args)
	if err := l.w.Flush(); err != nil {
		if !bbopt.IsEPIPE(err) {
			bbopt.Errorf(c, "write error: %s", bbopt.ErrText(err))
		}
		return 1
	}
	return l.rc
}

// resolve applies busybox's option interplay: the last of -C/-x/-l/-1,
// of -t/-S, of -c/-u and of -H/-L wins; -n and --full-time imply -l.
func resolve(c *applet.Ctx, o *bbopt.Opts) (flags, bool) {
	var f flags
	for _, k := range o.Order {
		switch k {
		case 'l', 'n', optFullTime:
			f.long, f.cols, f.across = true, false, false
		case 'C':
			f.cols, f.across, f.long, f.one = true, false, false, false
		case 'x':
			f.across, f.cols, f.long, f.one = true, false, false, false
		case '1':
			f.one, f.cols, f.across = true, false, false
		case 't':
			f.byTime, f.bySize = true, false
		case 'S':
			f.bySize, f.byTime = true, false
		case 'c':
			f.ctime, f.atime = true, false
		case 'u':
			f.atime, f.ctime = true, false
		case 'H':
			f.followArgs, f.follow = true, false
		case 'L':
			f.follow, f.followArgs = true, false
		}
	}
	f.all = o.Has('a')
	f.almost = o.Has('A')
	f.dir = o.Has('d')
	f.recurse = o.Has('R') && !f.dir
	f.slash = o.Has('p')
	f.classify = o.Has('F')
	f.inode = o.Has('i')
	f.numeric = o.Has('n')
	f.blocks = o.Has('s')
	f.human = o.Has('h')
	f.reverse = o.Has('r')
	f.byExt = o.Has('X')
	f.byVersion = o.Has('v')
	f.fullTime = o.Has(optFullTime)
	f.dirsFirst = o.Has(optDirsFirst)
	if !f.long && (f.ctime || f.atime) {
		// Without -l, bare -c or -u sort by that time.
		f.byTime = true
	}
	if !f.long && !f.one && !f.cols && !f.across {
		if applet.IsTerminal(c.Stdout) {
			f.cols = true
		} else {
			f.one = true
		}
	}
	f.width = termWidth(c) - 1
	if o.Has('w') {
		n, err := strconv.Atoi(o.Val('w', ""))
		if err != nil || n < 0 {
			bbopt.Errorf(c, "invalid number '%s'", o.Val('w', ""))
			return f, false
		}
		f.width = n
	}
	// Colour by default only on a terminal, and not when LS_COLORS says
	// "none" or is empty.
	if applet.IsTerminal(c.Stdout) {
		if v, ok := c.LookupEnv("LS_COLORS"); !ok || (v != "" && v != "none") {
			f.color = true
		}
	}
	if o.Has(optColor) {
		v := o.Val(optColor, "always")
		switch {
		case strings.HasPrefix(v, "n"):
			f.color = false
		case v != "" && (strings.HasPrefix("always", v) || strings.HasPrefix("yes", v) || strings.HasPrefix("force", v)):
			f.color = true
		case v != "" && (strings.HasPrefix("auto", v) || strings.HasPrefix("tty", v) || strings.HasPrefix("if-tty", v)):
			f.color = applet.IsTerminal(c.Stdout)
		default:
			bbopt.Errorf(c, "invalid argument '%s' for '--color'", v)
			return f, false
		}
	}
	f.unicode = unicodeEnv(c)
	return f, true
}

// unicodeEnv mirrors busybox's check of the locale variables: names are
// shown as UTF-8 only when the locale says so; otherwise bytes outside
// ASCII print as '?'.
func unicodeEnv(c *applet.Ctx) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v, ok := c.LookupEnv(k); ok && v != "" {
			return strings.Contains(strings.ToLower(v), "utf")
		}
	}
	return false
}

// termWidth is the width of the terminal on stdin (as busybox asks),
// overridden by $COLUMNS, else 80.
func termWidth(c *applet.Ctx) int {
	w := 0
	if f, ok := c.Stdin.(*os.File); ok {
		if cw, _, err := term.GetSize(int(f.Fd())); err == nil {
			w = cw
		}
	}
	if s, ok := c.LookupEnv("COLUMNS"); ok {
		w, _ = strconv.Atoi(s)
	}
	if w <= 1 || w >= 30000 {
		w = 80
	}
	return w
}

func (l *lister) run(args []string) {
	if len(args) == 0 {
		args = []string{"."}
	}
	l.showDir = len(args) > 1
	var nodes []*node
	for _, a := range args {
		// Links named on the command line are followed unless -l, -s or
		// -F (or with -H/-L).
		follow := !(l.f.long || l.f.blocks || l.f.classify) || l.f.followArgs
		if n := l.stat(a, a, follow); n != nil {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return
	}
	// busybox builds the list by prepending; the sort makes order moot.
	if l.f.dir {
		l.sortNodes(nodes)
		l.display(nodes)
		return
	}
	var files, dirs []*node
	for _, n := range nodes {
		if n.mode&fsfmt.IFMT == fsfmt.IFDIR {
			dirs = append(dirs, n)
		} else {
			files = append(files, n)
		}
	}
	if len(files) > 0 {
		l.sortNodes(files)
		l.display(files)
	}
	if len(dirs) > 0 {
		l.sortNodes(dirs)
		l.dirs(dirs, len(files) == 0)
	}
}

func (l *lister) errorf(format string, a ...any) {
	// Keep stdout and stderr in the order a user would see them.
	l.w.Flush()
	bbopt.Errorf(l.c, format, a...)
	l.rc = 1
}

// stat fills a node for full (shown as name).
func (l *lister) stat(full, name string, follow bool) *node {
	var st unix.Stat_t
	p := l.c.Path(full)
	var err error
	if l.f.follow || follow {
		err = unix.Stat(p, &st)
	} else {
		err = unix.Lstat(p, &st)
	}
	if err != nil {
		l.errorf("%s: %s", full, bbopt.ErrText(err))
		return nil
	}
	n := fill(&st, full, name)
	if l.f.follow || follow {
		n.modeStat = st.Mode
	} else {
		n.modeLstat = st.Mode
	}
	n.time = l.pickTime(&st)
	return n
}

func fill(st *unix.Stat_t, full, name string) *node {
	return &node{
		name:   name,
		full:   full,
		mode:   st.Mode,
		size:   st.Size,
		ino:    st.Ino,
		blocks: st.Blocks,
		nlink:  uint64(st.Nlink),
		uid:    st.Uid,
		gid:    st.Gid,
		rdev:   uint64(st.Rdev),
	}
}

func (l *lister) pickTime(st *unix.Stat_t) int64 {
	switch {
	case l.f.ctime:
		return int64(st.Ctim.Sec)
	case l.f.atime:
		return int64(st.Atim.Sec)
	}
	return int64(st.Mtim.Sec)
}

// concat joins a directory and a name as busybox's concat_path_file: no
// doubled slash when dir already ends in one.
func concat(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// scan reads one directory. Entries are stat'ed relative to the open
// directory, which saves resolving the path again for every file.
func (l *lister) scan(path string) ([]*node, bool) {
	d, err := os.Open(l.c.Path(path))
	if err != nil {
		l.errorf("can't open '%s': %s", path, bbopt.ErrText(err))
		return nil, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		l.errorf("can't open '%s': %s", path, bbopt.ErrText(err))
		return nil, false
	}
	fd := int(d.Fd())
	flag := unix.AT_SYMLINK_NOFOLLOW
	if l.f.follow {
		flag = 0
	}
	// os.File.Readdirnames drops "." and ".."; busybox shows them with -a.
	if l.f.all {
		names = append(names, ".", "..")
	}
	nodes := make([]*node, 0, len(names))
	store := make([]node, len(names))
	for i, name := range names {
		if name[0] == '.' && !l.f.all && !l.f.almost {
			continue
		}
		full := concat(path, name)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, flag); err != nil {
			l.errorf("%s: %s", full, bbopt.ErrText(err))
			continue
		}
		n := &store[i]
		*n = node{
			name: name, full: full, mode: st.Mode, size: st.Size, ino: st.Ino,
			blocks: st.Blocks, nlink: uint64(st.Nlink), uid: st.Uid, gid: st.Gid,
			rdev: uint64(st.Rdev), time: l.pickTime(&st),
		}
		if l.f.follow {
			n.modeStat = st.Mode
		} else {
			n.modeLstat = st.Mode
		}
		nodes = append(nodes, n)
	}
	return nodes, true
}

func isDotName(s string) bool { return s == "." || s == ".." }

func (l *lister) dirs(dirs []*node, first bool) {
	for _, d := range dirs {
		if l.showDir || l.f.recurse {
			if !first {
				l.w.WriteByte('\n')
			}
			first = false
			l.w.WriteString(d.full)
			l.w.WriteString(":\n")
		}
		sub, _ := l.scan(d.full)
		if l.f.long || l.f.blocks {
			var b uint64 = 1
			for _, n := range sub {
				b += uint64(n.blocks)
			}
			b >>= 1
			if l.f.human {
				h := fsfmt.Human(b*1024, 0, 0)
				l.w.WriteString("total " + h + strings.Repeat(" ", max(0, 7-len(h))) + "\n")
			} else {
				l.w.WriteString("total " + strconv.FormatUint(b, 10) + "\n")
			}
		}
		if len(sub) == 0 {
			continue
		}
		l.sortNodes(sub)
		l.display(sub)
		if l.f.recurse {
			var subdirs []*node
			for _, n := range sub {
				if n.mode&fsfmt.IFMT == fsfmt.IFDIR && !isDotName(n.name) {
					subdirs = append(subdirs, n)
				}
			}
			if len(subdirs) > 0 {
				l.sortNodes(subdirs)
				l.dirs(subdirs, false)
			}
		}
	}
}

func (l *lister) sortNodes(ns []*node) {
	f := &l.f
	cmp := func(a, b *node) int {
		if f.dirsFirst {
			da := a.mode&fsfmt.IFMT == fsfmt.IFDIR
			db := b.mode&fsfmt.IFMT == fsfmt.IFDIR
			if da != db {
				if db {
					return 1
				}
				return -1
			}
		}
		d := 0
		switch {
		case f.bySize:
			d = sign(b.size - a.size)
		case f.byTime:
			d = sign(b.time - a.time)
		case f.byVersion:
			d = verscmp(a.name, b.name)
		case f.byExt:
			d = strings.Compare(ext(a.name), ext(b.name))
		}
		if d == 0 {
			d = strings.Compare(a.name, b.name)
		}
		return d
	}
	sort.Slice(ns, func(i, j int) bool {
		d := cmp(ns[i], ns[j])
		if f.reverse {
			return d > 0
		}
		return d < 0
	})
}

func sign(d int64) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

// ext is the name from its first dot on, as busybox's -X compares.
func ext(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[i:]
	}
	return ""
}

// verscmp orders names with embedded numbers numerically (a simplified
// strverscmp: digit runs compare by value, then by length).
func verscmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return sign(int64(len(na) - len(nb)))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			if c := sign(int64((j - sj) - (i - si))); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			return sign(int64(ca) - int64(cb))
		}
		i++
		j++
	}
	return sign(int64(len(a)-i) - int64(len(b)-j))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// printable replaces what a terminal must not see with '?': control
// bytes always, and non-ASCII unless the locale is UTF-8 (then only
// invalid sequences). It returns the text and its width in columns.
func (l *lister) printable(s string) (string, int) {
	simple := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		return s, len(s)
	}
	var b strings.Builder
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c < 0x20 || c == 0x7f {
				c = '?'
			}
			b.WriteByte(c)
			i++
			w++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !l.f.unicode || r == utf8.RuneError || r < 0xa0 {
			b.WriteByte('?')
			i++
			w++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
		w++
	}
	return b.String(), w
}

func (l *lister) display(ns []*node) {
	ncols := 1
	colw := 0
	if l.f.cols || l.f.across {
		for _, n := range ns {
			if _, w := l.printable(n.name); w > colw {
				colw = w
			}
		}
		colw += 2
		if l.f.inode {
			colw += 8
		}
		if l.f.blocks {
			colw += 5
		}
		ncols = l.f.width / colw
	}
	nrows := len(ns)
	if ncols > 1 {
		nrows = (len(ns) + ncols - 1) / ncols
	} else {
		ncols = 1
	}
	for row := 0; row < nrows; row++ {
		column, nexttab := 0, 0
		for nc := 0; nc < ncols; nc++ {
			var i int
			if l.f.across {
				i = row*ncols + nc
			} else {
				i = nc*nrows + row
			}
			if i >= len(ns) {
				continue
			}
			if column > 0 {
				pad := nexttab - column
				for k := 0; k < pad; k++ {
					l.w.WriteByte(' ')
				}
				column += pad
			}
			nexttab = column + colw
			column += l.single(ns[i])
		}
		l.w.WriteByte('\n')
	}
}

func padLeft(b []byte, s string, w int) []byte {
	for k := len(s); k < w; k++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func padRight(b []byte, s string, w int) []byte {
	b = append(b, s...)
	for k := len(s); k < w; k++ {
		b = append(b, ' ')
	}
	return b
}

func (l *lister) uname(uid uint32) string { return l.db.UserName(uid) }

func (l *lister) gname(gid uint32) string { return l.db.GroupName(gid) }

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// appendChar is the -F/-p indicator for a mode.
func (l *lister) appendChar(mode uint32) byte {
	if !l.f.classify && !l.f.slash {
		return 0
	}
	t := mode & fsfmt.IFMT
	if t == fsfmt.IFDIR {
		return '/'
	}
	if !l.f.classify {
		return 0
	}
	if t == fsfmt.IFREG && mode&0o111 != 0 {
		return '*'
	}
	switch t {
	case fsfmt.IFIFO:
		return '|'
	case fsfmt.IFLNK:
		return '@'
	case fsfmt.IFSOCK:
		return '='
	}
	return 0
}

// colour returns busybox's bold attribute and colour for a mode.
func colour(mode uint32) (int, int) {
	t := (mode >> 12) & 15
	if mode&fsfmt.IFMT == fsfmt.IFREG && mode&0o111 != 0 {
		t = 15
	}
	const colors = "\037\043\043\045\042\045\043\043\000\045\044\045\043\045\045\040"
	const attrs = "\001\000\001\007\001\007\001\007\000\007\001\007\001\007\007\001"
	return int(attrs[t]), int(colors[t])
}

func (l *lister) colourOn(b []byte, mode uint32) []byte {
	a, c := colour(mode)
	b = append(b, "\033["...)
	b = strconv.AppendInt(b, int64(a), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(c), 10)
	return append(b, 'm')
}

// single writes one entry and returns the columns it used.
func (l *lister) single(n *node) int {
	f := &l.f
	b := l.line[:0]
	app := l.appendChar(n.mode)
	var target string
	hasTarget := false
	if f.long && n.mode&fsfmt.IFMT == fsfmt.IFLNK {
		t, err := os.Readlink(l.c.Path(n.full))
		if err != nil {
			l.errorf("%s: cannot read link: %s", n.full, bbopt.ErrText(err))
		} else {
			target, hasTarget = t, true
		}
	}
	if f.inode {
		b = padLeft(b, strconv.FormatUint(n.ino, 10), 7)
		b = append(b, ' ')
	}
	if f.blocks {
		b = padLeft(b, strconv.FormatInt(n.blocks>>1, 10), 6)
		b = append(b, ' ')
	}
	if f.long {
		b = append(b, fsfmt.ModeString(n.mode)...)
		b = append(b, ' ')
		b = padLeft(b, strconv.FormatUint(n.nlink, 10), 4)
		b = append(b, ' ')
		if f.numeric {
			b = padRight(b, strconv.FormatUint(uint64(n.uid), 10), 8)
			b = append(b, ' ')
			b = padRight(b, strconv.FormatUint(uint64(n.gid), 10), 8)
		} else {
			b = padRight(b, trunc(l.uname(n.uid), 8), 8)
			b = append(b, ' ')
			b = padRight(b, trunc(l.gname(n.gid), 8), 8)
		}
		b = append(b, ' ')
		if t := n.mode & fsfmt.IFMT; t == fsfmt.IFBLK || t == fsfmt.IFCHR {
			b = padLeft(b, strconv.FormatUint(uint64(unix.Major(n.rdev)), 10), 4)
			b = append(b, ", "...)
			b = padLeft(b, strconv.FormatUint(uint64(unix.Minor(n.rdev)), 10), 3)
		} else if f.human {
			b = padLeft(b, fsfmt.Human(uint64(n.size), 1, 0), 7)
		} else {
			b = padLeft(b, strconv.FormatInt(n.size, 10), 9)
		}
		b = append(b, ' ')
		b = l.appendTime(b, n.time)
	}
	column := len(b)
	if f.color {
		mode := n.modeLstat
		if mode == 0 {
			var st unix.Stat_t
			if unix.Lstat(l.c.Path(n.full), &st) == nil {
				mode = st.Mode
			}
		}
		b = l.colourOn(b, mode)
	}
	name, w := l.printable(n.name)
	b = append(b, name...)
	column += w
	if f.color {
		b = append(b, "\033[m"...)
	}
	if hasTarget {
		b = append(b, " -> "...)
		if f.classify || f.slash || f.color {
			mode := n.modeStat
			if mode == 0 {
				var st unix.Stat_t
				if unix.Stat(l.c.Path(n.full), &st) == nil {
					mode = st.Mode
				}
			}
			app = l.appendChar(mode)
			if f.color {
				b = l.colourOn(b, mode)
			}
		}
		tn, tw := l.printable(target)
		b = append(b, tn...)
		column += tw + 4
		if f.color {
			b = append(b, "\033[m"...)
		}
	}
	if app != 0 {
		b = append(b, app)
		column++
	}
	l.w.Write(b)
	l.line = b
	return column
}

var monthNames = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendTime writes "Mon dd hh:mm " for files less than half a year old
// and "Mon dd  yyyy " otherwise, as busybox cuts up ctime(3).
func (l *lister) appendTime(b []byte, sec int64) []byte {
	t := time.Unix(sec, 0).In(l.loc)
	if l.f.fullTime {
		b = t.AppendFormat(b, "2006-01-02 15:04:05 -0700")
		return append(b, ' ')
	}
	b = append(b, monthNames[t.Month()-1]...)
	b = append(b, ' ')
	b = padLeft(b, strconv.Itoa(t.Day()), 2)
	b = append(b, ' ')
	age := l.now - sec
	if age < 3600*24*365/2 && age > -15*60 {
		b = append(b, byte('0'+t.Hour()/10), byte('0'+t.Hour()%10), ':', byte('0'+t.Minute()/10), byte('0'+t.Minute()%10))
		return append(b, ' ')
	}
	y := strconv.Itoa(t.Year()) + " "
	return padLeft(b, y, 6)
}
