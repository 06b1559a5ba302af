package coreutils

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

var textApplets = map[string]applet.Func{
	"basename": Basename, "cat": Cat, "dirname": Dirname, "echo": Echo,
	"grep": Grep, "head": Head, "printf": Printf, "tail": Tail, "wc": Wc,
	"test": Test, "[": Test,
}

// run calls an applet in-process in dir.
func run(f applet.Func, dir string, stdin []byte, args ...string) (stdout, stderr string, rc int) {
	var out, errb bytes.Buffer
	c := &applet.Ctx{Args: args, Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb, Env: []string{"PATH=/usr/bin:/bin"}, Dir: dir}
	rc = f(c)
	return out.String(), errb.String(), rc
}

// fixtures writes deterministic inputs: plain text, no final newline,
// empty, tabs and control bytes, UTF-8, long lines and random bytes.
func fixtures(t *testing.T) (dir string, names []string) {
	dir = t.TempDir()
	rng := rand.New(rand.NewSource(6))
	words := []string{"moo", "cow", "Moo", "grass", "field", "a+b", "x*y", "(paren)", "tab\there", "héllo", "wörld", "", "  ", "10", "1.5", "end.", "[br]", `back\slash`, "ab", "abc", "aab"}
	var text strings.Builder
	for i := 0; i < 60; i++ {
		n := rng.Intn(6)
		for j := 0; j < n; j++ {
			if j > 0 {
				text.WriteString([]string{" ", "  ", "\t", " "}[rng.Intn(4)])
			}
			text.WriteString(words[rng.Intn(len(words))])
		}
		text.WriteByte('\n')
	}
	var bin []byte
	for i := 0; i < 700; i++ {
		bin = append(bin, byte(rng.Intn(256)))
	}
	files := map[string]string{
		"text":    text.String(),
		"nonl":    "first line\nsecond line without newline",
		"empty":   "",
		"ctrl":    "a\x01b\x7fc\td\r\ne\x1b[0m\f\v end\n\x80\xff\xc3\xa9\n",
		"utf8":    "héllo wörld\nçà et là\n日本語 テキスト\n",
		"long":    strings.Repeat("0123456789 ", 900) + "\n" + strings.Repeat("x", 5000) + "\n",
		"bin":     string(bin),
		"numbers": "",
	}
	var nums strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&nums, "%d\n", i)
	}
	files["numbers"] = nums.String()
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return dir, []string{"text", "nonl", "empty", "ctrl", "utf8", "long", "bin", "numbers"}
}

type diffCase struct {
	args  []string
	stdin string
}

