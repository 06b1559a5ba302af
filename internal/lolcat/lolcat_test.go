package lolcat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// TestTableMatchesExact proves the lookup tables never disagree with the
// exact computation: millions of positions, drawn like real runs (line
// offsets, unit indices, the usual and odd spreads and frequencies) and
// uniformly over the whole table range.
func TestTableMatchesExact(t *testing.T) {
	ph := newPhases()
	t256 := table256(ph)
	tRGB := channelTable(ph, levelsTrue())
	r := rand.New(rand.NewPCG(1, 2))
	samples := 3_000_000
	if testing.Short() {
		samples = 300_000
	}
	safe := 0
	for k := 0; k < samples; k++ {
		var tt float64
		switch k % 3 {
		case 0: // realistic: offset + i/spread, times freq
			freqs := []float64{0.1, 0.3, 0.05, 1, 2.5, -0.2, r.Float64() * 3}
			spreads := []float64{3, 8, 1, 0.5, 7.5, 100, 0.1 + r.Float64()*10}
			x := float64(r.IntN(100000)-50) + float64(r.IntN(20000))/spreads[r.IntN(len(spreads))]
			tt = float64(freqs[r.IntN(len(freqs))] * x)
		case 1: // anywhere in the table's range
			tt = (r.Float64()*2 - 1) * tabLimit
		default: // near the breakpoints themselves
			lv := float64(2 + r.IntN(254))
			th := math.Asin((lv - 128) / 127)
			if r.IntN(2) == 0 {
				th = math.Pi - th
			}
			ph3 := []float64{0, ph.g, ph.b}[r.IntN(3)]
			tt = th - ph3 + 2*math.Pi*float64(r.IntN(1000)-500) + (r.Float64()-0.5)*1e-4
		}
		bin, ok := binOf(tt)
		if !ok {
			continue
		}
		er, eg, eb := channel(tt), channel(float64(tt+ph.g)), channel(float64(tt+ph.b))
		if e := tRGB[bin]; e&unsafeBit == 0 {
			safe++
			if uint8(e) != er || uint8(e>>8) != eg || uint8(e>>16) != eb {
				t.Fatalf("t=%v bin %d: table %d,%d,%d exact %d,%d,%d", tt, bin, uint8(e), uint8(e>>8), uint8(e>>16), er, eg, eb)
			}
		}
		if v := t256[bin]; v != 0 && v != index256(er, eg, eb) {
			t.Fatalf("t=%v bin %d: table256 %d exact %d", tt, bin, v, index256(er, eg, eb))
		}
	}
	if safe < samples/2 {
		t.Fatalf("only %d of %d samples hit safe bins", safe, samples)
	}
}

// TestIndex256Paint checks index256 on every channel triple against a
// line-by-line transcription of Paint 2.2's rgb_to_256 (float separators,
// grey ramp, cube).
func TestIndex256Paint(t *testing.T) {
	paint := func(r, g, b int) int {
		red, green, blue := float64(r), float64(g), float64(b)
		grayPossible, gray, sep := true, false, 42.5
		for grayPossible {
			if red < sep || green < sep || blue < sep {
				gray = red < sep && green < sep && blue < sep
				grayPossible = false
			}
			sep += 42.5
		}
		if gray {
			return 232 + int(math.Round((red+green+blue)/33))
		}
		return 16 + int(6*(red/256))*36 + int(6*(green/256))*6 + int(6*(blue/256))
	}
	greys := 0
	for r := 0; r < 256; r++ {
		for g := 0; g < 256; g++ {
			for b := 0; b < 256; b++ {
				want := paint(r, g, b)
				if got := index256(uint8(r), uint8(g), uint8(b)); int(got) != want {
					t.Fatalf("index256(%d,%d,%d) = %d, Paint %d", r, g, b, got, want)
				}
				if want >= 232 {
					greys++
				}
			}
		}
	}
	if greys == 0 {
		t.Fatal("no grey")
	}
}

