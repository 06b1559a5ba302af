package lolcat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// run runs our lolcat in-process.
func run(t testing.TB, dir string, stdin []byte, env []string, args ...string) (stdout, stderr []byte, status int) {
	var o, e bytes.Buffer
	c := &applet.Ctx{
		Args:   append([]string{"lolcat"}, args...),
		Stdin:  bytes.NewReader(stdin),
		Stdout: &o,
		Stderr: &e,
		Env:    env,
		Dir:    dir,
	}
	status = Main(c)
	return o.Bytes(), e.Bytes(), status
}

// ruby runs /usr/games/lolcat in a UTF-8 locale.
func ruby(t testing.TB, tool, dir string, stdin []byte, env []string, args ...string) ([]byte, []byte, int) {
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin"}, env...)
	// A regular file, not a pipe: Ruby's 4096-byte reads from a pipe
	// depend on timing.
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(stdin)
	f.Seek(0, 0)
	cmd.Stdin = f
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		status = ee.ExitCode()
	}
	return o.Bytes(), e.Bytes(), status
}

var incompleteRE = regexp.MustCompile("(?m)\x1b(?:[ -/]*|[\\]PX^_][^\a\x1b]*|\\[[0-?]*)$")

// rubyDrops reports whether Ruby lolcat would silently lose part of the
// input (see the package comment): a 4096-byte chunk that never becomes
// valid UTF-8 or never stops ending in an escape sequence before EOF.
func rubyDrops(in []byte) bool {
	var buf []byte
	for off := 0; off < len(in); off += chunk {
		buf = append(buf, in[off:min(off+chunk, len(in))]...)
		if utf8.Valid(buf) && !incompleteRE.Match(buf) {
			buf = buf[:0]
		}
	}
	return len(buf) > 0
}

// Building blocks of generated inputs: all complete, valid sequences.
var (
	words   = []string{"lorem", "ipsum", "dolor", "sit", "amet", "moo", "cow", "x", "", "a b", "Hello,", "world!"}
	unicode = []string{"wörld", "日本語", "😀", "e\u0301", "Ωμέγα", "ß", "\u200b", "🇩🇪", "𝄞", "é"}
	escapes = []string{"\x1b[0m", "\x1b[1;31m", "\x1b[38;5;200m", "\x1b[2K", "\x1b[?25l", "\x1b(B", "\x1b)0",
		"\x1b=", "\x1b]0;title\a", "\x1b]8;;http://x\x1b\\", "\x1bPq#0\x1b\\", "\x1b[1 q", "\x1b\x1b", "\x1b#8",
		"\x1b[", "\x1b]2;t\a", "\x1b_apc\x1b\\", "\x1b[12é"}
	controls = []string{"\t", "\r", "\a", "\x00", "\x7f", "\t\t", " \t"}
)

