// Package fortune implements fortune, strfile and unstr, compatible with
// Debian's fortune-mod 1:1.99.1.
//
// Deliberate differences from the original:
//   - Text of a file with a .u8 twin is printed unchanged under a UTF-8
//     locale and converted as librecode 3.6 converts UTF-8 to ISO-8859-1
//     otherwise (C, POSIX, or a locale glibc cannot load), byte for byte.
//     A locale whose name carries no codeset (de_DE) or a codeset other
//     than UTF-8 is taken to be ISO-8859-1: fortune-mod would recode to
//     that locale's real codeset (ISO-8859-15, KOI8-R, EUC-JP, ...).
//   - strfile and unstr write a new output file, or replace an existing
//     one that is ours alone (our owner, one link, a directory we can
//     write), by renaming a complete file over it, so a failure never
//     leaves it half-written. The replacement keeps the old mode and
//     group, its set-user-ID and set-group-ID bits cleared as the kernel
//     clears them when the original writes into the file (kept for root);
//     it loses ACLs and extended attributes, and other processes holding
//     the old file open keep the old index. A new file is 0644 whatever
//     the umask, since reading the umask would change it for every applet
//     in the process. Any other existing file (another user's, hard-linked,
//     in a directory we cannot write) is truncated and rewritten in place
//     as fopen does, and only there can a failed write leave it short.
//     Links are followed and devices or FIFOs written in place, as fopen
//     does; paths are used as given, never cleaned.
//   - An index whose chosen offset lies past the end of its text or not
//     just after a delimiter line (a damaged index, or another file's)
//     makes fortune say "fortune: FILE corrupted" and exit 1, where
//     fortune-mod prints nothing or a piece of a fortune and exits 0.
//     Only the offsets actually used are checked, so this costs nothing.
//   - unstr works (Debian's 1.99.1 always stops with "data file
//     corrupted"); as unstr.c would, it glues the delimiter to a last
//     line that has no newline.
package fortune

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moobox/moobox/internal/applet"
)

const (
	fortDir    = "/usr/share/games/fortunes"
	locFortDir = "/usr/local/share/games/fortunes"
	offSuffix  = "/off"
	noProb     = -1
	version    = "fortune-mod version 9708"
	usageLine  = "fortune [-afilosw] [-m pattern] [-n number] [ [#%] file/directory/all]"
	lineMax    = 8191 // fortune's fgets buffer (BUFSIZ) less the NUL
	minWait    = 6    // -w waits at least this many seconds...
	charsPerS  = 20   // ...or one second per this many characters
)

// fileDesc is one entry of fortune's file list: a fortune file or a
// directory of them.
type fileDesc struct {
	percent  int
	name     string // as listed by -f and -c
	path     string
	datfile  string
	tbl      header
	readTbl  bool
	dat      []byte // the whole index, once read
	children []*fileDesc
	parent   *fileDesc
	utf8     bool // a NAME.u8 file exists: fortune recodes the text
	pos      int64
	text     []byte // the whole text, for -m and ordered files
}

// state is one run of fortune.
type state struct {
	c       *applet.Ctx
	fs      vfs
	stdout  *bufio.Writer
	stderr  *bufio.Writer
	errno   syscall.Errno // what perror would print, see perror
	envLang string
	hasLang bool

	all, offend, equal, find, showName, noRecode bool
	short, long, wait                            bool
	slen                                         int

	dirs    []string // system fortune directories (FORTUNE_PATH)
	locDir  string   // the local one, "" when FORTUNE_PATH is set
	list    []*fileDesc
	specPct int
	noprob  header
	errMsg  bool
	rng     *mrand.Rand
	codeset int           // 0 not looked at yet, 1 UTF-8, 2 ISO-8859-1
	pause   time.Duration // -w: how long to wait after the fortune
}

// Main runs fortune.
func Main(c *applet.Ctx) int {
	st := newState(c)
	code := st.run()
	st.stdout.Flush()
	st.stderr.Flush()
	if code == 0 && st.pause > 0 {
		time.Sleep(st.pause)
	}
	return code
}

func newState(c *applet.Ctx) *state {
	return &state{
		c:      c,
		fs:     vfs{dir: c.Dir},
		stdout: bufio.NewWriter(c.Stdout),
		stderr: bufio.NewWriter(c.Stderr),
		slen:   160,
	}
}

