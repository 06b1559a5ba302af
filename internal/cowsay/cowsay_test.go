package cowsay

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/moobox/moobox/internal/textwidth"

	"github.com/moobox/moobox/cows"
	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// runNoCows runs the applet on a system without a cow directory, as in
// the scratch image.
func runNoCows(t *testing.T, name string, args []string, stdin string, env ...string) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	c := &applet.Ctx{
		Args:   append([]string{name}, args...),
		Stdin:  strings.NewReader(stdin),
		Stdout: &o,
		Stderr: &e,
		Env:    env,
		Dir:    t.TempDir(),
	}
	code := mainWith(c, filepath.Join(c.Dir, "no-such-dir"))
	return o.String(), e.String(), code
}

// The default cow of cowsay 3.03, as it prints.
const defaultHi = ` ____
< hi >
 ----
        \   ^__^
         \  (oo)\_______
            (__)\       )\/\
                ||     ||
`

func TestEmbeddedDefaultCow(t *testing.T) {
	got, stderr, code := runNoCows(t, "cowsay", []string{"hi"}, "")
	want := strings.Replace(defaultHi, "                ||     ||\n",
		"                ||----w |\n                ||     ||\n", 1)
	if got != want || code != 0 {
		t.Fatalf("exit %d, stderr %q\n--- got\n%s--- want\n%s", code, stderr, got, want)
	}
}

// TestEmbeddedDefaultMatchesPerl checks moobox's own default cow, with no
// cow directory, against Perl cowsay's stock one under every face option,
// as cowsay and cowthink.
func TestEmbeddedDefaultMatchesPerl(t *testing.T) {
	perl := testutil.RequireTool(t, "cowsay", "cowsay")
	for _, opts := range [][]string{{}, {"-b"}, {"-d"}, {"-g"}, {"-p"}, {"-s"}, {"-t"}, {"-w"}, {"-y"}, {"-e", "Qq", "-T", "VV"}} {
		for _, name := range []string{"cowsay", "cowthink"} {
			args := append(append([]string{}, opts...), "a message", "long enough to wrap over two lines")
			want, wantCode := perlStdout(filepath.Join(filepath.Dir(perl), name), diffCase{name: name, args: args})
			got, _, code := runNoCows(t, name, args, "")
			if got != want || code != wantCode {
				t.Errorf("%s %q: embedded default differs from the stock one\n--- got\n%s--- want\n%s", name, opts, got, want)
			}
		}
	}
}

func TestEmbeddedCows(t *testing.T) {
	entries, err := fs.ReadDir(cows.FS, ".")
	if err != nil || len(entries) < 4 {
		t.Fatalf("embedded cows: %v, %d files", err, len(entries))
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".cow")
		for _, prog := range []string{"cowsay", "cowthink"} {
			for _, opt := range []string{"-b", "-d", "-e@@", "-TUU"} {
				out, stderr, code := runNoCows(t, prog, []string{opt, "-f", name, "moo"}, "")
				if code != 0 || stderr != "" {
					t.Fatalf("%s %s -f %s: exit %d: %s", prog, opt, name, code, stderr)
				}
				for i, l := range strings.Split(out, "\n") {
					if strings.TrimRight(l, " ") != l {
						t.Errorf("%s -f %s: line %d has trailing spaces: %q", prog, name, i+1, l)
					}
				}
			}
		}
	}
	// -l lists them, with no system directory.
	out, _, code := runNoCows(t, "cowsay", []string{"-l"}, "")
	if code != 0 || !strings.HasPrefix(out, "Cow files built into moobox:\n") ||
		!strings.Contains(out, "gopher") || !strings.Contains(out, "default") {
		t.Errorf("-l without a cow directory: exit %d\n%s", code, out)
	}
}