// TestOverflowFreq pins a deliberate difference: when freq*x overflows to
// infinity Ruby dies on the NaN (FloatDomainError); moobox paints the
// units mid-grey (every channel 128) and succeeds.
func TestOverflowFreq(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	for _, c := range []struct {
		args []string
		esc  string
	}{
		{[]string{"-f", "-S", "1", "-F", "1e308"}, "\x1b[38;5;244m"},
		{[]string{"-f", "-S", "1", "-F", "-1e308", "-t"}, "\x1b[38;2;128;128;128m"},
	} {
		_, rErr, rSt := ruby(t, tool, t.TempDir(), []byte("hi\n"), nil, c.args...)
		if rSt == 0 || !bytes.Contains(rErr, []byte("FloatDomainError")) {
			t.Errorf("%q: Ruby no longer fails: %d %q", c.args, rSt, rErr)
		}
		got, _, st := run(t, "", []byte("hi\n"), nil, c.args...)
		want := c.esc + "h\x1b[39m" + c.esc + "i\x1b[39m" + c.esc + "\x1b[39m\n"
		if string(got) != want || st != 0 {
			t.Errorf("%q: got %d %q want %q", c.args, st, got, want)
		}
	}
}

// TestSinMatchesRuby checks the exact path against Ruby's Math.sin on
// angles chosen so sin*127+128 lands within a few ulp of an integer,
// where a last-bit difference would change a channel.
func TestSinMatchesRuby(t *testing.T) {
	rb := testutil.RequireTool(t, "ruby", "ruby")
	r := rand.New(rand.NewPCG(3, 4))
	var in bytes.Buffer
	var as []float64
	for k := 0; k < 20000; k++ {
		lv := float64(1 + r.IntN(255))
		th := math.Asin((lv - 128) / 127)
		if r.IntN(2) == 0 {
			th = math.Pi - th
		}
		a := th + 2*math.Pi*float64(r.IntN(2000)-1000)
		// Walk a few ulps either way.
		for s := r.IntN(9) - 4; s != 0; {
			if s > 0 {
				a = math.Nextafter(a, math.Inf(1))
				s--
			} else {
				a = math.Nextafter(a, math.Inf(-1))
				s++
			}
		}
		as = append(as, a)
		in.WriteString(strconv.FormatFloat(a, 'g', 17, 64) + "\n")
	}
	cmd := exec.Command(rb, "-e", `STDIN.each_line { |l| puts((Math.sin(l.to_f) * 127 + 128).to_i) }`)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(as) {
		t.Fatalf("ruby gave %d lines for %d angles", len(lines), len(as))
	}
	bad := 0
	for k, a := range as {
		want, _ := strconv.Atoi(lines[k])
		if got := channel(a); int(got) != want {
			bad++
			if bad < 10 {
				t.Errorf("a=%v: channel %d, ruby %d", a, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d differ", bad, len(as))
	}
}

// The reference model: Ruby's line regex, applied with Go's regexp (which
// picks the match a backtracking engine would) the way String#scan does.
var lineRE = regexp.MustCompile("(?s)^((?:\x1b(?:[ -/]+.|[\\]PX^_][^\a\x1b]*|\\[[0-?]*.|.))*)(.?)")

func refLine(p *painter, line []byte) {
	line = bytes.ReplaceAll(line, []byte("\t"), []byte("        "))
	i := 0
	for pos := 0; ; {
		m := lineRE.FindSubmatchIndex(line[pos:])
		p.write(line[pos+m[2] : pos+m[3]])
		p.colour(i)
		p.write(line[pos+m[4] : pos+m[5]])
		p.write(p.rst[:5])
		i++
		if m[1] == 0 {
			break
		}
		pos += m[1]
	}
	p.i = i
}

// refPaint paints input without chunk effects with the reference model.
func refPaint(in []byte, seed float64, truecolor bool) []byte {
	var out bytes.Buffer
	p := newPainter(&out, 0.1, 3, truecolor, false)
	p.initEsc()
	p.os = seed
	lines := bytes.SplitAfter(in, []byte("\n"))
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		p.os++
		chomped := l[len(l)-1] == '\n'
		refLine(p, bytes.TrimSuffix(l, []byte("\n")))
		p.bookkeeping(chomped)
		if chomped {
			p.writeByte('\n')
		}
	}
	p.flush()
	return out.Bytes()
}

func paint(in []byte, seed float64, truecolor bool, reads int) []byte {
	var out bytes.Buffer
	p := newPainter(&out, 0.1, 3, truecolor, false)
	p.initEsc()
	p.startFile(seed)
	// Feed in uneven pieces: the state machine must not care.
	for len(in) > 0 {
		n := min(len(in), 1+int(uint(reads)%7))
		reads = reads*31 + 7
		p.feed(in[:n])
		in = in[n:]
	}
	p.finish()
	p.flush()
	return out.Bytes()
}

// subsequence reports whether every byte of in (tabs expanded) appears in
// out in order: nothing is lost.
func subsequence(in, out []byte) bool {
	in = bytes.ReplaceAll(in, []byte("\t"), []byte("        "))
	j := 0
	for _, c := range out {
		if j < len(in) && in[j] == c {
			j++
		}
	}
	return j == len(in)
}

func FuzzEscapes(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b", "\x1b[", "\x1b[1;2", "\x1b[1m", "\x1b]0;t\a", "\x1b]0;t\x1b\\",
		"\x1b(B", "\x1b((", "\x1b\x1b[", "\x1b[1 q", "a\tb", "\x1b\t", "\x1b[1\tx", "é\x1b日", "\xff\xfe", "\xe2\x82",
		"\x1b\xe2\x82\xac", "\x1b[\xf0\x9f\x98\x80", "\x1bP\n", "line\n\x1b\nx"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 4000 {
			in = in[:4000] // keep clear of chunk effects
		}
		got := paint(in, 5, len(in)%2 == 0, len(in))
		if !subsequence(in, got) {
			t.Fatalf("input lost: %q -> %q", in, got)
		}
		if utf8.Valid(in) {
			want := refPaint(in, 5, len(in)%2 == 0)
			if !bytes.Equal(got, want) {
				t.Fatalf("%q:\n got %q\nwant %q", in, got, want)
			}
		}
	})
}

// FuzzWide: --wide, fed in uneven reads, loses nothing and writes the
// same text as the default mode; only the colour escapes differ.
func FuzzWide(f *testing.F) {
	for _, s := range []string{"a\u0301", "👩\u200d💻X", "❤\ufe0f", "🇩🇪🇫", "👍🏽", "e\x1b[1m\u0301", "\t\u0301", "\xf0\x9f\x91", "\u200d\n\u200d",
		"a" + strings.Repeat("\u0301", 40), "\x1b]0;t\u200d\a😀"} {
		f.Add([]byte(s))
	}
	strip := regexp.MustCompile(`\x1b\[(?:38|39);?[0-9;]*m`)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 4000 {
			in = in[:4000]
		}
		var outs [2][]byte
		for k, wide := range []bool{false, true} {
			var out bytes.Buffer
			p := newPainter(&out, 0.1, 3, false, false)
			p.wide = wide
			p.initEsc()
			p.startFile(5)
			for rest, reads := in, len(in); len(rest) > 0; reads = reads*31 + 7 {
				n := min(len(rest), 1+int(uint(reads)%7))
				p.feed(rest[:n])
				rest = rest[n:]
			}
			p.finish()
			p.flush()
			outs[k] = out.Bytes()
		}
		if !subsequence(in, outs[1]) {
			t.Fatalf("input lost: %q -> %q", in, outs[1])
		}
		if a, b := strip.ReplaceAll(outs[0], nil), strip.ReplaceAll(outs[1], nil); !bytes.Equal(a, b) {
			t.Fatalf("%q: text differs:\n%q\n%q", in, a, b)
		}
	})
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n -= len(b); w.n < 0 {
		return 0, errors.New("broken pipe")
	}
	return len(b), nil
}

