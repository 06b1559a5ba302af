// Package lolcat implements lolcat, byte-for-byte compatible with Debian's
// Ruby lolcat 100.0.1 when the seed is fixed and colour is forced
// (lolcat -f -S N), and streaming: memory stays constant whatever the
// input, and each read is painted and written before the next.
//
// Extensions (long options only, so no Ruby command line changes meaning):
//
//	--wide     one colour per grapheme cluster (uniseg), advancing the
//	           rainbow by the columns the cluster takes (internal/textwidth):
//	           wide CJK and emoji count two, a combining mark shares its base
//	           character's colour, and no escape splits an emoji ZWJ sequence,
//	           flag, skin-tone or VS16 sequence (terminals would stop joining
//	           it); an escape sequence inside a cluster cuts it, and clusters
//	           longer than 64 bytes are cut to keep memory constant
//	--nearest  in 256-colour mode, pick the perceptually nearest xterm colour
//	           (go-colorful, CIEDE2000) instead of Paint's cube cell
//
// Deliberate differences from Ruby lolcat:
//   - input is never lost: Ruby waits for a chunk to become valid UTF-8 and
//     to end outside an escape sequence, and silently drops everything
//     from there to the end if it never does (invalid UTF-8 anywhere, a line
//     ending inside an escape sequence, input ending with one); moobox
//     paints such bytes (an invalid byte is a unit of its own, an
//     unterminated escape sequence ends at the end of its line);
//   - with -a each piece of a line is held to be repainted. Where Ruby
//     holds more than one 4096-byte chunk (every chunk ends inside a
//     character, or inside an escape sequence that ends later) moobox
//     holds the piece too, and paints it as Ruby does, up to 1 MiB (after
//     tabs are expanded to 8 spaces, so as little as 128 KiB of tabs); past
//     that (past 64 KiB once the file has shown invalid UTF-8, which Ruby
//     never prints) it cuts the piece so memory stays bounded. The cut
//     never splits a character: a character or escape sequence it
//     interrupts is completed at the start of the next piece (an escape
//     sequence cut so gets the animation's cursor codes inside it);
//   - Ruby decodes input in the locale's encoding; moobox always uses
//     UTF-8 (Ruby in a C locale drops every non-ASCII byte);
//   - an unreadable file is reported on stderr (Ruby prints to stdout) and
//     the remaining files are still processed; the exit status is 1;
//   - NO_COLOR (non-empty) turns colour off on a terminal unless -f;
//   - reads from pipes are cut at 4096-byte file positions like regular
//     files (Ruby's cuts depend on pipe timing);
//   - seeds beyond about ±2^62 are clamped (Ruby uses bignums);
//   - where freq*x overflows to infinity (-F 1e308) Ruby dies with
//     FloatDomainError; moobox paints those units mid-grey (channels 128).
package lolcat

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/moobox/moobox/internal/applet"
)

const version = "lolcat 100.0.1 (c)2011 moe@busyloop.net\n"

const helpText = `
Usage: lolcat [OPTION]... [FILE]...

Concatenate FILE(s), or standard input, to standard output.
With no FILE, or when FILE is -, read standard input.

  -p, --spread=<f>      Rainbow spread (default: 3.0)
  -F, --freq=<f>        Rainbow frequency (default: 0.1)
  -S, --seed=<i>        Rainbow seed, 0 = random (default: 0)
  -a, --animate         Enable psychedelics
  -d, --duration=<i>    Animation duration (default: 12)
  -s, --speed=<f>       Animation speed (default: 20.0)
  -i, --invert          Invert fg and bg
  -t, --truecolor       24-bit (truecolor)
  -f, --force           Force color even when stdout is not a tty
  -v, --version         Print version and exit
  -h, --help            Show this message

Examples:
  lolcat f - g      Output f's contents, then stdin, then g's contents.
  lolcat            Copy standard input to standard output.
  fortune | lolcat  Display a rainbow cookie.

Report lolcat bugs to <https://github.com/busyloop/lolcat/issues>
lolcat home page: <https://github.com/busyloop/lolcat/>
Report lolcat translation bugs to <http://speaklolcat.com/>
`

type kind uint8

const (
	kFlag kind = iota
	kFloat
	kInt
)

type spec struct {
	name  string // Ruby's option symbol, used in messages
	long  string
	short rune
	kind  kind
}

// specs is Optimist's option table for lolcat (plus the extensions).
var specs = [...]spec{
	{"spread", "spread", 'p', kFloat},
	{"freq", "freq", 'F', kFloat},
	{"seed", "seed", 'S', kInt},
	{"animate", "animate", 'a', kFlag},
	{"duration", "duration", 'd', kInt},
	{"speed", "speed", 's', kFloat},
	{"invert", "invert", 'i', kFlag},
	{"truecolor", "truecolor", 't', kFlag},
	{"force", "force", 'f', kFlag},
	{"version", "version", 'v', kFlag},
	{"help", "help", 'h', kFlag},
	{"wide", "wide", 0, kFlag},
	{"nearest", "nearest", 0, kFlag},
}