func TestCowPathLookup(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.cow"), []byte("$the_cow = \"mine $eyes\\n\";\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "default.cow"), []byte("$the_cow = 'override';\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "plain"), []byte("$the_cow = \"plain\\n\";"), 0o644)
	env := "COWPATH=/no/such/dir:" + dir
	for _, tc := range []struct {
		args []string
		tail string
		code int
	}{
		{[]string{"-f", "mine", "x"}, "mine oo\n", 0},
		{[]string{"-f", "mine.cow", "x"}, "mine oo\n", 0},
		{[]string{"-f", "plain", "x"}, "plain\n", 0},
		{[]string{"x"}, "-\noverride", 0},        // COWPATH's default wins
		{[]string{"-f", "gopher", "x"}, "\n", 0}, // then moobox's own
		{[]string{"-f", dir + "/mine.cow", "x"}, "mine oo\n", 0},
		{[]string{"-f", "nope", "x"}, "", 2},
	} {
		out, stderr, code := run("cowsay", tc.args, "", env)
		if code != tc.code || !strings.HasSuffix(out, tc.tail) {
			t.Errorf("%q: exit %d (stderr %q), output %q", tc.args, code, stderr, out)
		}
		if code == 2 && stderr != "cowsay: Could not find nope cowfile!\n" {
			t.Errorf("%q: stderr %q", tc.args, stderr)
		}
	}
	// -l with a missing COWPATH directory: Perl's error, exit 2.
	out, stderr, code := run("cowsay", []string{"-l"}, "", env)
	if code != 2 || out != "Cow files in /no/such/dir:\n" || !strings.Contains(stderr, "Cannot open /no/such/dir") {
		t.Errorf("-l: exit %d, out %q, stderr %q", code, out, stderr)
	}
	out, _, code = run("cowsay", []string{"-l"}, "", "COWPATH="+dir)
	want := "Cow files in " + dir + ":\ndefault mine\nCow files built into moobox:\n"
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("-l: exit %d\n%s", code, out)
	}
}

func TestRandomCow(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.cow"), []byte("$the_cow = \"cow-a\\n\";\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.cow"), []byte("$the_cow = \"cow-b\\n\";\n"), 0o644)
	env := "COWPATH=" + dir
	possible := map[string]bool{}
	for _, n := range append([]string{"a", "b"}, embeddedNames()...) {
		out, _, code := run("cowsay", []string{"-f", n, "moo"}, "", env)
		if code != 0 {
			t.Fatalf("-f %s: exit %d", n, code)
		}
		possible[out] = true
	}
	seen := map[string]bool{}
	for i := 0; i < 60; i++ {
		args := []string{"-r", "moo"}
		if i%2 == 1 {
			args = []string{"--random", "-f", "a", "moo"} // -r wins over -f
		}
		out, stderr, code := run("cowsay", args, "", env)
		if code != 0 || !possible[out] {
			t.Fatalf("%q: exit %d, stderr %q, unexpected output\n%s", args, code, stderr, out)
		}
		seen[out] = true
	}
	if len(seen) < 3 {
		t.Errorf("60 random picks among %d cows gave only %d distinct ones", len(possible), len(seen))
	}
}