func bigInput(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	return b.Bytes()
}

// TestClosedStdout: a reader that goes away stops lolcat quietly.
func TestClosedStdout(t *testing.T) {
	in := bigInput(1 << 20)
	var e bytes.Buffer
	c := &applet.Ctx{Args: []string{"lolcat", "-f", "-S", "1"}, Stdin: bytes.NewReader(in),
		Stdout: &failWriter{n: 100000}, Stderr: &e}
	if st := Main(c); st != 1 || e.Len() != 0 {
		t.Fatalf("status %d stderr %q", st, e.String())
	}
	// And with a real pipe whose reader reads one line and closes.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		c := &applet.Ctx{Args: []string{"lolcat", "-f"}, Stdin: bytes.NewReader(in), Stdout: pw, Stderr: &e}
		done <- Main(c)
		pw.Close()
	}()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	pr.Close()
	if st := <-done; st != 1 || e.Len() != 0 || !strings.Contains(line, "q") {
		t.Fatalf("status %d stderr %q line %q", st, e.String(), line)
	}
}

// notifyWriter signals every write.
type notifyWriter struct {
	bytes.Buffer
	ch chan struct{}
}

func (w *notifyWriter) Write(b []byte) (int, error) {
	n, err := w.Buffer.Write(b)
	w.ch <- struct{}{}
	return n, err
}