// perror prints what C's perror(s) would. fortune-mod calls it with errno
// left by earlier failed look-ups (or by perror itself, which leaves
// EINVAL behind in glibc), and moobox tracks that to print the same.
func (st *state) perror(s string) {
	fmt.Fprintf(st.stderr, "%s: %s\n", s, errnoText(st.errno))
	st.errno = syscall.EINVAL
}

func (st *state) run() int {
	c := st.c
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"} {
		if v, ok := c.LookupEnv(k); ok {
			st.envLang, st.hasLang = v, true
			break
		}
	}
	if p := c.Getenv("FORTUNE_PATH"); p != "" {
		for _, d := range strings.Split(p, ":") {
			if d != "" {
				st.dirs = append(st.dirs, strings.TrimRight(d, "/"))
			}
		}
	}
	if len(st.dirs) == 0 {
		st.dirs = []string{fortDir}
		st.locDir = locFortDir
	}
	opts, args, ok := getopt(c.Args[0], c.Args[1:], "acefilm:n:osuvw", st.stderr)
	if !ok {
		return st.usage()
	}
	var pat []byte
	match, icase := false, false
	for _, o := range opts {
		switch o.c {
		case 'a':
			st.all = true
		case 'c':
			st.showName = true
		case 'e':
			st.equal = true
		case 'f':
			st.find = true
		case 'i':
			icase = true
		case 'l':
			st.long, st.short = true, false
		case 's':
			st.short, st.long = true, false
		case 'm':
			match, pat = true, []byte(o.arg)
		case 'n':
			// fortune-mod takes atoi's 0 for a bad number and then, with
			// -s, loops forever; moobox refuses it.
			n, err := strconv.Atoi(o.arg)
			if err != nil {
				fmt.Fprintf(st.stderr, "fortune: invalid number for -n: %q\n", o.arg)
				return 1
			}
			st.slen = n
		case 'o':
			st.offend = true
		case 'u':
			st.noRecode = true
		case 'v':
			fmt.Fprintln(st.stdout, version)
			return 0
		case 'w':
			st.wait = true
		}
	}
	if !st.formFileList(args) {
		if !st.errMsg {
			fmt.Fprintln(st.stderr, "No fortunes found")
		}
		return 1
	}
	var m *byteMatcher
	if match {
		if icase {
			pat = convPat(pat)
		}
		var err error
		m, err = compilePattern(pat)
		if err == errBackref {
			fmt.Fprintf(st.stderr, "fortune: %s: back-references are not supported\n", pat)
			return 1
		}
		if err != nil {
			fmt.Fprintf(st.stderr, "bad pattern: %s\n", pat)
			return 1
		}
	}
	if m != nil {
		found, err := st.findMatches(m)
		if err != 0 {
			return err
		}
		if found {
			return 1 // sic: fortune-mod exits 1 when something matched
		}
		return 0
	}
	if code := st.initProb(); code != 0 {
		return code
	}
	if st.find {
		if code := st.sumNoprobs(); code != 0 {
			return code
		}
		nfiles, nkids := 0, 0
		for _, fp := range st.list {
			nfiles++
			nkids += len(fp.children)
		}
		st.printList(st.list, 0, nfiles, nkids)
		return 0
	}
	st.rng = newRand(c)
	return st.randomFortune()
}

func (st *state) usage() int {
	fmt.Fprintln(st.stderr, version)
	fmt.Fprintln(st.stderr, usageLine)
	return 1
}

// newRand seeds the choice: MOOBOX_SEED makes it reproducible.
func newRand(c *applet.Ctx) *mrand.Rand {
	var seed uint64
	if s, ok := c.LookupEnv("MOOBOX_SEED"); ok {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			seed = v
		} else {
			h := fnv.New64a()
			h.Write([]byte(s))
			seed = h.Sum64()
		}
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	return mrand.New(mrand.NewPCG(seed, 0x6d6f6f626f78))
}

func (st *state) random(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return st.rng.Uint64N(n)
}

func isAbs(p string) bool { return strings.HasPrefix(p, "/") || isEmbed(p) }

