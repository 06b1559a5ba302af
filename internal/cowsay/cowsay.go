// Package cowsay implements cowsay and cowthink, byte for byte as Debian's
// Perl cowsay 3.03 prints them, with these documented differences:
//
//   - Balloon widths. Perl cowsay sums glibc's wcwidth per code point and
//     ignores colour codes (ESC [ digits ; ... m only) only when finding the
//     widest line, which misaligns balloons holding other escape sequences
//     (ESC[m, ESC[K, colon colours, OSC 8 links), control characters or
//     emoji sequences (ZWJ sequences, flags, skin tones, VS16). moobox
//     measures those as a terminal draws them (every escape sequence and
//     control character takes no room, an emoji sequence takes its grapheme
//     cluster's width, via uniseg) and is byte-identical everywhere else.
//   - Wrapping. Text::Wrap counts an escape sequence's bytes as characters
//     and may cut inside one, or inside a grapheme cluster (a flag, a ZWJ
//     sequence, a skin tone, a Hangul jamo syllable). moobox counts escape
//     sequences as nothing and never cuts either, except at a space (a
//     Prepend character such as U+0600 joins the space after it into its
//     cluster; the line still breaks there, as Perl's does); a cluster
//     still counts as the characters Perl counts in it, so wherever Perl
//     cuts none the lines are the same. -n's tab stops count escape sequences as nothing
//     too.
//   - --compat restores Perl's measure and wrapping exactly.
//   - -r/--random picks a random cow among all available ones.
//   - moobox's own cows (package cows) are found after COWPATH's and listed
//     by -l, so cowsay works with no cow directory at all.
//   - A -f path that does not exist is an error, not a silent cowless
//     balloon; a relative -f path is relative to the working directory
//     (Perl searches @INC for it).
//   - A cow file over 1 MiB (or a device such as /dev/zero) is an error,
//     "cow file too large", as is a string built by x, ., .=, x= or
//     interpolation over 16 MiB ("result too large"), or more than 64 MiB
//     built by them in all in one run ("builds too much"); Perl reads and
//     builds without bound.
//   - Invalid UTF-8 is read as Latin-1, as Perl does for arguments (Perl
//     dies on it in standard input), and then measured and wrapped like any
//     other text, even with --compat: Perl keeps such an argument as bytes,
//     measures its lines as -1 columns (a two-column balloon top, padding
//     off by two) and treats U+00A0 and U+0085 as spaces only when
//     wrapping, not when squeezing spaces.
//   - Text is always read as UTF-8, whatever the locale: under LC_ALL=C
//     Perl works on bytes and measures each byte of a multi-byte character.
//   - A cow file in UTF-8 prints as written; Perl reads its bytes as
//     Latin-1 characters and prints them double-encoded ("café" as
//     "cafÃ©").
//   - cowthink is whatever runs under a file name containing "think" (any
//     case); Perl looks at the whole path it was run by, so a cowsay in a
//     directory named "thinking" thinks.
package cowsay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/moobox/moobox/cows"
	"github.com/moobox/moobox/internal/applet"
)

const (
	version        = "3.03"
	defaultCowPath = "/usr/share/cowsay/cows"
	// Getopt::Std's option string, with moobox's -r.
	optString = "bde:f:ghlLnNprstT:wW:y"
)

type options struct {
	flags     map[rune]bool
	values    map[rune]*string // nil: given without a value (Perl's undef)
	random    bool
	compat    bool
	args      []string
	prog      string
	think     bool
	cowPath   string
	cowEnvSet bool
}

// Main runs cowsay, or cowthink when invoked under a name containing "think".
func Main(c *applet.Ctx) int { return mainWith(c, defaultCowPath) }