type options struct {
	spread, freq, speed float64
	seed                int64
	duration            int64
	flags               [len(specs)]bool
	given               [len(specs)]bool
	files               []string
}

func (o *options) flag(name string) bool {
	for i := range specs {
		if specs[i].name == name {
			return o.flags[i]
		}
	}
	return false
}

type usageError string

// parse follows Optimist 3.0's rules: options and files mix freely, "--"
// ends options, short options cluster and the last one takes the next
// argument, arguments that look like negative numbers are values.
func parse(args []string) (*options, error, bool, bool) {
	o := &options{spread: 3.0, freq: 0.1, speed: 20.0, duration: 12}
	var params [len(specs)]string
	var hasParam [len(specs)]bool
	var order []int
	lookup := func(arg string) (int, error) {
		neg := false
		if strings.HasPrefix(arg, "--no-") && len(arg) > 5 && arg[5] != '-' && !strings.ContainsAny(arg, " \t\n") {
			arg = "--" + arg[5:]
			neg = true
		}
		idx := -1
		switch {
		case len(arg) >= 2 && arg[0] == '-' && arg[1] != '-' && utf8Len(arg[1:]) == 1:
			r := []rune(arg[1:])[0]
			for i := range specs {
				if specs[i].short == r {
					idx = i
				}
			}
		case strings.HasPrefix(arg, "--") && len(arg) > 2 && arg[2] != '-':
			for i := range specs {
				if specs[i].long == arg[2:] {
					idx = i
				}
			}
		default:
			return -1, usageError("invalid argument syntax: '" + arg + "'")
		}
		if idx < 0 {
			return -1, usageError("unknown argument '" + arg + "'")
		}
		if o.given[idx] {
			return -1, usageError("option '" + arg + "' specified multiple times")
		}
		o.given[idx] = true
		order = append(order, idx)
		if specs[idx].kind == kFlag {
			o.flags[idx] = !neg
		}
		return idx, nil
	}
	take := func(idx int, ps []string) int {
		if specs[idx].kind == kFlag || len(ps) == 0 {
			return 0
		}
		params[idx], hasParam[idx] = ps[0], true
		return 1
	}
	collect := func(i int) []string {
		var ps []string
		for ; i < len(args) && !isParamLike(args[i]); i++ {
			ps = append(ps, args[i])
		}
		return ps
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.files = append(o.files, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--") && strings.Contains(a, "=") && !strings.ContainsAny(a[:strings.IndexByte(a, '=')], " \t\n") && strings.IndexByte(a, '=') > 2:
			eq := strings.IndexByte(a, '=')
			idx, err := lookup(a[:eq])
			if err != nil {
				return nil, err, false, false
			}
			take(idx, []string{a[eq+1:]})
		case strings.HasPrefix(a, "--") && len(a) > 2 && !strings.ContainsAny(a, " \t\n"):
			idx, err := lookup(a)
			if err != nil {
				return nil, err, false, false
			}
			i += take(idx, collect(i+1))
		case strings.HasPrefix(a, "-") && len(a) > 1 && !strings.ContainsAny(a, " \t\n"):
			rs := []rune(a[1:])
			for j, r := range rs {
				idx, err := lookup("-" + string(r))
				if err != nil {
					return nil, err, false, false
				}
				if j == len(rs)-1 {
					i += take(idx, collect(i+1))
				}
			}
		default:
			o.files = append(o.files, a)
		}
	}
	// Given at all, even as --no-version, is enough (Optimist).
	if o.given[9] {
		return o, nil, true, false
	}
	if o.given[10] {
		return o, nil, false, true
	}
	for _, idx := range order {
		if !hasParam[idx] {
			continue
		}
		v := params[idx]
		switch specs[idx].kind {
		case kFloat:
			if !isRubyFloat(v) {
				return nil, usageError("option '" + specs[idx].name + "' needs a floating-point number"), false, false
			}
			f, _ := strconv.ParseFloat(v, 64)
			switch specs[idx].name {
			case "spread":
				o.spread = f
			case "freq":
				o.freq = f
			case "speed":
				o.speed = f
			}
		case kInt:
			if !isRubyInt(v) {
				return nil, usageError("option '" + specs[idx].name + "' needs an integer"), false, false
			}
			n := rubyToI(v)
			if specs[idx].name == "seed" {
				o.seed = n
			} else {
				o.duration = n
			}
		}
	}
	return o, nil, false, false
}

func (e usageError) Error() string { return string(e) }

func utf8Len(s string) int { return len([]rune(s)) }

// isParamLike is Optimist's PARAM_RE: /^-(-|\.$|[^\d\.])/.
func isParamLike(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	c := s[1]
	if c == '-' {
		return true
	}
	if c == '.' {
		return len(s) == 2
	}
	return c < '0' || c > '9'
}

