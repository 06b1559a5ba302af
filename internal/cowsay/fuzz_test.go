package cowsay

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

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
	f.Add("$the_cow = <<EOC;\r\n[$version][@message][@balloon_lines]\r\nEOC\r\n")
	f.Fuzz(func(t *testing.T, src string) {
		env := &cowEnv{eyes: "oo", tongue: "U ", thoughts: `\`, dot: "3",
			globals: map[string]string{"version": version, "borg": "1"},
			arrays:  func(name string) string { return name }}
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

// FuzzWrap checks the wrapper's invariants on arbitrary text, in Perl's
// way (--compat) and moobox's: no character other than whitespace lost or
// added, and no line longer than the width (a kept trailing break aside;
// by default escape sequences count nothing and a grapheme cluster longer
// than a line may fill one alone). Text::Wrap dies ("This shouldn't
// happen") on a paragraph that starts with a combining mark, at any width:
// below 2 it raises the width to 2 for the paragraphs after the first.
func FuzzWrap(f *testing.F) {
	for _, m := range diffMessages {
		f.Add(m, 40)
	}
	for _, m := range compatMessages {
		f.Add(m, 7)
	}
	f.Add("averyveryverylongword and more", 5)
	f.Add("x \u0301y\n \u0301z", 3)
	f.Add("\r\n\r\n  a\tb", 2)
	f.Add("\u0301\n \u0309", 1)
	f.Add("\u0301\n \u0309", -2)
	f.Add("🇫🇷🇯🇵🇩🇪 👨‍👩‍👧👨‍👩‍👧", 4)
	f.Add("a \x1b[31mred\x1b[m \x1b]8;;u\x1b\\link\x1b]8;;\a ᄀ\u1161", 3)
	f.Add("ab\u0600 cd \u0605 \u0605x\u06dd\u00a0y", 4)
	f.Fuzz(func(t *testing.T, msg string, cols int) {
		if !utf8.ValidString(msg) || cols > 200 || cols < -5 {
			return
		}
		for _, ext := range []bool{false, true} {
			lines, st := fill(msg, float64(cols), ext)
			if st != wrapOK {
				if st == wrapDie && paragraphStartsWithMark(msg) {
					continue
				}
				t.Fatalf("ext %v: status %d for width %d", ext, st, cols)
			}
			if cols < 2 {
				continue
			}
			var in, out strings.Builder
			visible(&in, msg)
			for _, l := range lines {
				visible(&out, l)
				if units := lineUnits(l, ext); units > cols && !(ext && oneCluster(l)) {
					t.Fatalf("ext %v: line %q has %d characters, width %d", ext, l, units, cols)
				}
			}
			if in.String() != out.String() {
				t.Fatalf("ext %v: text changed:\n in %q\nout %q", ext, in.String(), out.String())
			}
		}
	})
}

// visible writes s without its whitespace, and without the marks on it:
// they go with it, as in Perl (\PM\pM* units).
func visible(b *strings.Builder, s string) {
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

// lineUnits counts a line's characters as the wrapper does: code points
// other than marks (a leading mark counts), and with ext nothing for an
// escape sequence and its marks.
func lineUnits(l string, ext bool) int {
	if ext {
		l = strip(l, func(s string) int {
			if n := escLen(s); n > 0 {
				return skipMarks(s, n)
			}
			return 0
		})
	}
	units := 0
	for i, r := range l {
		if !isMark(r) || i == 0 {
			units++
		}
	}
	return units
}

// oneCluster reports whether l, escape sequences and trailing whitespace
// aside, is a single grapheme cluster.
func oneCluster(l string) bool {
	l = strings.TrimRightFunc(strip(l, escLen), isPerlSpace)
	return uniseg.GraphemeClusterCount(l) == 1
}

func paragraphStartsWithMark(msg string) bool {
	for first := true; first || msg != ""; first = false {
		para, rest, more := cutParagraph(msg)
		if r, _ := utf8.DecodeRuneInString(collapseSpace(para)); isMark(r) {
			return true
		}
		if !more {
			break
		}
		msg = rest
	}
	return false
}