// addFile is fortune-mod's add_file: it adds FILE (under DIR when given)
// to the list at head, or to parent's children.
func (st *state) addFile(percent int, file, dir string, parent *fileDesc) bool {
	path := file
	if dir != "" {
		path = dir + "/" + file
	}
	// A relative path that does not exist is not a directory; the open
	// below fails and says so. An absolute one is quietly skipped.
	isDir, err := st.fs.stat(path)
	if err != nil {
		st.errno = err.(syscall.Errno)
		if isAbs(path) {
			return false
		}
	}
	if isDir && parent != nil {
		return false // directories are not recursed
	}
	if err := st.fs.canRead(path); err != nil || !isAbs(path) {
		if err != nil {
			st.errno = err.(syscall.Errno)
		}
		if parent == nil && dir == "" && !st.quietLang(path) {
			st.perror(path)
		}
		return false
	}
	fp := &fileDesc{percent: percent, name: file, path: path, parent: parent, pos: -1}
	if _, err := st.fs.stat(path + ".u8"); err == nil {
		fp.utf8 = true
	} else {
		st.errno = err.(syscall.Errno)
	}
	ok := false
	if isDir {
		ok = st.addDir(fp)
	} else {
		ok = st.isFortFile(fp)
	}
	if !ok {
		if parent == nil {
			fmt.Fprintf(st.stderr, "fortune:%s not a fortune file or directory\n", path)
		}
		return false
	}
	if isDir && len(fp.children) == 0 {
		return true // an allowed empty directory (the local ones)
	}
	if parent != nil {
		parent.children = append(parent.children, fp)
	} else if len(st.list) == 0 || percent == noProb {
		st.list = append(st.list, fp)
	} else {
		st.list = append([]*fileDesc{fp}, st.list...)
	}
	return true
}

// quietLang is fortune-mod's exception for relative names that look like
// language directories: it does not complain about those.
func (st *state) quietLang(path string) bool {
	if !st.hasLang {
		return false
	}
	for _, lang := range strings.Split(st.envLang, ":") {
		if lang == "" {
			break
		}
		langdir := st.dirs[0] + "/" + lang
		if strncmpEq(path, lang, 2) || strncmpEq(path, langdir, len(st.dirs[0])+3) {
			return true
		}
	}
	return false
}

// strncmpEq is strncmp(a, b, n) == 0.
func strncmpEq(a, b string, n int) bool {
	for i := 0; i < n; i++ {
		var ca, cb byte
		if i < len(a) {
			ca = a[i]
		}
		if i < len(b) {
			cb = b[i]
		}
		if ca != cb {
			return false
		}
		if ca == 0 {
			return true
		}
	}
	return true
}

var badSuffixes = []string{"dat", "pos", "c", "h", "p", "i", "f", "pas", "ftn", "ins.c", "ins,pas", "ins.ftn", "sml"}

// isFortFile accepts a file whose name does not start with a dot nor end
// in a source or index suffix and which has a readable .dat.
func (st *state) isFortFile(fp *fileDesc) bool {
	base := fp.path[strings.LastIndexByte(fp.path, '/')+1:]
	if strings.HasPrefix(base, ".") {
		return false
	}
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		suf := base[i+1:]
		for _, s := range badSuffixes {
			if suf == s {
				return false
			}
		}
	}
	dat := fp.path + ".dat"
	if err := st.fs.canRead(dat); err != nil {
		st.errno = err.(syscall.Errno)
		return false
	}
	fp.datfile = dat
	return true
}

func (st *state) addDir(fp *fileDesc) bool {
	names, err := st.fs.readDir(fp.path)
	if err != nil {
		st.errno = err.(syscall.Errno)
		st.perror(fp.path)
		return false
	}
	for _, n := range names {
		if n != "" {
			st.addFile(noProb, n, fp.path, fp)
		}
	}
	if len(fp.children) == 0 {
		if fp.path == locFortDir || fp.path == locFortDir+offSuffix {
			return true
		}
		fmt.Fprintf(st.stderr, "fortune: %s: No fortune files in directory.\n", fp.path)
		return false
	}
	return true
}

// anyDirExists reports whether one of the system fortune directories
// exists; when none does, fortune falls back to the embedded fortunes.
func (st *state) anyDirExists() bool {
	for _, d := range append(append([]string(nil), st.dirs...), st.locDir) {
		if d == "" {
			continue
		}
		if _, err := st.fs.stat(d); err == nil {
			return true
		}
	}
	return false
}