// genText makes a file's content.
func genText(r *rand.Rand) []byte {
	var b strings.Builder
	lines := r.IntN(12)
	if r.IntN(8) == 0 {
		lines = 0
	}
	for l := 0; l < lines; l++ {
		n := r.IntN(20)
		if r.IntN(12) == 0 {
			n = 700 + r.IntN(900) // long lines cross 4096-byte chunks
		}
		for k := 0; k < n; k++ {
			switch x := r.IntN(20); {
			case x < 9:
				b.WriteString(words[r.IntN(len(words))])
				b.WriteByte(' ')
			case x < 13:
				b.WriteString(unicode[r.IntN(len(unicode))])
			case x < 17:
				b.WriteString(escapes[r.IntN(len(escapes))])
				b.WriteByte('z') // never end a line in an escape
			default:
				b.WriteString(controls[r.IntN(len(controls))])
			}
		}
		if l < lines-1 || r.IntN(3) > 0 {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// genNasty makes short inputs from an alphabet of escape fragments, to
// exercise the parser's corners (cases where Ruby drops input are skipped).
func genNasty(r *rand.Rand) []byte {
	alpha := []string{"\x1b", "[", "]", "(", " ", "1", ";", "m", "\a", "a", "\t", "é", "\\", "P", "\n", "#", "?", "日"}
	n := 1 + r.IntN(60)
	var b strings.Builder
	for k := 0; k < n; k++ {
		b.WriteString(alpha[r.IntN(len(alpha))])
	}
	if r.IntN(2) == 0 {
		b.WriteString("x\n")
	}
	return []byte(b.String())
}

func genArgs(r *rand.Rand) []string {
	args := []string{"-f"}
	seeds := []string{"1", "2", "7", "42", "255", "1000", "-3", "123456789", "99"}
	args = append(args, "-S", seeds[r.IntN(len(seeds))])
	if r.IntN(3) == 0 {
		args = append(args, "-t")
	}
	if r.IntN(4) == 0 {
		args = append(args, "-i")
	}
	if r.IntN(3) == 0 {
		fs := []string{"0.1", "0.05", "0.3", "1", "2.5", "-0.2", "0.7", "1e-1"}
		if r.IntN(2) == 0 {
			args = append(args, "-F", fs[r.IntN(len(fs))])
		} else {
			args = append(args, "--freq="+fs[r.IntN(len(fs))])
		}
	}
	if r.IntN(12) == 0 {
		args = append(args, "-a", "-d", "2", "-s", "1000") // 1 ms frames
	}
	if r.IntN(3) == 0 {
		ps := []string{"0.5", "1", "3", "7.5", "100", "0.1", "2"}
		args = append(args, "-p", ps[r.IntN(len(ps))])
	}
	return args
}

// TestDifferential compares generated cases byte for byte with Ruby.
func TestDifferential(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	const cases = 150
	r := rand.New(rand.NewPCG(4, uint64(cases)))
	type tc struct {
		name  string
		args  []string
		files map[string][]byte
		stdin []byte
		env   []string
	}
	var all []tc
	for i := 0; i < cases; i++ {
		c := tc{name: fmt.Sprint(i), args: genArgs(r), files: map[string][]byte{}}
		gen := genText
		if i%4 == 3 {
			gen = genNasty
		}
		switch k := r.IntN(4); k {
		case 0:
			c.stdin = gen(r)
		default:
			for j := 0; j < k; j++ {
				name := fmt.Sprintf("f%d", j)
				c.files[name] = gen(r)
				c.args = append(c.args, name)
			}
			if r.IntN(4) == 0 {
				c.stdin = gen(r)
				c.args = append(c.args, "-")
			}
		}
		if r.IntN(10) == 0 {
			c.env = []string{"COLORTERM=truecolor"}
		}
		drops := rubyDrops(c.stdin)
		for _, f := range c.files {
			drops = drops || rubyDrops(f)
		}
		if drops {
			continue
		}
		all = append(all, c)
	}
	// Fixed cases for the chunk logic: a line exactly at, around and
	// across 4096-byte boundaries, with multi-byte characters and escape
	// sequences straddling them, and several pieces per line.
	for _, n := range []int{4095, 4096, 4097, 8193} {
		for _, fill := range []string{"a", "é", "日", "😀", "\x1b[1mq", "\x1b]0;t\ab", "\t"} {
			var b bytes.Buffer
			for b.Len() < n {
				b.WriteString(fill)
			}
			b.WriteString("\nnext line\n")
			all = append(all, tc{name: fmt.Sprintf("chunk%d_%q", n, fill), args: []string{"-f", "-S", "9", "f0"},
				files: map[string][]byte{"f0": b.Bytes()}})
		}
	}
	var lines200 []byte
	for n := 1; n <= 200; n++ {
		lines200 = fmt.Appendf(lines200, "line %d\n", n)
	}
	all = append(all,
		tc{name: "empty", args: []string{"-f", "-S", "5"}, stdin: nil},
		tc{name: "emptyfiles", args: []string{"-f", "-S", "5", "f0", "-", "f0"}, files: map[string][]byte{"f0": nil}},
		tc{name: "noeol-then-file", args: []string{"-f", "-S", "5", "f0", "f1"},
			files: map[string][]byte{"f0": []byte("abc"), "f1": []byte("x\ny\nz\n")}},
		tc{name: "colorterm24", args: []string{"-f", "-S", "5"}, stdin: []byte("hello\n"), env: []string{"COLORTERM=24bit"}},
		tc{name: "cluster", args: []string{"-fti", "-S", "17", "--spread", "2"}, stdin: []byte("hello\tworld\n")},
		tc{name: "options-after-files", args: []string{"f0", "-f", "--seed=3", "-F", "0.5"}, files: map[string][]byte{"f0": []byte("x y z\n")}},
		// Huge seeds and frequencies: freq*x beyond ~1e16 swallows the
		// phases, the channels come out equal and Paint picks a grey.
		// 200 lines: Ruby's offset is an exact Integer, float64(seed+n)
		// moves by 128 every 128 lines at 1e18.
		tc{name: "seed1e18", args: []string{"-f", "-S", "1000000000000000000", "f0"}, files: map[string][]byte{"f0": lines200}},
		tc{name: "seed-1e18", args: []string{"-f", "-S", "-1000000000000000000", "f0"}, files: map[string][]byte{"f0": lines200}},
		tc{name: "seed1e18t", args: []string{"-f", "-t", "-S", "1_000_000_000_000_000_000", "f0"}, files: map[string][]byte{"f0": lines200}},
		tc{name: "seed2^53+1", args: []string{"-f", "-S", "9007199254740993", "f0"}, files: map[string][]byte{"f0": lines200}},
		tc{name: "freq1e17", args: []string{"-f", "-S", "1", "-F", "1e17"}, stdin: []byte("hi there\nmoo\n")},
		tc{name: "freq1e20", args: []string{"-f", "-S", "1", "-F", "1e20"}, stdin: []byte("hi there\nmoo\n")},
		tc{name: "freq1e100", args: []string{"-f", "-S", "1", "-F", "1e100", "-p", "0.7"}, stdin: []byte("hi there\nmoo\n")},
		tc{name: "freq-1e17i", args: []string{"-f", "-i", "-S", "3", "-F", "-1e17"}, stdin: []byte("hi there\nmoo\n")},
		tc{name: "dashdash", args: []string{"-f", "-S", "3", "--", "-p"}, files: map[string][]byte{"-p": []byte("file named -p\n")}},
	)
	// Inputs big enough for the lookup tables to take over (they are built
	// after 32768 units).
	big := bigInput(50000)
	for k, a := range [][]string{{}, {"-t"}, {"-t", "-i", "-F", "0.3"}, {"-i", "-p", "1"}} {
		all = append(all, tc{name: fmt.Sprint("big", k), args: append([]string{"-f", "-S", "77", "f0"}, a...),
			files: map[string][]byte{"f0": big}})
	}
	uni := bytes.Repeat([]byte("Grüße aus 日本 — naïve café 😀 e\u0301\tx\n"), 1200)
	all = append(all, tc{name: "bigutf8", args: []string{"-f", "-S", "3", "f0"}, files: map[string][]byte{"f0": uni}},
		tc{name: "bigutf8t", args: []string{"-f", "-S", "3", "-t", "f0"}, files: map[string][]byte{"f0": uni}})
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, data := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, wantErr, wantSt := ruby(t, tool, dir, c.stdin, c.env, c.args...)
			got, gotErr, gotSt := run(t, dir, c.stdin, c.env, c.args...)
			if !bytes.Equal(got, want) || gotSt != wantSt || !bytes.Equal(gotErr, wantErr) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("args %q files %q stdin %q\nstatus %d want %d, stderr %q want %q\nfirst difference at byte %d of %d/%d:\n got %q\nwant %q",
					c.args, c.files, c.stdin, gotSt, wantSt, gotErr, wantErr, i, len(got), len(want),
					got[max(0, i-40):min(len(got), i+60)], want[max(0, i-40):min(len(want), i+60)])
			}
		})
	}
}