// mainWith is Main with the cow directory used when COWPATH is unset, so
// tests can stand in for a system with no cows.
func mainWith(c *applet.Ctx, defaultDir string) int {
	out := bufio.NewWriterSize(c.Stdout, 64<<10)
	defer out.Flush()
	o := &options{
		flags:  map[rune]bool{},
		values: map[rune]*string{},
		prog:   c.Name(),
		think:  strings.Contains(strings.ToLower(c.Name()), "think"),
	}
	if o.prog == "" || o.prog == "." {
		o.prog = "cowsay"
	}
	o.cowPath = c.Getenv("COWPATH")
	o.cowEnvSet = o.cowPath != "" && o.cowPath != "0" // Perl's truth
	if !o.cowEnvSet {
		o.cowPath = defaultDir
	}
	args := make([]string, 0, len(c.Args))
	for _, a := range c.Args[min(1, len(c.Args)):] {
		args = append(args, fromLatin1IfInvalid(a))
	}
	o.parse(args, c.Stderr)
	if o.flags['h'] {
		usage(c.Stderr, o.prog)
		return 2
	}
	if o.flags['l'] {
		return o.list(c, out)
	}
	return o.say(c, out)
}

// parse is Getopt::Std's getopts, which stops at the first non-option and
// warns about unknown options without stopping.
func (o *options) parse(args []string, stderr io.Writer) {
	for len(args) > 0 && len(args[0]) >= 2 && args[0][0] == '-' {
		a := args[0]
		switch a {
		case "--":
			args = args[1:]
			o.args = args
			return
		case "--random":
			o.random = true
			args = args[1:]
			continue
		case "--compat":
			o.compat = true
			args = args[1:]
			continue
		case "--help":
			usage(stderr, o.prog)
			args = args[1:]
			continue
		case "--version":
			fmt.Fprintf(stderr, "%s (moobox), compatible with cowsay %s\n", o.prog, version)
			args = args[1:]
			continue
		}
		first, n := utf8.DecodeRuneInString(a[1:])
		rest := a[1+n:]
		pos := strings.IndexRune(optString, first)
		switch {
		case pos < 0:
			fmt.Fprintf(stderr, "Unknown option: %c\n", first)
			if rest != "" {
				args[0] = "-" + rest
			} else {
				args = args[1:]
			}
		case pos+1 < len(optString) && optString[pos+1] == ':':
			args = args[1:]
			var v *string
			if rest != "" {
				v = &rest
			} else if len(args) > 0 {
				v = &args[0]
				args = args[1:]
			}
			o.values[first] = v
			delete(o.flags, first)
		default:
			o.flags[first] = true
			if first == 'r' {
				o.random = true
			}
			if rest != "" {
				args[0] = "-" + rest
			} else {
				args = args[1:]
			}
		}
	}
	o.args = args
}

// value is an option's value with Perl's defaults; undef reads as "".
func (o *options) value(opt rune, def string) string {
	v, ok := o.values[opt]
	if !ok {
		return def
	}
	if v == nil {
		return ""
	}
	return *v
}

func usage(w io.Writer, prog string) {
	fmt.Fprintf(w, "cow{say,think} version %s, (c) 1999 Tony Monroe\n"+
		"Usage: %s [-bdgpstwy] [-h] [-e eyes] [-f cowfile] \n"+
		"          [-l] [-n] [-T tongue] [-W wrapcolumn] [message]\n", version, prog)
}