func (st *state) formFileList(files []string) bool {
	if len(files) == 0 {
		ok := false
		switch {
		case st.all:
			if st.locDir != "" {
				ok = st.addFile(noProb, st.locDir, "", nil) || ok
				ok = st.addFile(noProb, st.locDir+offSuffix, "", nil) || ok
			}
			for _, d := range st.dirs {
				ok = st.addFile(noProb, d, "", nil) || ok
				ok = st.addFile(noProb, d+offSuffix, "", nil) || ok
			}
		case st.offend:
			if st.locDir != "" {
				ok = st.addFile(noProb, st.locDir+offSuffix, "", nil) || ok
			}
			for _, d := range st.dirs {
				ok = st.addFile(noProb, d+offSuffix, "", nil) || ok
			}
		default:
			if st.hasLang {
				for _, lang := range strings.Split(st.envLang, ":") {
					if lang == "" {
						break
					}
					for _, d := range st.dirs {
						if st.addLangDir(lang, d) {
							return true
						}
					}
				}
			}
			if st.locDir != "" {
				ok = st.addFile(noProb, st.locDir, "", nil) || ok
			}
			for _, d := range st.dirs {
				ok = st.addFile(noProb, d, "", nil) || ok
			}
		}
		if !ok && !st.offend && !st.anyDirExists() {
			ok = st.addFile(noProb, embedRoot, "", nil)
		}
		return ok
	}
	for i := 0; i < len(files); i++ {
		percent := noProb
		sp := files[i]
		if sp != "" && sp[0] >= '0' && sp[0] <= '9' {
			p, j := 0, 0
			for j < len(sp) && sp[j] >= '0' && sp[j] <= '9' {
				p = p*10 + int(sp[j]-'0')
				j++
				if p > 100 {
					break
				}
			}
			if p > 100 {
				fmt.Fprintln(st.stderr, "percentages must be <= 100")
				st.errMsg = true
				return false
			}
			if j < len(sp) && sp[j] == '.' {
				fmt.Fprintln(st.stderr, "percentages must be integers")
				st.errMsg = true
				return false
			}
			if j < len(sp) && sp[j] == '%' {
				percent = p
				sp = sp[j+1:]
				if sp == "" {
					i++
					if i >= len(files) {
						fmt.Fprintln(st.stderr, "percentages must precede files")
						st.errMsg = true
						return false
					}
					sp = files[i]
				}
			}
		}
		if !st.addNamed(percent, sp) {
			return false
		}
	}
	return true
}

func (st *state) addLangDir(lang, d string) bool {
	// Listed under the bare language name, as fortune-mod does.
	if st.addFile(noProb, lang, d, nil) {
		return true
	}
	if len(lang) > 2 {
		return st.addFile(noProb, lang[:2], d, nil)
	}
	return false
}

// addNamed resolves one file, directory or "all" named on the command
// line: language subdirectories, the system directories, the local one,
// then $PWD.
func (st *state) addNamed(percent int, sp string) bool {
	var full []string
	loc := ""
	// fortune-mod 1.99.1 documents "all" but looks it up as a name.
	switch {
	case !strings.HasPrefix(sp, "/") && !strings.HasPrefix(sp, "./") && !strings.HasPrefix(sp, "../"):
		for _, d := range st.dirs {
			full = append(full, d+"/"+sp)
		}
		if st.locDir != "" {
			loc = st.locDir + "/" + sp
		}
	default:
		full = []string{sp}
		if st.locDir != "" {
			loc = sp
		}
	}
	ret := false
	if st.hasLang {
		for _, lang := range strings.Split(st.envLang, ":") {
			if ret || lang == "" {
				break
			}
			ret = st.addFile(percent, st.dirs[0]+"/"+lang+"/"+sp, "", nil)
			if !ret {
				ll := lang
				if len(ll) > 2 {
					ll = ll[:2]
				}
				ret = st.addFile(percent, st.dirs[0]+"/"+ll+"/"+sp, "", nil)
			}
		}
	}
	for _, f := range full {
		if !ret {
			ret = st.addFile(percent, f, "", nil)
		}
	}
	if !ret && loc != "" {
		ret = st.addFile(percent, loc, "", nil)
	}
	if !ret {
		pwd := st.c.Getenv("PWD")
		if pwd == "" {
			pwd = st.c.Dir
		}
		ret = st.addFile(percent, pwd+"/"+sp, "", nil)
	}
	if !ret && !st.anyDirExists() && !strings.Contains(sp, "/") {
		ret = st.addFile(percent, embedRoot+"/"+sp, "", nil)
	}
	return ret
}

