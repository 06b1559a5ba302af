package coreutils

import (
	"strings"
	"testing"
)

// FuzzPrintf: any format and arguments give output or an error message,
// never a panic.
func FuzzPrintf(f *testing.F) {
	for _, s := range []string{`%d\n`, `%5.2f|%-6s`, `%b`, `\0101\x41\c`, `%*.*d`, `%z`, `%`, `%5%`, `\`, `%#o %+d % x`} {
		f.Add(s, "12", "abc")
	}
	f.Fuzz(func(t *testing.T, format, a, b string) {
		run(Printf, "/", nil, "printf", format, a, b)
	})
}

// FuzzGrepPattern: any pattern translates to something Go compiles or is
// rejected with an error, and matching does not panic.
func FuzzGrepPattern(f *testing.F) {
	for _, s := range []string{`a\+b`, `[\]`, `[[:digit:]]x`, `\(a\)\{2\}`, `*y`, `[]a]`, `[^]a]`, `\<w\>`, `a|b`, `[[:alpha:`, `\`} {
		f.Add(s, "x a+b aab [x] (y) w")
	}
	f.Fuzz(func(t *testing.T, pattern, line string) {
		for _, flags := range []string{"-E", "-x", "-w", "-Fi", "-o"} {
			run(Grep, "/", []byte(line), "grep", flags, "-e", pattern)
		}
	})
}

// FuzzTest: any expression evaluates or reports an error.
func FuzzTest(f *testing.F) {
	for _, s := range []string{"-n x", "! -z ''", "( a = b ) -o -d /", "1 -lt 2 -a ! x", "-f", "( ( !", "a -eq b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		args := append([]string{"test"}, strings.Fields(expr)...)
		_, _, rc := run(Test, "/", nil, args...)
		if rc < 0 || rc > 2 {
			t.Fatalf("status %d", rc)
		}
	})
}