// TestNoInputLoss pins the deliberate difference: where Ruby lolcat
// silently drops input, moobox paints all of it.
func TestNoInputLoss(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	for _, in := range []string{"ok\nbad \xff byte\nmore\n", "ends in an escape\x1b[", "line\x1b\nnext\n", "osc \x1b]0;t\nx\n"} {
		if !rubyDrops([]byte(in)) {
			t.Errorf("%q: rubyDrops says Ruby keeps it", in)
		}
		want, _, _ := ruby(t, tool, t.TempDir(), []byte(in), nil, "-f", "-S", "3")
		got, _, st := run(t, "", []byte(in), nil, "-f", "-S", "3")
		if subsequence([]byte(in), want) {
			t.Errorf("%q: Ruby no longer drops input: %q", in, want)
		}
		if !subsequence([]byte(in), got) || st != 0 {
			t.Errorf("%q: lost input: %q", in, got)
		}
	}
}

// TestAnimateLongPieces: with -a, a line whose 4096-byte chunks all end
// inside a character, or an escape sequence that runs over many chunks
// and then ends, is held whole as Ruby holds it (not cut at 64 KiB).
func TestAnimateLongPieces(t *testing.T) {
	tool := testutil.RequireTool(t, "lolcat", "lolcat")
	b64 := strings.Repeat("QUJDRA==", 15000)
	for name, in := range map[string]string{
		// 'a' then 4-byte characters: every chunk end splits one.
		"emoji": "a" + strings.Repeat("😀", 40000) + "\nok\n",
		"osc":   "img \x1b]1337;File=:" + b64 + "\a after\nnext\n",
		"csi":   "x\x1b[" + strings.Repeat("1", 140000) + "m y\nz\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-f", "-a", "-d", "1", "-s", "1000000000", "-S", "3"}
			want, _, _ := ruby(t, tool, "", []byte(in), nil, args...)
			got, _, st := run(t, "", []byte(in), nil, args...)
			if !bytes.Equal(got, want) || st != 0 {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("status %d, first difference at byte %d of %d/%d:\n got %q\nwant %q", st, i, len(got), len(want),
					got[max(0, i-40):min(len(got), i+60)], want[max(0, i-40):min(len(want), i+60)])
			}
		})
	}
}