// TestStreaming: the first line is painted before the input ends.
func TestStreaming(t *testing.T) {
	pr, pw := io.Pipe()
	w := &notifyWriter{ch: make(chan struct{}, 100)}
	done := make(chan int)
	go func() {
		done <- Main(&applet.Ctx{Args: []string{"lolcat", "-f", "-S", "1"}, Stdin: pr, Stdout: w, Stderr: io.Discard})
	}()
	pw.Write([]byte("first line\n"))
	select {
	case <-w.ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no output before the input ended")
	}
	pw.Close()
	<-done
	if !strings.Contains(w.String(), "m\x1b[39m\n") {
		t.Fatalf("output %q", w.String())
	}
}

// infinite line generator.
type lineReader struct{ left int }

func (r *lineReader) Read(b []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(b), r.left)
	for i := range b[:n] {
		b[i] = "abcdefgh日"[i%8]
	}
	r.left -= n
	return n, nil
}

// TestConstantMemory paints a 64 MB line without a newline: memory must
// not grow with it.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	Main(&applet.Ctx{Args: []string{"lolcat", "-f", "-S", "1"}, Stdin: &lineReader{left: 64 << 20}, Stdout: io.Discard, Stderr: io.Discard})
	runtime.ReadMemStats(&m1)
	if d := m1.TotalAlloc - m0.TotalAlloc; d > 4<<20 {
		t.Fatalf("allocated %d bytes for a 64 MB line", d)
	}
}