func (st *state) initProb() int {
	percent, numNoprob := 0, 0
	last := -1
	for i := len(st.list) - 1; i >= 0; i-- {
		fp := st.list[i]
		if fp.percent == noProb {
			numNoprob++
			if st.equal {
				last = i
			}
		} else {
			percent += fp.percent
		}
	}
	switch {
	case percent > 100:
		fmt.Fprintf(st.stderr, "fortune: probabilities sum to %d%%!\n", percent)
		return 1
	case percent < 100 && numNoprob == 0:
		fmt.Fprintf(st.stderr, "fortune: no place to put residual probability (%d%%)\n", percent)
		return 1
	case percent == 100 && numNoprob != 0:
		fmt.Fprintln(st.stderr, "fortune: no probability left to put in residual files")
		return 1
	}
	st.specPct = percent
	percent = 100 - percent
	if st.equal && numNoprob != 0 {
		if numNoprob > 1 {
			frac := percent / numNoprob
			for i := len(st.list) - 1; i != last; i-- {
				if st.list[i].percent == noProb {
					st.list[i].percent = frac
					percent -= frac
				}
			}
		}
		st.list[last].percent = percent
	}
	return 0
}

// getTbl reads the header of fp's index, or sums its children's.
func (st *state) getTbl(fp *fileDesc) int {
	if fp.readTbl {
		return 0
	}
	if len(fp.children) == 0 {
		b, err := st.fs.readAt(fp.datfile, 0, headerSize)
		if err != nil {
			st.errno = err.(syscall.Errno)
			st.perror(fp.datfile)
			return 1
		}
		h, err := parseHeader(b)
		if err != nil {
			fmt.Fprintf(st.stderr, "fortune: %s corrupted\n", fp.path)
			return 1
		}
		fp.tbl = h
	} else {
		fp.tbl = header{ShortLen: 0xffffffff}
		for _, ch := range fp.children {
			if code := st.getTbl(ch); code != 0 {
				return code
			}
			sumTbl(&fp.tbl, &ch.tbl)
		}
	}
	fp.readTbl = true
	return 0
}

func sumTbl(t1, t2 *header) {
	t1.NumStr += t2.NumStr
	t1.LongLen = max(t1.LongLen, t2.LongLen)
	t1.ShortLen = min(t1.ShortLen, t2.ShortLen)
}

// sumNoprobs totals the files without a percentage.
func (st *state) sumNoprobs() int {
	st.noprob = header{ShortLen: 0xffffffff}
	for _, fp := range st.list {
		if code := st.getTbl(fp); code != 0 {
			return code
		}
		if fp.percent == noProb {
			sumTbl(&st.noprob, &fp.tbl)
		}
	}
	return 0
}

// cPercent formats like printf("%5.2f%%"), including C's spelling of
// NaN and infinity (a list of empty files divides 0 by 0).
func cPercent(v float64) string {
	switch {
	case v != v:
		return " -nan%"
	case v > 1e308:
		return "  inf%"
	}
	return fmt.Sprintf("%5.2f%%", v)
}

func (st *state) printList(list []*fileDesc, lev, nfiles, nkids int) {
	for _, fp := range list {
		fmt.Fprintf(st.stderr, "%*s", lev*4, "")
		switch {
		case fp.percent != noProb:
			fmt.Fprint(st.stderr, cPercent(float64(fp.percent)))
		case !st.equal:
			fmt.Fprint(st.stderr, cPercent((100.0-float64(st.specPct))*float64(fp.tbl.NumStr)/float64(st.noprob.NumStr)))
		case lev == 0:
			fmt.Fprint(st.stderr, cPercent(100.0/float64(nfiles)))
		default:
			fmt.Fprint(st.stderr, cPercent(100.0/float64(nkids)))
		}
		fmt.Fprintf(st.stderr, " %s\n", fp.name)
		if len(fp.children) > 0 {
			st.printList(fp.children, lev+1, nfiles, nkids)
		}
	}
}

