package cowsay

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moobox/moobox/cows"
)

// FuzzCowFile runs arbitrary cow files: an error or a cow, never a panic.
// The seeds are the stock cows and moobox's own.
func FuzzCowFile(f *testing.F) {
	stock, _ := filepath.Glob(filepath.Join(defaultCowPath, "*.cow"))
	for _, p := range stock {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	own, _ := fs.Glob(cows.FS, "*.cow")
	for _, p := range own {
		b, _ := fs.ReadFile(cows.FS, p)
		f.Add(string(b))
	}
	f.Add("$the_cow = <<EOC;\nunterminated\n")
	f.Add("$a = <<A . <<'B';\n$eyes\nA\n$eyes\nB\n$the_cow = $a x 3;")
	f.Fuzz(func(t *testing.T, src string) {
		env := &cowEnv{eyes: "oo", tongue: "U ", thoughts: `\`, dot: "3"}
		cow, err := runCow("fuzz.cow", src, env)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.cow line ") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		if len(cow) > 1<<25 {
			t.Fatalf("cow of %d bytes", len(cow))
		}
	})
}

// FuzzWrap checks the Text::Wrap emulation's invariants on arbitrary text:
// no line longer than the width (a kept trailing break aside), and no
// character other than whitespace lost or added.
func FuzzWrap(f *testing.F) {
	for _, m := range diffMessages {
		f.Add(m, 40)
	}
	f.Add("averyveryverylongword and more", 5)
	f.Add("x \u0301y\n \u0301z", 3)
	f.Add("\r\n\r\n  a\tb", 2)
	f.Fuzz(func(t *testing.T, msg string, cols int) {
		if !utf8.ValidString(msg) || cols > 200 || cols < -5 {
			return
		}
		lines, st := fill(msg, float64(cols), true)
		if st != wrapOK {
			if st == wrapDie && cols >= 2 {
				return // a paragraph starting with a combining mark
			}
			t.Fatalf("status %d for width %d", st, cols)
		}
		if cols < 2 {
			return
		}
		// Marks on whitespace go with it, as in Perl (\PM\pM* units).
		visible := func(b *strings.Builder, s string) {
			space := false
			for _, r := range s {
				if isMark(r) && space {
					continue
				}
				space = isPerlSpace(r)
				if !space {
					b.WriteRune(r)
				}
			}
		}
		var in, out strings.Builder
		visible(&in, msg)
		for _, l := range lines {
			units := 0
			for i, r := range l {
				if !isMark(r) || i == 0 {
					units++
				}
			}
			visible(&out, l)
			if units > cols {
				t.Fatalf("line %q has %d characters, width %d", l, units, cols)
			}
		}
		if in.String() != out.String() {
			t.Fatalf("text changed:\n in %q\nout %q", in.String(), out.String())
		}
	})
}
