package cowsay

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rivo/uniseg"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// run invokes the applet in-process.
func run(name string, args []string, stdin string, env ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	c := &applet.Ctx{
		Args:   append([]string{name}, args...),
		Stdin:  strings.NewReader(stdin),
		Stdout: &o,
		Stderr: &e,
		Env:    env,
		Dir:    "/",
	}
	code = Main(c)
	return o.String(), e.String(), code
}

type diffCase struct {
	name   string // cowsay or cowthink
	args   []string
	stdin  string
	compat bool // moobox needs --compat to match (documented difference)
	// With compat: also compare moobox's default mode with Perl when
	// Perl's wrapping at -W width cuts no grapheme cluster.
	alsoDefault bool
	width       int
	prefix      bool     // moobox prints more after Perl's output (-l)
	env         []string // more environment for Perl
}

func (d diffCase) String() string {
	return fmt.Sprintf("%s %q stdin=%q", d.name, d.args, d.stdin)
}

// Messages that Perl cowsay and moobox measure alike.
var diffMessages = []string{
	"hi",
	"The quick brown fox jumps over the lazy dog, then keeps running across the field until night falls.",
	"Supercalifragilisticexpialidocious-antidisestablishmentarianism is long",
	"  leading and trailing spaces   ",
	"tabs\there\tand\tthere",
	"line one\nline two\n  new paragraph\n\n\n  another one\n",
	"日本語のテキストを折り返す 中文字符 한국어 텍스트 wide characters",
	"e\u0301te\u0301 cafe\u0301 combining marks Z\u0335\u0321a\u0334l\u0336g\u0337o",
	"emoji 😀 🐄 🐮 single code points",
	"nbsp\u00a0\u00a0and ideographic\u3000space\r\nCRLF",
	"",
	"0",
	"x",
	"$eyes @array \\ backslash %s %d",
}

// Messages where moobox's default measure is right and Perl's is not.
var compatMessages = []string{
	"\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[0m text, long enough to wrap around",
	"control\x01chars\x7f here",
	"family 👨‍👩‍👧 flag 🇫🇷 heart ❤️ thumbs 👍🏽",
	"\x1b[31mred\x1b[m text \x1b[38:5:208mred\x1b[0m \x1b[01;31m\x1b[Kmatch\x1b[m\x1b[K",
	"\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\ and \x1b]8;;https://example.com/\alink\x1b]8;;\a",
	"🇫🇷🇯🇵🇩🇪 👨‍👩‍👧👨‍👩‍👧 ab🏻cd xy ᄀ\u1161ᄀ\u1161",
}

func perlStdout(perl string, dc diffCase) (string, int) {
	args := dc.args
	cmd := exec.Command(perl, args...)
	cmd.Env = append([]string{"LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin"}, dc.env...)
	cmd.Stdin = strings.NewReader(dc.stdin)
	var o bytes.Buffer
	cmd.Stdout = &o
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return "run error: " + err.Error(), -1
	}
	return o.String(), code
}

// runDiff compares every case against the Perl tools, several at a time.
func runDiff(t *testing.T, cases []diffCase) {
	t.Helper()
	cowsay := testutil.RequireTool(t, "cowsay", "cowsay")
	cowthink := filepath.Join(filepath.Dir(cowsay), "cowthink")
	if _, err := os.Stat(cowthink); err != nil {
		testutil.Missing(t, "cowthink not found next to "+cowsay+"; install Debian package cowsay")
	}
	type result struct {
		dc   diffCase
		msg  string
		fail bool
	}
	var mu sync.Mutex
	var failures []string
	defaultCompared := 0
	jobs := make(chan diffCase)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dc := range jobs {
				perl := cowsay
				if dc.name == "cowthink" {
					perl = cowthink
				}
				want, wantCode := perlStdout(perl, dc)
				args := dc.args
				if dc.compat {
					args = append([]string{"--compat"}, args...)
				}
				got, stderr, code := run(dc.name, args, dc.stdin)
				if dc.prefix && strings.HasPrefix(got, want) {
					got = want
				}
				mode := ""
				if got == want && code == wantCode && dc.alsoDefault && !perlCutsCluster(want, dc.width) {
					got, stderr, code = run(dc.name, dc.args, dc.stdin)
					mode = " (default mode)"
					mu.Lock()
					defaultCompared++
					mu.Unlock()
				}
				if got != want || code != wantCode {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%v%s:\nexit %d, want %d; stderr %q\n--- got\n%s--- want\n%s",
						dc, mode, code, wantCode, stderr, got, want))
					mu.Unlock()
				}
			}
		}()
	}
	for _, dc := range cases {
		jobs <- dc
	}
	close(jobs)
	wg.Wait()
	sort.Strings(failures)
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more differences", len(failures)-10)
			break
		}
		t.Error(f)
	}
	t.Logf("%d cases (%d compat cases also in default mode), %d differences", len(cases), defaultCompared, len(failures))
}