// pick is fortune-mod's get_fort: choose a file by percentage, then by
// fortune count (or equally with -e), then a fortune uniformly. It returns
// the file and the fortune's start and end offsets.
func (st *state) pick() (*fileDesc, int64, int64, int) {
	var fp *fileDesc
	idx := 0
	if len(st.list) == 1 || st.list[0].percent == noProb {
		fp = st.list[0]
	} else {
		choice := int(st.random(100))
		for idx = 0; idx < len(st.list) && st.list[idx].percent != noProb; idx++ {
			if choice < st.list[idx].percent {
				break
			}
			choice -= st.list[idx].percent
		}
		if idx == len(st.list) {
			idx--
		}
		fp = st.list[idx]
	}
	if fp.percent != noProb {
		if code := st.getTbl(fp); code != 0 {
			return nil, 0, 0, code
		}
	} else {
		if idx+1 < len(st.list) {
			st.noprob = header{ShortLen: 0xffffffff}
			for _, f := range st.list[idx:] {
				if code := st.getTbl(f); code != 0 {
					return nil, 0, 0, code
				}
				if f.percent == noProb {
					sumTbl(&st.noprob, &f.tbl)
				}
			}
			choice := st.random(uint64(st.noprob.NumStr))
			for choice >= uint64(fp.tbl.NumStr) && idx+1 < len(st.list) {
				choice -= uint64(fp.tbl.NumStr)
				idx++
				fp = st.list[idx]
			}
		}
		if code := st.getTbl(fp); code != 0 {
			return nil, 0, 0, code
		}
	}
	if fp.tbl.NumStr == 0 {
		fmt.Fprintln(st.stderr, "fortune: no fortune found")
		return nil, 0, 0, 1
	}
	if len(fp.children) > 0 {
		if st.equal {
			fp = fp.children[st.random(uint64(len(fp.children)))]
		} else {
			choice := st.random(uint64(fp.tbl.NumStr))
			i := 0
			for i < len(fp.children)-1 && choice >= uint64(fp.children[i].tbl.NumStr) {
				choice -= uint64(fp.children[i].tbl.NumStr)
				i++
			}
			fp = fp.children[i]
		}
		if code := st.getTbl(fp); code != 0 {
			return nil, 0, 0, code
		}
		if fp.tbl.NumStr == 0 {
			fmt.Fprintln(st.stderr, "fortune: no fortune found")
			return nil, 0, 0, 1
		}
	}
	// fortune-mod starts at a random fortune and steps to the next one.
	n := int64(fp.tbl.NumStr)
	if fp.pos < 0 {
		fp.pos = int64(st.random(uint64(n)))
	}
	fp.pos++
	if fp.pos >= n {
		fp.pos -= n
	}
	a, b, ok := st.offsets(fp, uint64(fp.pos))
	if !ok {
		fmt.Fprintf(st.stderr, "fortune: %s corrupted\n", fp.path)
		return nil, 0, 0, 1
	}
	return fp, int64(a), int64(b), 0
}

// offsets reads fortune i's start and end offsets from fp's index: the
// whole index once a file has been read, else just those eight bytes.
func (st *state) offsets(fp *fileDesc, i uint64) (int64, int64, bool) {
	if fp.dat == nil {
		b, err := st.fs.readAt(fp.datfile, int64(headerSize+4*i), 8)
		if err != nil || len(b) < 8 {
			return 0, 0, false
		}
		return int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:])), true
	}
	a, ok1 := offsetAt(fp.dat, i)
	b, ok2 := offsetAt(fp.dat, i+1)
	return int64(a), int64(b), ok1 && ok2
}

// fortLen is fortune-mod's fortlen: offsets tell the length of a fortune
// in a file-order index; other indexes are measured by reading.
func (st *state) fortLen(fp *fileDesc, a, b int64) (int, int) {
	if fp.tbl.Flags&(flagRandom|flagOrdered) == 0 {
		return int(b - a - 2), 0
	}
	if !st.load(fp.path, &fp.text) {
		return 0, 1
	}
	n := 0
	pos := int(a)
	for {
		line, ok := fgetsAt(fp.text, pos, lineMax)
		if !ok || isDelimLine(line, fp.tbl.Delim) {
			break
		}
		pos += len(line)
		n += cstrlen(line)
	}
	return n, 0
}

// load reads path into *dst unless already read, and says why not.
func (st *state) load(path string, dst *[]byte) bool {
	if *dst != nil {
		return true
	}
	b, err := st.fs.readFile(path)
	if err != nil {
		st.errno = err.(syscall.Errno)
		st.perror(path)
		return false
	}
	*dst = b
	return true
}