func (o *options) say(c *applet.Ctx, out *bufio.Writer) int {
	// text is the message lines joined by newlines, as fill joins them;
	// -n splits it back into lines.
	var text string
	var lines []string
	dot := "" // $.: undefined unless stdin is read
	// Perl's die exits with errno, which is ENOENT after reading arguments
	// only and 0 (so 255) after reading stdin.
	dieCode := 2
	if len(o.args) == 0 || o.args[0] == "" || o.args[0] == "0" {
		var data []byte
		if c.Stdin != nil {
			var err error
			data, err = readAll(c.Stdin)
			if err != nil {
				fmt.Fprintf(c.Stderr, "%s: reading standard input: %v\n", o.prog, err)
				return 1
			}
		}
		text, dot = chompInput(fromLatin1Invalid(data))
		dieCode = 255
	} else {
		if o.flags['n'] {
			usage(c.Stderr, o.prog)
			return 2
		}
		text = strings.Join(o.args, " ")
	}

	if o.flags['n'] {
		if dot != "0" {
			lines = strings.Split(text, "\n")
		}
		for i, l := range lines {
			lines[i] = expandTabs(l, !o.compat)
		}
	} else {
		wv := o.value('W', "40")
		cols, numeric := perlNum(wv)
		if !numeric {
			fmt.Fprintf(c.Stderr, "%s: warning: -W %q is not a number, using %v\n", o.prog, wv, cols)
		}
		var st wrapStatus
		lines, st = fill(text, cols, !o.compat)
		switch st {
		case wrapTooWide:
			fmt.Fprintf(c.Stderr, "%s: -W %s: width too large (at most %d)\n", o.prog, wv, maxQuantifier+1)
			return dieCode
		case wrapDie:
			if cols != math.Trunc(cols) || math.IsInf(cols, 0) {
				fmt.Fprintf(c.Stderr, "%s: -W %s: width must be a whole number\n", o.prog, wv)
			} else {
				fmt.Fprintf(c.Stderr, "%s: cannot wrap the message: a paragraph starts with a combining mark\n", o.prog)
			}
			return dieCode
		}
		if cols < 2 {
			fmt.Fprintf(c.Stderr, "%s: warning: -W %s leaves no room for text; cowsay 3.03 prints \"3\" instead\n", o.prog, wv)
		}
	}

	env := &cowEnv{dot: dot, globals: o.globals()}
	joined := map[string]string{} // a cow file may name an array often
	env.arrays = func(name string) string {
		if v, ok := joined[name]; ok {
			return v
		}
		var v string
		switch name {
		case "message":
			v = strings.Join(lines, " ")
		case "ARGV":
			v = strings.Join(o.args, " ")
		case "balloon_lines":
			v = strings.Join(o.balloonLines(lines), " ")
		}
		joined[name] = v
		return v
	}
	env.eyes = firstChars(o.value('e', "oo"), 2)
	env.tongue = firstChars(o.value('T', "  "), 2)
	if o.think {
		env.thoughts = "o"
	} else {
		env.thoughts = `\`
	}
	o.face(env)

	name := o.value('f', "default.cow")
	if o.random {
		if n, ok := o.randomCow(c); ok {
			name = n
		}
	}
	src, file, err := o.findCow(c, name)
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", o.prog, err)
		return 2
	}
	cow, err := runCow(file, src, env)
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", o.prog, err)
		return 255
	}
	o.balloon(out, lines)
	out.WriteString(cow)
	if err := out.Flush(); err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", o.prog, err)
		return 1
	}
	return 0
}

// globals are Perl cowsay's global scalars a cow file can read, with their
// values at the time it runs (those not listed are undef, as $V is).
func (o *options) globals() map[string]string {
	g := map[string]string{
		"version":  version,
		"progname": o.prog,
		"cowpath":  o.cowPath,
		"pathsep":  ":",
	}
	for name, f := range map[string]rune{"borg": 'b', "dead": 'd', "greedy": 'g', "paranoid": 'p',
		"stoned": 's', "tired": 't', "wired": 'w', "young": 'y'} {
		if o.flags[f] {
			g[name] = "1"
		}
	}
	return g
}

// balloonLines is Perl cowsay's @balloon_lines: the balloon's lines, each
// with its newline, and two empty elements before the bottom rule when
// the message has fewer than two lines.
func (o *options) balloonLines(lines []string) []string {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	o.balloon(w, lines)
	w.Flush()
	els := strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n")
	els[len(els)-1] += "\n"
	if len(lines) < 2 {
		last := len(els) - 1
		els = append(els[:last:last], "", "", els[last])
	}
	return els
}

// face applies -b -d -g -p -s -t -w -y in that order: the last one wins.
func (o *options) face(env *cowEnv) {
	for _, f := range "bdgpstwy" {
		if !o.flags[f] {
			continue
		}
		switch f {
		case 'b':
			env.eyes = "=="
		case 'd':
			env.eyes, env.tongue = "xx", "U "
		case 'g':
			env.eyes = "$$"
		case 'p':
			env.eyes = "@@"
		case 's':
			env.eyes, env.tongue = "**", "U "
		case 't':
			env.eyes = "--"
		case 'w':
			env.eyes = "OO"
		case 'y':
			env.eyes = ".."
		}
	}
}

func firstChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// chompInput is chomp(@lines = <STDIN>) joined back with newlines, and $.
// after it.
func chompInput(s string) (string, string) {
	if s == "" {
		return "", "0"
	}
	s = strings.TrimSuffix(s, "\n")
	return s, fmt.Sprint(strings.Count(s, "\n") + 1)
}

func (o *options) balloon(out *bufio.Writer, lines []string) {
	widths := make([]int, len(lines))
	pads := make([]int, len(lines))
	max := 0
	for i, l := range lines {
		if o.compat {
			widths[i], pads[i] = compatWidths(l)
		} else {
			widths[i] = displayWidth(l)
			pads[i] = widths[i]
		}
		if widths[i] > max {
			max = widths[i]
		}
	}
	out.WriteByte(' ')
	writeRepeat(out, '_', max+2)
	out.WriteByte('\n')
	row := func(l, r byte, line string, pad int) {
		out.WriteByte(l)
		out.WriteByte(' ')
		out.WriteString(line)
		writeRepeat(out, ' ', max-pad)
		out.WriteByte(' ')
		out.WriteByte(r)
		out.WriteByte('\n')
	}
	switch {
	case o.think:
		if len(lines) == 0 {
			row('(', ')', "", 0)
		}
		for i, l := range lines {
			row('(', ')', l, pads[i])
		}
	case len(lines) < 2:
		if len(lines) == 0 {
			row('<', '>', "", 0)
		} else {
			row('<', '>', lines[0], pads[0])
		}
	default:
		last := len(lines) - 1
		for i, l := range lines {
			switch i {
			case 0:
				row('/', '\\', l, pads[i])
			case last:
				row('\\', '/', l, pads[i])
			default:
				row('|', '|', l, pads[i])
			}
		}
	}
	out.WriteByte(' ')
	writeRepeat(out, '-', max+2)
	out.WriteByte('\n')
}

func writeRepeat(w *bufio.Writer, c byte, n int) {
	// Long runs of padding and rule are common in big balloons: write
	// them a chunk at a time from a constant, which costs no allocation.
	var chunk string
	switch c {
	case ' ':
		chunk = spaces
	case '_':
		chunk = underscores
	case '-':
		chunk = dashes
	default:
		chunk = strings.Repeat(string(c), 64)
	}
	for n > len(chunk) {
		w.WriteString(chunk)
		n -= len(chunk)
	}
	if n > 0 { // a negative count writes nothing, as Perl's x does
		w.WriteString(chunk[:n])
	}
}

const (
	spaces      = "                                                                "
	underscores = "________________________________________________________________"
	dashes      = "----------------------------------------------------------------"
)

// cowDirs is COWPATH split as Perl's split(/:/) does (trailing empty
// fields dropped).
func (o *options) cowDirs() []string {
	dirs := strings.Split(o.cowPath, ":")
	for len(dirs) > 0 && dirs[len(dirs)-1] == "" {
		dirs = dirs[:len(dirs)-1]
	}
	return dirs
}

func isRegular(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// findCow returns a cow file's text and the name errors should give it:
// a path when name has a slash, else NAME then NAME.cow in each COWPATH
// directory, then among moobox's own cows.
func (o *options) findCow(c *applet.Ctx, name string) (src, file string, err error) {
	if strings.Contains(name, "/") {
		data, err := readCowFile(c.Path(name))
		if errors.Is(err, errCowTooLarge) {
			return "", "", fmt.Errorf("%s: %v", name, err)
		}
		if err != nil {
			return "", "", fmt.Errorf("Could not find %s cowfile! (%v)", name, unwrapPathErr(err))
		}
		return fromLatin1Invalid(data), name, nil
	}
	for _, d := range o.cowDirs() {
		for _, f := range []string{d + "/" + name, d + "/" + name + ".cow"} {
			if isRegular(c.Path(f)) {
				data, err := readCowFile(c.Path(f))
				if err != nil {
					return "", "", fmt.Errorf("cannot read %s: %v", f, unwrapPathErr(err))
				}
				return fromLatin1Invalid(data), f, nil
			}
		}
	}
	if name != "" && name != "." && name != ".." {
		for _, f := range []string{name, name + ".cow"} {
			if data, err := fs.ReadFile(cows.FS, f); err == nil {
				return string(data), "moobox:" + f, nil
			}
		}
	}
	return "", "", fmt.Errorf("Could not find %s cowfile!", name)
}

// maxCowFile bounds what is read of a cow file: the stock ones are under
// 4 KiB, and -f /dev/zero must not read forever.
const maxCowFile = 1 << 20

var errCowTooLarge = errors.New("cow file too large (more than 1 MiB)")

func readCowFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCowFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCowFile {
		return nil, errCowTooLarge
	}
	return data, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// cowNames lists the .cow files of a directory, without the suffix, as
// readdir and s/\.cow$// find them.
func cowNames(entries []string) []string {
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e, ".cow") {
			names = append(names, strings.TrimSuffix(e, ".cow"))
		} else if strings.HasSuffix(e, ".cow\n") {
			names = append(names, strings.TrimSuffix(e, ".cow\n")+"\n")
		}
	}
	sort.Strings(names)
	return names
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func embeddedNames() []string {
	entries, _ := fs.ReadDir(cows.FS, ".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return cowNames(names)
}

// list is -l: each COWPATH directory's cows, then moobox's own, each list
// wrapped by Text::Wrap at 76 columns.
func (o *options) list(c *applet.Ctx, out *bufio.Writer) int {
	for _, d := range o.cowDirs() {
		entries, err := readDirNames(c.Path(d))
		if err != nil && !o.cowEnvSet && errors.Is(err, fs.ErrNotExist) {
			continue // no system cows: the scratch image
		}
		fmt.Fprintf(out, "Cow files in %s:\n", d)
		if err != nil {
			out.Flush()
			fmt.Fprintf(c.Stderr, "%s: Cannot open %s\n", c.Args[0], d)
			return 2
		}
		writeNames(out, cowNames(entries))
	}
	out.WriteString("Cow files built into moobox:\n")
	writeNames(out, embeddedNames())
	if err := out.Flush(); err != nil {
		fmt.Fprintf(c.Stderr, "%s: %v\n", o.prog, err)
		return 1
	}
	return 0
}

// writeNames is print wrap("", "", @names), "\n".
func writeNames(out *bufio.Writer, names []string) {
	var b strings.Builder
	for i, n := range names {
		b.WriteString(n)
		if i < len(names)-1 && !endsInSpace(n) {
			b.WriteByte(' ')
		}
	}
	lines, _ := wrapText(expandTabs(b.String(), false), 76, nil, false)
	out.WriteString(strings.Join(lines, "\n"))
	out.WriteByte('\n')
}

func endsInSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isPerlSpace(r)
}

// randomCow picks uniformly among every cow -f could name.
func (o *options) randomCow(c *applet.Ctx) (string, bool) {
	seen := map[string]bool{}
	var all []string
	add := func(names []string) {
		for _, n := range names {
			if !seen[n] && !strings.ContainsAny(n, "/\n") {
				seen[n] = true
				all = append(all, n)
			}
		}
	}
	for _, d := range o.cowDirs() {
		if entries, err := readDirNames(c.Path(d)); err == nil {
			add(cowNames(entries))
		}
	}
	add(embeddedNames())
	if len(all) == 0 {
		return "", false
	}
	return all[rand.IntN(len(all))], true
}

// readAll is io.ReadAll, sized in one allocation when the input is a
// regular file (cowsay < big.txt), rather than grown step by step.
func readAll(r io.Reader) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > 0 && st.Size() < 1<<30 {
			b := make([]byte, 0, st.Size()+1)
			for {
				n, err := f.Read(b[len(b):cap(b)])
				b = b[:len(b)+n]
				if err == io.EOF {
					return b, nil
				}
				if err != nil {
					return b, err
				}
				if len(b) == cap(b) {
					// The file grew: finish the ordinary way.
					rest, err := io.ReadAll(f)
					return append(b, rest...), err
				}
			}
		}
	}
	return io.ReadAll(r)
}

// fromLatin1IfInvalid is what Perl cowsay does with an argument that is
// not UTF-8: it keeps the bytes, which print as Latin-1 characters.
func fromLatin1IfInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// fromLatin1Invalid reads each byte that is not part of valid UTF-8 as a
// Latin-1 character, so the output is always valid UTF-8.
func fromLatin1Invalid(data []byte) string {
	if utf8.Valid(data) {
		// data is not used again: share it rather than copy a big message.
		return unsafe.String(unsafe.SliceData(data), len(data))
	}
	var b strings.Builder
	b.Grow(len(data) + 16)
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteRune(rune(data[i]))
			i++
			continue
		}
		b.Write(data[i : i+n])
		i += n
	}
	return b.String()
}