// perlCutsCluster reports whether the balloon Perl printed for -W w might
// break a line inside a grapheme cluster, where moobox's default wrapping
// does not. A break at a space never does; a line shorter than w-1
// characters ended at a space, so only a full line (an over-long word cut)
// whose end and the next line's start join into one cluster counts.
func perlCutsCluster(out string, w int) bool {
	lines := strings.Split(out, "\n")
	var text []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " -") || len(l) < 4 {
			break
		}
		text = append(text, strings.TrimRight(l[2:len(l)-2], " "))
	}
	for i := 0; i+1 < len(text); i++ {
		l1, l2 := text[i], text[i+1]
		if l1 == "" || l2 == "" {
			continue
		}
		units := 0
		for _, r := range l1 {
			if !isMark(r) {
				units++
			}
		}
		if units < w-1 {
			continue
		}
		g, boundary := uniseg.NewGraphemes(l1+l2), false
		for g.Next() {
			if _, to := g.Positions(); to >= len(l1) {
				boundary = to == len(l1)
				break
			}
		}
		if !boundary {
			return true
		}
	}
	return false
}

func stockCows(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(defaultCowPath, "*.cow"))
	if len(files) == 0 {
		testutil.Missing(t, "no cows in "+defaultCowPath+"; install Debian package cowsay")
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".cow"))
	}
	return names
}

// TestDiffAllCows runs every stock cow, as cowsay and cowthink, with a
// rotating sample of the message set, from arguments and from stdin, and
// the face options in turn.
func TestDiffAllCows(t *testing.T) {
	cows := stockCows(t)
	faces := []string{"-b", "-g", "-p", "-s", "-t", "-w", "-y"}
	var cases []diffCase
	for i, cow := range cows {
		for j := 0; j < 4; j++ {
			m := diffMessages[(i*4+j)%len(diffMessages)]
			name := "cowsay"
			if j%2 == 1 {
				name = "cowthink"
			}
			args := []string{"-f", cow}
			if j < 2 {
				args = append(args, faces[(i*2+j)%len(faces)])
			}
			if j == 2 {
				cases = append(cases, diffCase{name: name, args: args, stdin: m})
			} else {
				cases = append(cases, diffCase{name: name, args: append(args, m)})
			}
		}
		// Faces and the three-eyes/calvin Perl, on every cow.
		cases = append(cases,
			diffCase{name: "cowsay", args: []string{"-d", "-f", cow, "dead"}},
			diffCase{name: "cowthink", args: []string{"-e", "^Q", "-T", "Ww", "-f", cow, "eyes and tongue"}, stdin: "a\nb\n"},
		)
	}
	runDiff(t, cases)
}