func (st *state) lengthOK(n int) bool {
	return !(st.short && n > st.slen) && !(st.long && n <= st.slen)
}

func (st *state) randomFortune() int {
	var (
		fp   *fileDesc
		a, b int64
	)
	checked := false
	for tries := 1; ; tries++ {
		var code int
		fp, a, b, code = st.pick()
		if code != 0 {
			return code
		}
		if !st.short && !st.long {
			break
		}
		n, code := st.fortLen(fp, a, b)
		if code != 0 {
			return code
		}
		if st.lengthOK(n) {
			break
		}
		// fortune-mod retries forever when nothing is short (or long)
		// enough; moobox looks once whether anything is.
		if tries >= 200 && !checked {
			checked = true
			ok, code := st.anyLengthOK()
			if code != 0 {
				return code
			}
			if !ok {
				if st.short {
					fmt.Fprintf(st.stderr, "fortune: no fortune is %d characters or shorter\n", st.slen)
				} else {
					fmt.Fprintf(st.stderr, "fortune: no fortune is longer than %d characters\n", st.slen)
				}
				return 1
			}
		}
	}
	if code := st.display(fp, a); code != 0 {
		return code
	}
	if st.wait {
		// Main sleeps, once the fortune is out (fortune-mod sleeps
		// before its buffered output reaches a pipe).
		n, _ := st.fortLen(fp, a, b)
		st.pause = time.Duration(max(n/charsPerS, minWait)) * time.Second
	}
	return 0
}

// anyLengthOK reports whether some fortune that can be chosen passes -s or
// -l.
func (st *state) anyLengthOK() (bool, int) {
	var leaves []*fileDesc
	for _, fp := range st.list {
		if fp.percent == 0 {
			continue
		}
		if len(fp.children) == 0 {
			leaves = append(leaves, fp)
		}
		leaves = append(leaves, fp.children...)
	}
	for _, fp := range leaves {
		if code := st.getTbl(fp); code != 0 {
			return false, code
		}
		if !st.load(fp.datfile, &fp.dat) || !st.load(fp.path, &fp.text) {
			return false, 1
		}
		for i := uint64(0); i < uint64(fp.tbl.NumStr); i++ {
			a, b, ok := st.offsets(fp, i)
			if !ok {
				break
			}
			// Lengths taken from a lying index would give the wrong
			// complaint: say it is corrupted instead.
			if lead := min(a, 2); a > int64(len(fp.text)) || !startOK(fp.text[a-lead:], lead, fp.tbl.Delim) {
				fmt.Fprintf(st.stderr, "fortune: %s corrupted\n", fp.path)
				return false, 1
			}
			n, code := st.fortLen(fp, a, b)
			if code != 0 {
				return false, code
			}
			if st.lengthOK(n) {
				return true, 0
			}
		}
	}
	return false, 0
}

// recode is fortune-mod's recode_string for a file with a .u8 twin: the
// text unchanged in a UTF-8 locale, else librecode's conversion to
// ISO-8859-1 (see recodeLatin1). The locale is looked at only when a line
// needs it, so most runs never pay for it.
func (st *state) recode(fp *fileDesc, s []byte) []byte {
	if !fp.utf8 || st.noRecode {
		return s
	}
	ascii := true
	for _, c := range s {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	if st.codeset == 0 {
		st.codeset = 2
		if localeCodesetUTF8(st.c.Getenv, st.c.Dir) {
			st.codeset = 1
		}
	}
	if st.codeset == 1 {
		return s
	}
	return recodeLatin1(s)
}

func rot13(s []byte) {
	for i, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			s[i] = 'A' + (c-'A'+13)%26
		case c >= 'a' && c <= 'z':
			s[i] = 'a' + (c-'a'+13)%26
		}
	}
}