// TestBusyboxDifferential runs the same commands through these applets
// and Debian's busybox and compares stdout, the exit status and, except
// for usage texts (whose wording is our own), stderr.
func TestBusyboxDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	dir, files := fixtures(t)
	var cases []diffCase
	add := func(stdin string, args ...string) { cases = append(cases, diffCase{args, stdin}) }
	text := "one two\nthree\n\nfour five six\n"
	for _, f := range files {
		for _, o := range [][]string{nil, {"-l"}, {"-w"}, {"-c"}, {"-m"}, {"-L"}, {"-lw"}, {"-cL"}, {"-lwmcL"}} {
			add("", append(append([]string{"wc"}, o...), f)...)
		}
		for _, o := range [][]string{nil, {"-n", "0"}, {"-n", "1"}, {"-n", "3"}, {"-n", "100"}, {"-n", "-2"}, {"-n", "-100"}, {"-c", "5"}, {"-c", "-3"}, {"-3"}, {"-c", "1k"}} {
			add("", append(append([]string{"head"}, o...), f)...)
		}
		for _, o := range [][]string{nil, {"-n", "2"}, {"-n", "0"}, {"-n", "+3"}, {"-n", "+1"}, {"-c", "4"}, {"-c", "+5"}, {"+2"}, {"-1"}, {"-n", "100"}} {
			add("", append(append([]string{"tail"}, o...), f)...)
		}
		for _, o := range [][]string{nil, {"-n"}, {"-b"}, {"-v"}, {"-e"}, {"-t"}, {"-A"}, {"-nb"}} {
			add("", append(append([]string{"cat"}, o...), f)...)
		}
	}
	add(text, "wc")
	add(text, "wc", "-l")
	add(text, "wc", "-", "text")
	add("", "wc", "text", "nonl", "empty")
	add("", "wc", "-l", "text", "nonl")
	add("", "wc", "nosuch", "text")
	add("", "head", "-n", "2", "text", "numbers")
	add("", "head", "-q", "-n", "1", "text", "numbers")
	add("", "head", "-v", "-n", "1", "text")
	add(text, "head", "-n", "2")
	add("", "head", "nosuch", "numbers")
	add("", "head", "-n", "1x", "numbers")
	add("", "tail", "-n", "2", "text", "numbers")
	add(text, "tail", "-n", "1")
	add("", "tail", "nosuch", "numbers")
	add("", "cat", "text", "nosuch", "nonl")
	add(text, "cat", "-", "nonl")
	add("", "cat", "-n", "text", "nonl")
	// grep: patterns in BRE, ERE and fixed syntax with the common flags.
	pats := []string{"moo", "Moo", "^a", "o$", "a+b", `a\+b`, "x*y", "*y", "(paren)", `\(paren\)`, "[br]", `[\]`, "[[:digit:]]", "^$", ".", "ab*c", "a\\|cow", "h.llo", "e\\.", "[^a-z ]", "o\\{2\\}", "grass|field", `\<cow\>`}
	flags := [][]string{nil, {"-i"}, {"-v"}, {"-c"}, {"-n"}, {"-E"}, {"-F"}, {"-q"}, {"-o"}, {"-w"}, {"-x"}, {"-l"}, {"-in"}, {"-vc"}, {"-Eo"}, {"-H"}, {"-h"}, {"-m", "2"}}
	rng := rand.New(rand.NewSource(7))
	for _, p := range pats {
		for _, fl := range flags {
			// Sampled: every pattern with 6 flag sets keeps the test quick.
			if rng.Intn(3) != 0 {
				continue
			}
			args := append(append([]string{"grep"}, fl...), p, "text")
			add("", args...)
		}
		add("", "grep", "-e", p, "-e", "cow", "text", "utf8")
	}
	add(text, "grep", "t")
	add("", "grep", "x", "nosuch")
	add("", "grep", "-s", "x", "nosuch")
	add("", "grep", "-q", "moo", "nosuch", "text")
	add("", "grep", "-L", "moo", "text", "empty")
	add("", "grep", "", "empty")
	add("", "grep", "l", "nonl")
	for _, ctx := range [][]string{{"-A1"}, {"-B2"}, {"-C1"}, {"-A2", "-n"}, {"-C1", "-v"}, {"-B1", "-m", "2"}, {"-A0"}, {"-C3", "-c"}} {
		add("", append(append([]string{"grep"}, ctx...), "moo", "text", "nonl", "numbers")...)
		add("", append(append([]string{"grep"}, ctx...), "-e", "1", "-e", "7", "numbers")...)
	}
	add("", "grep", "-r", "cow", ".")
	add("", "grep", "-rc", "moo", ".", "text")
	add("", "grep", "-rl", "o", ".")
	add("", "grep", "-rh", "x", "./")
	// echo and printf.
	for _, a := range [][]string{{}, {"a", "b"}, {"-n", "x"}, {"-e", `a\tb\n\0101\x41\c ignored`}, {"-ne", `\a\b\f\v\r\\`}, {"-E", `a\tb`}, {"-x", "y"}, {"--", "z"}, {"-n", "-e", "-E", `q\t`}, {"-e", `\e\z\`}, {"-nn"}, {"-"}} {
		add("", append([]string{"echo"}, a...)...)
	}
	for _, a := range [][]string{
		{`%d|%i|%o|%x|%X\n`, "010", "0x1f", "8", "255", "255"},
		{`%d\n`, "abc", "12abc", "'A", " 5", "+3", "-0"},
		{`%s-%s\n`, "a", "b", "c"},
		{`%5.2f|%-6s|%06d|%+d|%e|%g|%G\n`, "3.14159", "hi", "42", "5", "1234.5", "0.0001", "1e20"},
		{`%g %g %g %g\n`, "100000", "1234567", "0.1", "1e-5"},
		{`%b|%s\n`, `a\tb\0101`, "x"},
		{`%b|after\n`, `stop\c here`},
		{`x\c y\n`},
		{`\101\x41\0101 %c %c|\n`, "hello", ""},
		{`%*d|%.*s|\n`, "5", "1", "2", "abcdef"},
		{`%d %u %x %o\n`, "-1", "-1", "-1", "-1"},
		{`%s\n`},
		{`%%|%5s|%-5s|%.1s\n`, "ab", "cd", "ef"},
		{`%z\n`, "1"},
		{`%5%|\n`},
		{`%#x %#o %+.3d % d\n`, "255", "8", "7", "3"},
		{`no args\n`, "extra"},
		{`%s %s %s\n`, "only"},
		{`%.3e %10.4f %-10.2e|\n`, "123456", "3.14159265", "0.000123"},
		{`%8s|%-8s|%.2s|%5c|%b|\n`, "héllo", "wörld", "éa", "é", `\0303\0251`},
		{`%-3b|\n`, "x"},
		{`%*s|%-*s|%.*s|\n`, "-6", "ab", "4", "cd", "1", "ef"},
	} {
		add("", append([]string{"printf"}, a...)...)
	}
	add("", "printf")
	for _, p := range []string{"/a/b/", "/", "a.txt", ".txt", "a", "//a//b//", "", "a/b/c.d", "///", "./x", "../"} {
		add("", "basename", p)
		add("", "dirname", p)
		add("", "basename", p, ".d")
	}
	add("", "basename", "-a", "a/b", "c/d")
	add("", "basename", "-s", ".c", "a.c", "b.c")
	add("", "basename", "a", "b", "c")
	add("", "dirname", "a/b", "c/d")

	// test and [: statuses and messages.
	for _, e := range [][]string{
		{}, {""}, {"x"}, {"-n"}, {"!"}, {"!", "-n"}, {"-z", ""}, {"-n", ""}, {"a", "=", "a"}, {"a", "!=", "a"},
		{"a", "=", "a", "-a", "b"}, {"(", "a", ")"}, {"1", "-lt", "2", "-o", "x"}, {"-d", "/", "-a", "!", "-f", "/"},
		{"a", "b"}, {"-x"}, {"(", "a", "=", "a"}, {"1", "-eq", "1", ")"}, {"1", "-eq", "a"}, {"3", "-ge", "3"},
		{"-5", "-lt", "+2"}, {"abc", "<", "abd"}, {"abc", ">", "abd"}, {"-f", "text"}, {"-d", "text"}, {"-e", "nosuch"},
		{"-s", "empty"}, {"-s", "text"}, {"-r", "text"}, {"-h", "text"}, {"text", "-nt", "nosuch"}, {"text", "-ef", "text"},
		{"!", "!", "x"}, {"-n", "a", "-o", "-z", "b", "-a", "-z", "c"}, {"(", "(", "x", ")", ")"}, {"=", "=", "="}, {"-a"},
		{"x", "-a"}, {" 12 ", "-eq", "12"}, {"1", "-eq"}, {"-t", "x"},
	} {
		add("", append([]string{"test"}, e...)...)
		add("", append(append([]string{"["}, e...), "]")...)
	}
	add("", "[", "a")

	diffs := 0
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		f := textApplets[tc.args[0]]
		out, errs, rc := run(f, dir, []byte(tc.stdin), tc.args...)
		cmd := exec.Command(bb, tc.args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(tc.stdin)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		var bout, berr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &bout, &berr
		err := cmd.Run()
		brc := 0
		if ee, ok := err.(*exec.ExitError); ok {
			brc = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		bad := ""
		if out != bout.String() {
			bad += fmt.Sprintf("\n stdout: got %q\n   busybox %q", clip(out), clip(bout.String()))
		}
		if rc != brc {
			bad += fmt.Sprintf("\n status: got %d, busybox %d", rc, brc)
		}
		if !strings.Contains(berr.String(), "Usage:") && errs != berr.String() {
			bad += fmt.Sprintf("\n stderr: got %q\n   busybox %q", errs, berr.String())
		}
		if bad != "" {
			diffs++
			t.Errorf("%s (stdin %q):%s", name, clip(tc.stdin), bad)
		}
	}
	t.Logf("%d cases, %d differences", len(cases), diffs)
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