// TestConstantMemoryAnimate: with -a the painter holds a piece to repaint
// it; after invalid UTF-8 or inside an unterminated OSC, where Ruby never
// cuts the line, it must still cut it.
func TestConstantMemoryAnimate(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, lead := range []string{"\xff", "\x1b]0;", "\xe2"} {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		var out countWriter
		in := io.MultiReader(strings.NewReader(lead), &lineReader{left: 16 << 20})
		st := Main(&applet.Ctx{Args: []string{"lolcat", "-f", "-a", "-d", "1", "-s", "1000000", "-S", "1"},
			Stdin: in, Stdout: &out, Stderr: io.Discard})
		runtime.ReadMemStats(&m1)
		if d := m1.TotalAlloc - m0.TotalAlloc; d > 4<<20 || st != 0 || out.n < 16<<20 {
			t.Fatalf("%q: allocated %d bytes for a 16 MB line (status %d, %d bytes out)", lead, d, st, out.n)
		}
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

// TestWide: --wide makes each grapheme cluster one unit (one colour, so
// no escape splits an emoji sequence) and advances by display columns.
func TestWide(t *testing.T) {
	type unit struct {
		text string
		col  int
	}
	for _, c := range []struct {
		in    string
		units []unit
	}{
		// 日 at column 0, 本 at 2, a with its combining accent at 4, b at
		// 5, the line end at 6.
		{"日本a\u0301b", []unit{{"日", 0}, {"本", 2}, {"a\u0301", 4}, {"b", 5}, {"", 6}}},
		// ZWJ sequence (woman technologist): two columns, one unit.
		{"👩\u200d💻X", []unit{{"👩\u200d💻", 0}, {"X", 2}, {"", 3}}},
		// Heart with VS16: emoji presentation, two columns.
		{"❤\ufe0fX", []unit{{"❤\ufe0f", 0}, {"X", 2}, {"", 3}}},
		// Flags: regional indicators pair up.
		{"🇩🇪🇫🇷X", []unit{{"🇩🇪", 0}, {"🇫🇷", 2}, {"X", 4}, {"", 5}}},
		// Skin-tone modifier.
		{"👍🏽X", []unit{{"👍🏽", 0}, {"X", 2}, {"", 3}}},
		// Family: three ZWJs, still two columns.
		{"a👨\u200d👩\u200d👧\u200d👦b", []unit{{"a", 0}, {"👨\u200d👩\u200d👧\u200d👦", 1}, {"b", 3}, {"", 4}}},
		// An escape sequence inside a cluster cuts it: the accent after it
		// is zero-width and takes the colour of the e.
		{"e\x1b[1m\u0301x", []unit{{"e", 0}, {"\u0301", 0}, {"x", 1}, {"", 2}}},
		// A tab is eight one-column spaces.
		{"\t😀", []unit{{" ", 0}, {" ", 1}, {" ", 2}, {" ", 3}, {" ", 4}, {" ", 5}, {" ", 6}, {" ", 7}, {"😀", 8}, {"", 10}}},
	} {
		out, _, _ := run(t, "", []byte(c.in+"\n"), nil, "-f", "-S", "1", "-t", "--wide", "-F", "1", "-p", "1")
		re := regexp.MustCompile(`\x1b\[38;2;(\d+);(\d+);(\d+)m(.*?)\x1b\[39m`)
		ms := re.FindAllSubmatch(out, -1)
		p := newPainter(io.Discard, 1, 1, true, false)
		p.os = 2
		if len(ms) != len(c.units) {
			t.Errorf("%q: %d units, want %d: %q", c.in, len(ms), len(c.units), out)
			continue
		}
		for k, u := range c.units {
			r, g, b := p.rgb(u.col)
			want := fmt.Sprintf("%d;%d;%d", r, g, b)
			if got := string(bytes.Join(ms[k][1:4], []byte(";"))); got != want || string(ms[k][4]) != u.text {
				t.Errorf("%q unit %d: %q in %s, want %q in column %d's %s", c.in, k, ms[k][4], got, u.text, u.col, want)
			}
		}
	}
	// Without --wide each code point is a unit, as in Ruby.
	out, _, _ := run(t, "", []byte("日本a\u0301b👩\u200d💻\n"), nil, "-f", "-S", "1", "-t")
	re := regexp.MustCompile(`\x1b\[38;2;(\d+);(\d+);(\d+)m`)
	if n := len(re.FindAll(out, -1)); n != 9 {
		t.Fatalf("%d units without --wide", n)
	}
	// Endless combining marks: units stay bounded (at most the 64 bytes
	// the package doc promises, so about len/64 units, not one per mark),
	// nothing is lost.
	in := "a" + strings.Repeat("\u0301", 1000) + "\n"
	out, _, _ = run(t, "", []byte(in), nil, "-f", "-S", "1", "--wide")
	if !subsequence([]byte(in), out) {
		t.Fatal("--wide lost combining marks")
	}
	units := regexp.MustCompile(`\x1b\[38;5;\d+m(.*?)\x1b\[39m`).FindAllSubmatch(out, -1)
	var text []byte
	for _, u := range units {
		if len(u[1]) > 64 {
			t.Fatalf("--wide unit of %d bytes (more than 64)", len(u[1]))
		}
		text = append(text, u[1]...)
	}
	line := len(in) - 1
	if string(text)+"\n" != in || len(units) < line/64 || len(units) > 2*line/64+2 {
		t.Fatalf("--wide: %d units for %d bytes of marks (text kept: %v)", len(units), line, string(text)+"\n" == in)
	}
}

// TestNearest: --nearest changes 256-colour indices, only when asked.
func TestNearest(t *testing.T) {
	in := bigInput(2000)
	a, _, _ := run(t, "", in, nil, "-f", "-S", "4")
	b, _, _ := run(t, "", in, nil, "-f", "-S", "4", "--nearest")
	if bytes.Equal(a, b) || len(a) == 0 {
		t.Fatal("--nearest made no difference")
	}
	strip := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	if !bytes.Equal(strip.ReplaceAll(a, nil), strip.ReplaceAll(b, nil)) {
		t.Fatal("--nearest changed the text")
	}
	if r, g, b := xtermRGB(196); r != 255 || g != 0 || b != 0 {
		t.Fatal("palette")
	}
}

// TestCLI compares options, help, version and errors with Ruby.
func TestCLI(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	strip := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("file\n"), 0o644)
	for _, args := range [][]string{
		{"-v"}, {"--version"}, {"-h"}, {"--help"}, {"-h", "--bogus"}, {"--bogus"}, {"-x"}, {"-S", "abc"},
		{"-p", "0.01"}, {"-d", "0"}, {"-s", "0.05"}, {"-d", "2.5"}, {"-F", "1."}, {"-p", "1", "-p", "2"},
		{"---x"}, {"-S", "1_0", "-f"}, {"--no-force", "-S", "3"}, {"-S", "-4", "-f", "f"}, {"f"},
		{"-f", "-S", "2", "-F", ".5e1", "f"}, {"--seed", "8", "-f", "-", "f"}, {"-S"}, {"-fS", "3"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			in := []byte("in\n")
			want, wantErr, wantSt := ruby(t, tool, dir, in, nil, args...)
			got, gotErr, gotSt := run(t, dir, in, nil, args...)
			if args[0] == "-h" || args[0] == "--help" || !bytes.Contains(args2(args), []byte("-S")) {
				want, got = strip.ReplaceAll(want, nil), strip.ReplaceAll(got, nil)
			}
			if !bytes.Equal(got, want) || !bytes.Equal(gotErr, wantErr) || gotSt != wantSt {
				t.Errorf("got %d %q %q\nwant %d %q %q", gotSt, got, gotErr, wantSt, want, wantErr)
			}
		})
	}
	// Unreadable files: the same message (on stderr, not stdout), and the
	// remaining files are still processed.
	out, errOut, st := run(t, dir, nil, nil, "missing", "f", dir)
	want := "lolcat: missing: No such file or directory\nlolcat: " + dir + ": Is a directory\n"
	if string(out) != "file\n" || string(errOut) != want || st != 1 {
		t.Fatalf("got %d %q %q", st, out, errOut)
	}
	rOut, _, rSt := ruby(t, tool, dir, nil, nil, "missing")
	if string(rOut) != "lolcat: missing: No such file or directory\n" || rSt != 1 {
		t.Fatalf("ruby: %d %q", rSt, rOut)
	}
}

func args2(a []string) []byte { return []byte(strings.Join(a, " ")) }