func (st *state) display(fp *fileDesc, a int64) int {
	// The two bytes before the fortune come along: they must end a
	// delimiter line (see startOK).
	lead := min(a, 2)
	var t []byte
	if fp.text != nil {
		if a <= int64(len(fp.text)) {
			t = fp.text[a-lead:]
		}
	} else {
		// Read a window and grow it until the fortune ends.
		for n := 4096; ; n *= 4 {
			w, err := st.fs.readAt(fp.path, a-lead, n)
			if err != nil {
				st.errno = err.(syscall.Errno)
				st.perror(fp.path)
				return 1
			}
			if len(w) < n || (int64(len(w)) >= lead && fortuneEnds(w[lead:], fp.tbl.Delim)) {
				t = w
				break
			}
		}
	}
	if !startOK(t, lead, fp.tbl.Delim) {
		// fortune-mod prints nothing (or a wrong fortune) and succeeds.
		fmt.Fprintf(st.stderr, "fortune: %s corrupted\n", fp.path)
		return 1
	}
	text := t[lead:]
	if st.showName {
		fmt.Fprintf(st.stdout, "(%s)\n%%\n", fp.name)
	}
	pos := 0
	for {
		line, ok := fgetsAt(text, pos, lineMax)
		if !ok || isDelimLine(line, fp.tbl.Delim) {
			break
		}
		pos += len(line)
		l := append([]byte(nil), line[:cstrlen(line)]...)
		if fp.tbl.Flags&flagRotated != 0 {
			rot13(l)
		}
		st.stdout.Write(st.recode(fp, l))
	}
	return 0
}

// startOK checks an index's offset against the text: strfile puts a
// fortune at the start of the file, just after a delimiter line, or (the
// end offset, which -r shuffles in) at the very end. t holds the text
// from lead bytes before the offset; a shorter t means the offset lies
// past the end, as with the index of another, longer file.
func startOK(t []byte, lead int64, delim byte) bool {
	switch {
	case int64(len(t)) < lead:
		return false
	case lead == 0, int64(len(t)) == lead:
		return true
	}
	return lead == 2 && t[0] == delim && t[1] == '\n'
}

// fortuneEnds reports whether t holds a whole fortune: a delimiter line
// starts at its beginning or after a newline.
func fortuneEnds(t []byte, delim byte) bool {
	if len(t) >= 2 && t[0] == delim && t[1] == '\n' {
		return true
	}
	for i := 0; i+2 < len(t); i++ {
		if t[i] == '\n' && t[i+1] == delim && t[i+2] == '\n' {
			return true
		}
	}
	return false
}

// findMatches prints every fortune matching m, each file's name first on
// stderr, and reports whether any did.
func (st *state) findMatches(m *byteMatcher) (bool, int) {
	maxLen := 0
	var walk func([]*fileDesc) int
	walk = func(list []*fileDesc) int {
		for _, fp := range list {
			if len(fp.children) > 0 {
				if code := walk(fp.children); code != 0 {
					return code
				}
				continue
			}
			if code := st.getTbl(fp); code != 0 {
				return code
			}
			maxLen = max(maxLen, int(int32(fp.tbl.LongLen)))
		}
		return 0
	}
	if code := walk(st.list); code != 0 {
		return false, code
	}
	// fortune reads with fgets(buf, longest, f): lines are cut there.
	chunk := max(maxLen-1, 1)
	found := false
	var scan func([]*fileDesc) int
	scan = func(list []*fileDesc) int {
		for _, fp := range list {
			if len(fp.children) > 0 {
				if code := scan(fp.children); code != 0 {
					return code
				}
				continue
			}
			var text []byte
			if !st.load(fp.path, &text) {
				return 1
			}
			inFile := false
			var buf []byte
			pos := 0
			for {
				line, ok := fgetsAt(text, pos, chunk)
				if !ok {
					break
				}
				pos += len(line)
				if !isDelimLine(line, fp.tbl.Delim) {
					buf = append(buf, line[:cstrlen(line)]...)
					continue
				}
				nchar := len(buf)
				out := st.recode(fp, buf)
				if fp.tbl.Flags&flagRotated != 0 {
					rot13(out) // buf is refilled next, so rotating in place is fine
				}
				if (nchar < st.slen || !st.short) && (nchar > st.slen || !st.long) && m.match(out) {
					if !inFile {
						// Keep the file names next to their matches on a
						// terminal, as fortune-mod's unbuffered stderr does.
						st.stdout.Flush()
						fmt.Fprintf(st.stderr, "(%s)\n%c\n", fp.name, fp.tbl.Delim)
						st.stderr.Flush()
						found, inFile = true, true
					}
					st.stdout.Write(out)
					fmt.Fprintf(st.stdout, "%c\n", fp.tbl.Delim)
				}
				buf = buf[:0]
			}
		}
		return 0
	}
	return found, scan(st.list)
}