// isRubyFloat is Optimist's FLOAT_RE.
func isRubyFloat(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() > 0 {
		if i < len(s) && s[i] == '.' {
			i++
			if digits() == 0 {
				return false
			}
		}
	} else {
		if i >= len(s) || s[i] != '.' {
			return false
		}
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isRubyInt is Optimist's integer check /^-?[\d_]+$/.
func isRubyInt(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// rubyToI is String#to_i for strings isRubyInt accepts: underscores are
// allowed singly between digits; parsing stops at anything else.
func rubyToI(s string) int64 {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if i == 0 || i+1 >= len(s) || s[i+1] == '_' {
				break
			}
			continue
		}
		// Clamp near 2^62 (Ruby moves on to bignums); the offset then still
		// has room to count lines without overflowing.
		if n > (1<<62)/10 {
			n = 1 << 62
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

func die(c *applet.Ctx, msg string) int {
	io.WriteString(c.Stderr, "Error: "+msg+".\nTry --help for help.\n")
	return 255
}

// Main runs lolcat.
func Main(c *applet.Ctx) int {
	var args []string
	if len(c.Args) > 1 {
		args = c.Args[1:]
	}
	o, err, ver, help := parse(args)
	if err != nil {
		return die(c, err.Error())
	}
	if ver {
		io.WriteString(c.Stdout, version)
		return 0
	}
	tty := applet.IsTerminal(c.Stdout)
	colorterm := c.Getenv("COLORTERM")
	envTrue := colorterm == "truecolor" || colorterm == "24bit"
	if help {
		// Like Ruby: the help is always painted, with a random offset.
		p := newPainter(c.Stdout, 0.3, 8.0, envTrue, false)
		p.initEsc()
		p.startFile(rand.Float64() * 8192)
		p.feed([]byte(helpText))
		p.finish()
		if tty {
			p.writeString("\x1b[m\x1b[?25h\x1b[?1;5;2004l")
		}
		p.writeByte('\n')
		p.flush()
		return 1
	}
	switch {
	case o.spread < 0.1:
		return die(c, "argument --spread must be >= 0.1")
	case o.duration < 1: // Ruby: < 0.1 for an integer
		return die(c, "argument --duration must be >= 0.1")
	case o.speed < 0.1:
		return die(c, "argument --speed must be >= 0.1")
	}
	seed := o.seed
	if seed == 0 {
		seed = int64(rand.IntN(256))
	}
	force := o.flag("force")
	colour := force || (tty && c.Getenv("NO_COLOR") == "")

	files := o.files
	if len(files) == 0 {
		files = []string{"-"}
	}
	var p *painter
	if colour {
		p = newPainter(c.Stdout, o.freq, o.spread, o.flag("truecolor") || envTrue, o.flag("invert"))
		p.wide = o.flag("wide")
		p.nearest = o.flag("nearest") && !p.truecolor
		p.anim = o.flag("animate")
		p.duration = int(o.duration)
		p.speed = o.speed
		p.initEsc()
	}
	status := 0
	buf := make([]byte, 64<<10)
	for _, name := range files {
		var r io.Reader = c.Stdin
		if r == nil {
			r = strings.NewReader("")
		}
		var f *os.File
		if name != "-" {
			var err error
			f, err = os.Open(c.Path(name))
			if err != nil {
				fileError(c, name, err)
				status = 1
				continue
			}
			r = f
		}
		var rerr, werr error
		if p == nil {
			rerr, werr = copyPlain(c.Stdout, r, buf)
		} else {
			rerr, werr = p.cat(r, seed, tty, buf)
		}
		if f != nil {
			f.Close()
		}
		if werr != nil {
			// Closed stdout (EPIPE and the like): stop quietly.
			return 1
		}
		if rerr != nil {
			fileError(c, name, rerr)
			status = 1
		}
	}
	return status
}

// cat paints one input (lol.rb's Lol.cat).
func (p *painter) cat(r io.Reader, seed int64, tty bool, buf []byte) (rerr, werr error) {
	p.startSeed(seed)
	if p.anim {
		p.writeString("\x1b[?25l")
	}
	for p.err == nil {
		n, err := r.Read(buf)
		p.feed(buf[:n])
		// Flush after every read so a slow pipe sees each line promptly.
		p.flush()
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
	}
	if p.err == nil {
		p.finish()
	}
	if tty {
		p.writeString("\x1b[m\x1b[?25h\x1b[?1;5;2004l")
	}
	p.flush()
	return rerr, p.err
}

func copyPlain(w io.Writer, r io.Reader, buf []byte) (rerr, werr error) {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr = w.Write(buf[:n]); werr != nil {
				return nil, werr
			}
		}
		if err != nil {
			if err != io.EOF {
				return err, nil
			}
			return nil, nil
		}
	}
}

// fileError prints Ruby lolcat's message for an unreadable file.
func fileError(c *applet.Ctx, name string, err error) {
	var msg string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		msg = "Permission denied"
	case errors.Is(err, syscall.EISDIR):
		msg = "Is a directory"
	default:
		var errno syscall.Errno
		if errors.As(err, &errno) {
			msg = errno.Error()
		} else {
			msg = err.Error()
		}
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	io.WriteString(c.Stderr, "lolcat: "+name+": "+msg+"\n")
}