// TestAnimateForcedCut: past animMax -a cuts a piece Ruby would hold, but
// never inside a character, and the rest of a cut escape sequence stays
// escape bytes instead of being painted as text.
func TestAnimateForcedCut(t *testing.T) {
	args := []string{"-f", "-a", "-d", "1", "-s", "1000000000", "-S", "3"}
	in := "a" + strings.Repeat("😀", (animMax*5/2)/4) + "\n"
	got, _, _ := run(t, "", []byte(in), nil, args...)
	if !utf8.Valid(got) {
		t.Errorf("emoji line: invalid UTF-8 in the output")
	}
	plain := regexp.MustCompile("\x1b(?:\\[[0-9;?]*[a-zA-Z]|[78])").ReplaceAll(got, nil)
	if string(plain) != in {
		t.Errorf("emoji line: text changed (%d bytes, want %d)", len(plain), len(in))
	}
	body := strings.Repeat("QUJD", animMax*3/8)
	in = "\x1b]1337;File=:" + body + "\az\n"
	got, _, _ = run(t, "", []byte(in), nil, args...)
	if m := regexp.MustCompile("m[QUJD]\x1b\\[39m").FindAll(got, 3); len(m) > 0 {
		t.Errorf("OSC body painted as text: %q", m)
	}
	if !bytes.Contains(got, []byte("mz\x1b[39m")) {
		t.Errorf("the text after the OSC is not painted")
	}
	// A forced cut that lands on the end of the file leaves a split
	// character or a lone ESC waiting; it is painted, not lost, whether
	// another file follows or not.
	eacute := strings.Repeat("\u00e9", animMax/2)
	for _, c := range []struct{ name, in string }{
		{"split character", ("a" + eacute)[:animMax]},
		{"lone ESC", ("a" + eacute)[:animMax-1] + "\x1b"},
	} {
		last := c.in[len(c.in)-1:]
		got, _, _ := run(t, "", []byte(c.in), nil, args...)
		if !bytes.Contains(got[max(0, len(got)-100):], []byte(last+"\x1b[39m")) {
			t.Errorf("%s at the end of the input: the last byte %q is lost (output ends %q)", c.name, last, got[max(0, len(got)-40):])
		}
		dir := t.TempDir()
		f1, f2 := filepath.Join(dir, "f1"), filepath.Join(dir, "f2")
		os.WriteFile(f1, []byte(c.in), 0o644)
		os.WriteFile(f2, []byte("b\n"), 0o644)
		got, _, _ = run(t, "", nil, nil, append(args, f1, f2)...)
		if n := bytes.Count(got, []byte(last+"\x1b[39m")); n < 1 {
			t.Errorf("%s at the end of the first file: its last byte %q is lost", c.name, last)
		}
	}
}