// TestDiffOptions runs every option and the message set on a few cows.
func TestDiffOptions(t *testing.T) {
	var cases []diffCase
	optionSets := [][]string{
		{}, {"-b"}, {"-d"}, {"-g"}, {"-p"}, {"-s"}, {"-t"}, {"-w"}, {"-y"},
		{"-bdgpstwy"}, {"-y", "-b"}, {"-sd"}, {"-e", "XY"}, {"-e", "X"}, {"-e", "XYZ"},
		{"-e", ""}, {"-eé€"}, {"-T", "U"}, {"-T", "ULZ"}, {"-TV"}, {"-W", "10"}, {"-W10"},
		{"-W", "2"}, {"-W", "3"}, {"-W", "100"}, {"-W", "1"}, {"-W", "0"}, {"-W", "-5"},
		{"-W", "abc"}, {"-W", "12abc"}, {"-W", " 7"}, {"-W", "1e1"}, {"-L", "-N"}, {"-LN"},
		{"-x"}, {"-xb"}, {"-:"}, {"-fdefault"}, {"-f", "default.cow"}, {"-bW20"},
		{"--"}, {"-b", "--"}, {"-W"}, {"-e"}, {"-T"},
	}
	cows := []string{"default", "three-eyes", "calvin", "sheep", "tux"}
	for i, opts := range optionSets {
		for j, m := range diffMessages {
			if (i+j)%3 != 0 && len(opts) > 0 {
				continue // sample: every option sees a third of the messages
			}
			cow := cows[(i+j)%len(cows)]
			name := "cowsay"
			if (i+j)%4 == 1 {
				name = "cowthink"
			}
			args := append(append([]string{"-f", cow}, opts...), m)
			if m == "" || m == "0" || len(opts) > 0 && strings.HasPrefix(opts[len(opts)-1], "-W") && len(opts[len(opts)-1]) == 2 {
				// An empty or "0" first argument reads stdin.
				cases = append(cases, diffCase{name: name, args: args, stdin: diffMessages[(i+j+1)%len(diffMessages)]})
			} else {
				cases = append(cases, diffCase{name: name, args: args})
			}
			if len(opts) > 0 && strings.HasPrefix(opts[len(opts)-1], "-") && len(opts[len(opts)-1]) == 2 &&
				strings.Contains("eTW", opts[len(opts)-1][1:]) {
				// An option that takes the next argument: give none.
				cases = append(cases, diffCase{name: name, args: opts, stdin: m})
			}
		}
	}
	// -n: no wrapping, tabs expanded, from stdin only.
	for i, m := range diffMessages {
		// Control characters survive -n: moobox counts them 0 columns wide.
		cases = append(cases, diffCase{name: []string{"cowsay", "cowthink"}[i%2], args: []string{"-n"}, stdin: m,
			compat: strings.ContainsAny(m, "\r\x01\x7f")})
	}
	cases = append(cases,
		diffCase{name: "cowsay", args: []string{"-n", "with", "args"}},
		diffCase{name: "cowsay", args: []string{"-h"}},
		diffCase{name: "cowsay", args: []string{"-h", "message"}},
		diffCase{name: "cowsay", args: []string{"-f", "no-such-cow", "moo"}},
		diffCase{name: "cowsay", args: []string{"-f", "", "moo"}},
		diffCase{name: "cowsay", args: []string{"0", "ignored", "args"}, stdin: "from stdin"},
		diffCase{name: "cowsay", args: []string{"", "ignored"}, stdin: "from stdin\n"},
		diffCase{name: "cowsay", args: []string{"00"}},
		diffCase{name: "cowsay", args: []string{"-"}},
		diffCase{name: "cowsay", args: []string{"a", "", "b"}},
		diffCase{name: "cowsay", args: []string{"-f", "calvin"}, stdin: ""},
		diffCase{name: "cowsay", args: []string{"-f", "calvin"}, stdin: "no newline at end"},
		diffCase{name: "cowsay", args: []string{"-f", "calvin"}, stdin: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n"},
		diffCase{name: "cowsay", args: []string{"-n", "-f", "calvin"}, stdin: "\n\n\n"},
		diffCase{name: "cowsay", args: []string{"-n"}, stdin: "\x1b[31mtab\x1b[m\tx\n\x1b]8;;u\x1b\\a\x1b]8;;\x1b\\\tb\n", compat: true},
		diffCase{name: "cowsay", args: []string{"-W", "0"}, stdin: "a\n  b\n  c d\n"},
		diffCase{name: "cowsay", args: []string{"-W", "1"}, stdin: "\n  \n  x y\n"},
		diffCase{name: "cowsay", args: []string{"-l"}, prefix: true},
		diffCase{name: "cowthink", args: []string{"-l", "-b", "ignored"}, prefix: true},
		diffCase{name: "cowsay", args: []string{strings.Repeat("word ", 1000)}},
		diffCase{name: "cowsay", args: []string{strings.Repeat("x", 300)}},
	)
	for i, m := range compatMessages {
		for _, w := range []string{"40", "12", "5"} {
			cases = append(cases,
				diffCase{name: []string{"cowsay", "cowthink"}[i%2], args: []string{"-W", w, m}, compat: true},
				diffCase{name: "cowsay", args: []string{"-W", w}, stdin: m + "\n\n  " + m, compat: true},
			)
		}
	}
	runDiff(t, cases)
}

// TestDiffRandomText wraps generated text of every kind of character the
// wrapper treats specially, at random widths.
func TestDiffRandomText(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	pieces := []string{
		"a", "b", "moo", "cow", "lorem", "ipsum", "dolor", "x", "averyveryverylongwordindeed",
		" ", " ", " ", "  ", "\t", "\n", "\n ", "\n\n", "\r", "\u00a0", "\u3000",
		"é", "e\u0301", "\u0301", "日本", "語", "😀", "ß", "-", ".", ",", "ᄀ\u1161", "\u200b",
		// Prepend characters join the next character, a space too.
		"\u0600", "\u0605 ", "\u06dd", "\u0d4e",
	}
	var cases []diffCase
	for i := 0; i < 200; i++ {
		var b strings.Builder
		n := rng.IntN(60)
		for j := 0; j < n; j++ {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		m := b.String()
		width := 2 + rng.IntN(30)
		w := fmt.Sprint(width)
		name := []string{"cowsay", "cowthink"}[i%2]
		// Perl may cut a jamo syllable (ᄀ + ᅡ) that moobox keeps whole.
		compat := spansUnits(m)
		dc := diffCase{name: name, args: []string{"-W", w}, stdin: m, compat: compat, alsoDefault: compat, width: width}
		if i%3 != 0 {
			if m == "" || m == "0" {
				continue
			}
			dc.args, dc.stdin = []string{"-W", w, "--", m}, ""
		}
		cases = append(cases, dc)
	}
	runDiff(t, cases)
}

// TestDiffPrepend: a Prepend character (U+0600) joins the space after it
// into one grapheme cluster, but Perl breaks lines at that space and so
// does moobox's default wrapping.
func TestDiffPrepend(t *testing.T) {
	var cases []diffCase
	for _, c := range []struct{ w, m string }{
		{"6", "ab\u0600 cd"}, {"3", "a\u0600 b"}, {"5", "ab\u0600 cd"}, {"4", "x\u06dd y"},
		{"6", "ab\u0d4e\u00a0cd"}, {"7", "\u0605 \u0605 \u0605 x"}, {"3", "\U000110bd  ab"},
	} {
		cases = append(cases, diffCase{name: "cowsay", args: []string{"-W", c.w, c.m}},
			diffCase{name: "cowthink", args: []string{"-W", c.w}, stdin: c.m + "\n"})
	}
	runDiff(t, cases)
}

// spansUnits reports whether a grapheme cluster of s that does not start
// with whitespace holds several Perl characters (\PM\pM*): moobox's
// default wrapping does not cut there and Perl's may.
func spansUnits(s string) bool {
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		rs := g.Runes()
		if isPerlSpace(rs[0]) {
			continue
		}
		n := 0
		for _, r := range rs {
			if !isMark(r) {
				n++
			}
		}
		if n > 1 {
			return true
		}
	}
	return false
}

// TestDiffCowFiles runs cow files written for the test against Perl's:
// CR LF line ends (Perl reads CR LF as LF throughout the source), and
// cowsay's own variables, which a cow file can read.
func TestDiffCowFiles(t *testing.T) {
	dir := t.TempDir()
	var cases []diffCase
	for i, src := range []string{
		"$the_cow = <<EOC;\r\nCRLF $eyes\r\nEOC\r\n",
		"$the_cow = <<\"EOC\";\r\nA $eyes\r\nB\r\nEOC\r\n$x = \"q\";\r\n",
		"$the_cow = <<EOC;\r\nA\r\nEOC\n",
		"$the_cow = <<EOC;\nA\r\nEOC\r\n",
		"$the_cow = \"a\r\nb\";\r\n",
		"$the_cow = \"a\r\r\nb\rc\";\r\n",
		"$the_cow = 'a\r\nb' . <<'X';\r\nq\r\r\nX\r\n",
		"##\r\n## a comment\r\n##\r\n$the_cow = <<EOC;\r\n   $thoughts  ${eyes}\r\n    $thoughts $tongue\r\nEOC\r\n",
	} {
		f := filepath.Join(dir, fmt.Sprintf("c%d.cow", i))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, diffCase{name: "cowsay", args: []string{"-f", f, "hi"}},
			diffCase{name: "cowthink", args: []string{"-d", "-f", f, "hi"}})
	}
	vars := filepath.Join(dir, "vars.cow")
	if err := os.WriteFile(vars, []byte(`$the_cow = <<EOC;
[$version][$progname][$borg][$cowpath][$pathsep][$dead][$greedy][$paranoid][$stoned][$tired][$wired][$young]
[$V][$the_cow][$thoughts][$eyes][$tongue][$f][$full][$_][@opts][$opts][$unknown]
[@message][@ARGV][@balloon_lines]
EOC
$the_cow .= "$version$progname" . $borg . $young . "@message";
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]string{{}, {"-b"}, {"-bdgpstwy"}, {"-y", "-W", "5"}, {"-n"}, {"-s", "-e", "^^"}} {
		args := append(append([]string{"-f", vars}, opts...), "a longer", "message")
		cases = append(cases, diffCase{name: "cowsay", args: args}, diffCase{name: "cowthink", args: args})
		args = append([]string{"-f", vars}, opts...)
		cases = append(cases, diffCase{name: "cowsay", args: args, stdin: "one\ntwo\n  three\n"},
			diffCase{name: "cowthink", args: args, stdin: ""})
	}
	runDiff(t, cases)
}

// TestDocumentedDifferences pins the differences the package doc lists
// beside Perl's own behaviour, so that both sides are known to be real.
func TestDocumentedDifferences(t *testing.T) {
	perl := testutil.RequireTool(t, "cowsay", "cowsay")
	dir := t.TempDir()

	// A UTF-8 cow file: Perl reads its bytes as Latin-1 and prints each
	// as a character (double-encoded); moobox prints the text.
	utf := filepath.Join(dir, "utf8.cow")
	if err := os.WriteFile(utf, []byte("$the_cow = \"caf\u00e9 $eyes\\n\";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dc := diffCase{name: "cowsay", args: []string{"-f", utf, "hi"}}
	want, _ := perlStdout(perl, dc)
	got, _, _ := run("cowsay", dc.args, "")
	if !strings.HasSuffix(want, "\ncaf\u00c3\u00a9 oo\n") || !strings.HasSuffix(got, "\ncaf\u00e9 oo\n") {
		t.Errorf("UTF-8 cow file: Perl %q, moobox %q", want, got)
	}

	// Outside a UTF-8 locale Perl measures bytes; moobox reads UTF-8
	// whatever the locale (it does not look at LC_ALL or LANG).
	dc = diffCase{name: "cowsay", args: []string{"日本 x"}, env: []string{"LC_ALL=C"}}
	want, _ = perlStdout(perl, dc)
	got, _, _ = run("cowsay", dc.args, "", "LC_ALL=C")
	if !strings.HasPrefix(want, " __\n< 日本 x  >\n") || !strings.HasPrefix(got, " ________\n< 日本 x >\n") {
		t.Errorf("LC_ALL=C: Perl %q, moobox %q", want, got)
	}

	// cowthink is the program whose file name holds "think"; Perl looks
	// for "think" anywhere in the path it was run by.
	link := filepath.Join(dir, "thinking", "cowsay")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(perl, link); err != nil {
		t.Fatal(err)
	}
	want, _ = perlStdout(link, diffCase{args: []string{"hi"}})
	got, _, _ = run(link, []string{"hi"}, "")
	if !strings.HasPrefix(want, " ____\n( hi )\n") || !strings.HasPrefix(got, " ____\n< hi >\n") {
		t.Errorf("%s: Perl %q, moobox %q", link, want, got)
	}
	if got, _, _ = run("/usr/local/bin/CowThink", []string{"hi"}, ""); !strings.HasPrefix(got, " ____\n( hi )\n") {
		t.Errorf("CowThink: %q", got)
	}
}