// TestWidths checks moobox's balloons where Perl's misalign, against
// widths written out by hand: a line alone sets the rule, and a line
// four columns wider pads it with four spaces.
func TestWidths(t *testing.T) {
	grep := testutil.RequireTool(t, "grep", "grep")
	cmd := exec.Command(grep, "--color=always", "match")
	cmd.Stdin = strings.NewReader("a match here\n")
	grepped, err := cmd.Output()
	if err != nil || !strings.Contains(string(grepped), "\x1b[") {
		t.Fatalf("grep --color=always: %q, %v", grepped, err)
	}
	for _, c := range []struct {
		msg string
		w   int
	}{
		{"\x1b[31mred\x1b[0m and plain", 13},
		{"\x1b[31mred\x1b[m text", 8},
		{"\x1b[1;38;5;208morange\x1b[m", 6},
		{"\x1b[38:5:208mred\x1b[0m text", 8},
		{"\x1b[38:2::255:128:0mrgb\x1b[39m", 3},
		{"a \x1b[01;31m\x1b[Kmatch\x1b[m\x1b[K here", 12},
		{strings.TrimSuffix(string(grepped), "\n"), 12},
		{"\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\ here", 9},
		{"\x1b]8;;https://example.com/\alink\x1b]8;;\a here", 9},
		{"\x1b(Bcharset\x1b(0", 7},
		{"\x1b[?25lcursor\x1b7x", 7},
		{"lone \x1b[ bracket", 11}, // ESC [ SP b is a sequence
		{"end \x1b", 4},            // a lone ESC takes no room
		{"family 👨‍👩‍👧 here", 14},
		{"flags 🇫🇷🇯🇵", 10},
		{"heart ❤️ skin 👍🏽", 16},
		{"ab🏻cd xy", 9},
		{"日本語 and ascii", 16},
		{"cafe\u0301", 4},
		{"ctl\x01and\x7fdel", 9},
	} {
		out, _, code := run("cowsay", []string{"-W", "200", c.msg}, "")
		want := " " + strings.Repeat("_", c.w+2) + "\n< " + c.msg + " >\n " + strings.Repeat("-", c.w+2) + "\n"
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("%q: exit %d\n--- got\n%s--- want\n%s", c.msg, code, out, want)
		}
		wide := strings.Repeat("=", c.w+4)
		out, _, code = run("cowsay", []string{"-n"}, c.msg+"\n"+wide+"\n")
		want = "/ " + c.msg + "     \\\n\\ " + wide + " /\n"
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("-n %q: exit %d\n--- got\n%s--- want\n%s", c.msg, code, out, want)
		}
	}
	// -n expands tabs; the stops count no escape sequence.
	out, _, _ := run("cowsay", []string{"-n"}, "\x1b[31mtab\x1b[m\tx\n")
	if want := " ___________\n< \x1b[31mtab\x1b[m     x >\n"; !strings.HasPrefix(out, want) {
		t.Errorf("-n with a tab after colour codes:\n--- got\n%s--- want\n%s", out, want)
	}
	// --compat keeps Perl's measure: a control character is -1 wide and
	// a NUL ends the string.
	for s, want := range map[string]int{"a\x01b": 1, "a\x00bcd": 1, "日本": 4} {
		if got := textwidth.Mbswidth(s); got != want {
			t.Errorf("Mbswidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestWrapEscapes: in moobox's default mode escape sequences are no
// characters and are never cut, and lines are not cut inside grapheme
// clusters.
func TestWrapEscapes(t *testing.T) {
	const (
		red, green, yellow, blue, magenta, off = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m", "\x1b[0m"
		link, unlink                           = "\x1b]8;;https://example.com/a/long/address\x1b\\", "\x1b]8;;\x1b\\"
	)
	five := red + "one" + off + " " + green + "two" + off + " " + yellow + "three" + off + " " + blue + "four" + off + " " + magenta + "five" + off
	for _, c := range []struct {
		width, msg string
		lines      []string
	}{
		{"20", five, []string{red + "one" + off + " " + green + "two" + off + " " + yellow + "three" + off + " " + blue + "four" + off, magenta + "five" + off}},
		{"10", five, []string{red + "one" + off + " " + green + "two" + off, yellow + "three" + off, blue + "four" + off + " " + magenta + "five" + off}},
		{"4", red + "abcdefgh" + off, []string{red + "abc", "def", "gh" + off}},
		{"4", "ab" + red + "\u0301cd", []string{"ab" + red + "\u0301c", "d"}},
		{"10", link + "link" + unlink + " text", []string{link + "link" + unlink + " text"}},
		{"3", "\x1b[38:5:208mab\x1b[m", []string{"\x1b[38:5:208mab\x1b[m"}},
		{"4", "🇫🇷🇯🇵🇩🇪", []string{"🇫🇷", "🇯🇵", "🇩🇪"}},
		{"5", "🇫🇷🇯🇵🇩🇪", []string{"🇫🇷🇯🇵", "🇩🇪"}},
		{"5", "👨‍👩‍👧👨‍👩‍👧", []string{"👨‍👩‍👧", "👨‍👩‍👧"}},
		{"6", "👨‍👩‍👧👨‍👩‍👧 x", []string{"👨‍👩‍👧", "👨‍👩‍👧", "x"}},
		{"4", "ab👍🏽cd", []string{"ab", "👍🏽c", "d"}},
		{"2", "ᄀ\u1161ᄀ\u1161", []string{"ᄀ\u1161", "ᄀ\u1161"}},
		{"3", "x\u06001y", []string{"x", "\u06001", "y"}},
		{"3", "a \u200dz", []string{"a", "\u200dz"}}, // a joiner after a space stays text
	} {
		out, stderr, code := run("cowsay", []string{"-W", c.width, c.msg}, "")
		var got []string
		for _, row := range strings.Split(out, "\n")[1:] {
			if row == "" || !strings.ContainsRune("<>/|\\", rune(row[0])) {
				break
			}
			got = append(got, strings.TrimRight(row[2:len(row)-2], " "))
		}
		if code != 0 || strings.Join(got, "\n") != strings.Join(c.lines, "\n") {
			t.Errorf("-W %s %q: exit %d %s\n got %q\nwant %q", c.width, c.msg, code, stderr, got, c.lines)
		}
	}
}

// TestJoinTables checks clusterEnd's short-cuts against uniseg for every
// code point after and before one of each kind of character grapheme
// clusters treat specially: wherever uniseg sees one cluster, so does
// clusterEnd.
func TestJoinTables(t *testing.T) {
	check := func(s string) {
		if uniseg.GraphemeClusterCount(s) != 1 {
			return
		}
		r, _ := utf8.DecodeRuneInString(s)
		if end, _ := clusterEnd(s, 0, r); end != len(s) {
			t.Errorf("clusterEnd(%+q) = %d, want %d", s, end, len(s))
		}
	}
	before := []string{"a", "가", "각", "\u1100", "\u1161", "\u11a8", "\U0001F1E6", "\u0600", "😀\u200d", "\u0915\u094d"}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF || isMark(r) || isPerlSpace(r) {
			continue
		}
		s := string(r)
		for _, p := range before {
			check(p + s)
		}
		check(s + "a")
		check(s + "가")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	bin := write("binary.cow", "\x7fELF\x02\x01\x01\x00\x00\x00")
	empty := write("empty.cow", "")
	unterm := write("unterm.cow", "##\n$the_cow = <<EOC;\nabc\n")
	unsup := write("unsup.cow", "$the_cow = <<EOC;\nfine\nEOC\nprint \"hi\";\n")
	subscript := write("subscript.cow", "$the_cow = <<EOC;\n\n$eyes[0]\nEOC\n")
	caseEsc := write("case.cow", "$the_cow = \"\\Uloud\";\n")
	for _, tc := range []struct {
		args   []string
		stdin  string
		code   int
		out    string // substring of stdout
		stderr string // substring of stderr
	}{
		{[]string{"-f", bin, "x"}, "", 255, "", bin + " line 1."},
		{[]string{"-f", empty, "x"}, "", 0, " ___\n< x >\n ---\n", ""},
		{[]string{"-f", unterm, "x"}, "", 255, "", `Can't find string terminator "EOC" anywhere before EOF at ` + unterm + " line 2."},
		{[]string{"-f", unsup, "x"}, "", 255, "", unsup + " line 4."},
		{[]string{"-f", subscript, "x"}, "", 255, "", subscript + " line 3."},
		{[]string{"-f", caseEsc, "x"}, "", 255, "", caseEsc + " line 1."},
		{[]string{"-f", filepath.Join(dir, "missing.cow"), "x"}, "", 2, "", "Could not find"},
		{[]string{"-W", "0", "hello world"}, "", 0, "< 3 >", "leaves no room"},
		{[]string{"-W", "-5", "hello"}, "", 0, "< 3 >", "leaves no room"},
		{[]string{"-W", "abc", "hello"}, "", 0, "< 3 >", "not a number"},
		{[]string{"-W", "2.5", "hello"}, "", 2, "", "whole number"},
		{[]string{"-W", "100000", "hello"}, "", 2, "", "too large"},
		{[]string{"-W", "65535", "hello"}, "", 0, "< hello >", ""},
		{[]string{"\u0301leading mark"}, "", 2, "", "combining mark"},
		{[]string{"bad \xff\xfe utf8"}, "", 0, "bad ÿþ utf8", ""},
		{nil, "bad \xff utf8 but é valid\n", 0, "bad ÿ utf8 but é valid", ""},
		{nil, "nul\x00byte\n", 0, "nul\x00byte", ""},
		{[]string{"-n"}, "ctl\x01\x1b[2Jchars\n", 0, "ctl\x01\x1b[2Jchars", ""},
	} {
		out, stderr, code := run("cowsay", tc.args, tc.stdin)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%q stdin %q: exit %d (want %d)\nstderr %q (want %q)\n%s", tc.args, tc.stdin, code, tc.code, stderr, tc.stderr, out)
		}
		if tc.code != 0 && out != "" {
			t.Errorf("%q: partial output on error: %q", tc.args, out)
		}
		if !utf8.ValidString(out) {
			t.Errorf("%q: output is not UTF-8: %q", tc.args, out)
		}
	}
}

// TestLargeMessage wraps 10 MB; the 100 MB case is BenchmarkHugeMessage.
func TestLargeMessage(t *testing.T) {
	msg := strings.Repeat("moo cow ", 10<<20/8)
	out, _, code := run("cowsay", nil, msg)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(out, "\n"); n != 10<<20/40+2+5 {
		t.Errorf("%d output lines", n)
	}
}

func TestCowInterpreter(t *testing.T) {
	env := &cowEnv{eyes: "oo", tongue: "U ", thoughts: `\`, dot: "7"}
	for _, tc := range []struct{ src, want string }{
		{"$the_cow = <<EOC;\n$thoughts $eyes ${tongue}|\nEOC\n", "\\ oo U |\n"},
		{"$the_cow = <<\"EOC\";\n\\\\ \\@ \\$ \\q \\t \\x41\\x{263A} \\101 \\e\\cA\nEOC\n", "\\ @ $ q \t A☺ A \x1b\x01\n"},
		{"$the_cow = <<'EOC';\n$eyes \\\\n\nEOC\n", "$eyes \\\\n\n"},
		{"$the_cow = <<EOC\nno semicolon\nEOC\n", "no semicolon\n"},
		{"$extra = chop($eyes);\n$eyes .= ($extra x 2);\n$the_cow = \"$eyes\";", "ooo"},
		{"my $x = 'a' . \"b\" x 3; $the_cow = $x x2;", "abbbabbb"},
		{"$the_cow = <<EOC;\nmail\\@host @arr @9@x 50@ @- $\n.\nEOC\n", "mail@host   50@  7\n"},
		{"$a = <<A . <<B;\nfirst\nA\nsecond\nB\n$the_cow = $a;", "first\nsecond\n"},
		{"$the_cow = \"x\"; chomp($the_cow); $the_cow .= 1;", "x1"},
		{"# only a comment\n", ""},
	} {
		got, err := runCow("t.cow", tc.src, env)
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	if env.eyes != "oo" {
		t.Errorf("the cow file changed the caller's eyes: %q", env.eyes)
	}
	for _, src := range []string{
		"print 'x';", "$the_cow = <<~EOC;\nEOC\n", "$the_cow = \"$0\";", "$the_cow = \"@{[1]}\";",
		"$x = 1 + 2;", "$the_cow = \"\\Ufoo\";", "$the_cow = \"abc$\";", "$h{x} = 1;", "$the_cow = 'abc",
	} {
		if _, err := runCow("bad.cow", src, env); err == nil {
			t.Errorf("%q: no error", src)
		} else if !strings.Contains(err.Error(), "bad.cow line 1.") {
			t.Errorf("%q: error does not name the file and line: %v", src, err)
		}
	}
}

// TestCowFileLimits: a cow file is read through a 1 MiB limit, so a device
// or a huge file is a quick, clear error; and the strings a cow file builds
// stop at 16 MiB with an error, not silently.
func TestCowFileLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.cow")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat(" ", maxCowFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	fits := filepath.Join(dir, "fits.cow")
	body := "$the_cow = \"fits\\n\";\n"
	if err := os.WriteFile(fits, []byte(body+"#"+strings.Repeat(" ", maxCowFile-len(body)-1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		env    string
		stderr string
	}{
		{[]string{"-f", "/dev/zero", "hi"}, "", "cowsay: /dev/zero: cow file too large (more than 1 MiB)\n"},
		{[]string{"-f", "/dev/urandom", "hi"}, "", "cowsay: /dev/urandom: cow file too large (more than 1 MiB)\n"},
		{[]string{"-f", big, "hi"}, "", "cowsay: " + big + ": cow file too large (more than 1 MiB)\n"},
		{[]string{"-f", "big", "hi"}, "COWPATH=" + dir, "cowsay: cannot read " + big + ": cow file too large (more than 1 MiB)\n"},
	} {
		out, stderr, code := run("cowsay", tc.args, "", tc.env)
		if code != 2 || out != "" || stderr != tc.stderr {
			t.Errorf("%q: exit %d, stdout %q, stderr %q, want %q", tc.args, code, out, stderr, tc.stderr)
		}
	}
	arr := filepath.Join(dir, "arr.cow")
	if err := os.WriteFile(arr, []byte("$the_cow = \"@message\n@message\";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat("moo\n", 9<<20/4)
	if out, stderr, code := run("cowsay", []string{"-n", "-f", arr}, msg); code != 255 || out != "" ||
		stderr != "cowsay: interpolation: string too large (more than 16 MiB) at "+arr+" line 2.\n" {
		t.Errorf("@message twice over 9 MiB: exit %d, stdout %d bytes, stderr %q", code, len(out), stderr)
	}
	if out, stderr, code := run("cowsay", []string{"-f", fits, "hi"}, ""); code != 0 || !strings.HasSuffix(out, "\nfits\n") {
		t.Errorf("a 1 MiB cow file: exit %d, stderr %q", code, stderr)
	}
	env := &cowEnv{eyes: "oo", tongue: "  ", thoughts: `\`}
	for _, tc := range []struct{ src, err string }{
		{"$the_cow = 'ab' x 9000000;", "x operator: result too large (more than 16 MiB) at big.cow line 1."},
		{"$a = 'ab';\n$a x= 9000000;", "x operator: result too large (more than 16 MiB) at big.cow line 2."},
		{"$a = 'x' x 9000000;\n$b = $a . $a;", ". operator: result too large (more than 16 MiB) at big.cow line 2."},
		{"$a = 'x' x 9000000;\n$a .= $a;", ". operator: result too large (more than 16 MiB) at big.cow line 2."},
		{"$a = 'x' x 9000000;\n$b = \"$a\n${a}\";", "interpolation: string too large (more than 16 MiB) at big.cow line 3."},
	} {
		if _, err := runCow("big.cow", tc.src, env); err == nil || err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.err)
		}
	}
	if cow, err := runCow("big.cow", "$the_cow = 'ab' x 8388608;", env); err != nil || len(cow) != maxCowValue {
		t.Errorf("a 16 MiB cow: %d bytes, %v", len(cow), err)
	}
	// The cap is per run too, not only per string: 64 MiB in all.
	var many, interp, join strings.Builder
	interp.WriteString("$a = 'x' x 9000000;\n")
	join.WriteString("$a = 'x' x 9000000;\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&many, "$a%d = 'ab' x 8388608;\n", i)
		fmt.Fprintf(&interp, "$b%d = \"$a\";\n", i)
		fmt.Fprintf(&join, "$b%d = $a . 'y';\n", i)
	}
	for _, tc := range []struct{ src, err string }{
		{many.String(), "x operator: the cow file builds too much (more than 64 MiB in all) at big.cow line 5."},
		{interp.String(), "interpolation: the cow file builds too much (more than 64 MiB in all) at big.cow line 8."},
		{join.String(), ". operator: the cow file builds too much (more than 64 MiB in all) at big.cow line 8."},
		{"$a = 'ab' x 8000000;\n$a .= 'c';\n$a x= 1;\n$a .= 'c';\n$a .= 'c';\n", ". operator: the cow file builds too much (more than 64 MiB in all) at big.cow line 5."},
	} {
		if _, err := runCow("big.cow", tc.src, env); err == nil || err.Error() != tc.err {
			t.Errorf("%.40q...: error %v, want %q", tc.src, err, tc.err)
		}
	}
	// The review's case: a 1 MiB cow file of such lines fails at once.
	line := "$a = 'ab' x 8388608;\n"
	many.Reset()
	for many.Len()+len(line) <= 1<<20 {
		many.WriteString(line)
	}
	f := filepath.Join(dir, "many.cow")
	if err := os.WriteFile(f, []byte(many.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := run("cowsay", []string{"-f", f, "hi"}, ""); code != 255 || out != "" ||
		stderr != "cowsay: x operator: the cow file builds too much (more than 64 MiB in all) at "+f+" line 5.\n" {
		t.Errorf("1 MiB of 16 MiB x lines: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
