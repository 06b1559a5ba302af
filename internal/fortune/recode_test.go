package fortune

import (
	"bytes"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// recodePool are the pieces the random recoding cases are made of: ASCII,
// Latin-1, transliterated and unconvertible characters, and ill-formed
// sequences of every kind librecode's reader tells apart.
var recodePool = []string{
	"a", "b", " ", "\n", "é", "“", "”", "—", "…", "€", "Ć", "Œ", "А", "ж", "中", "😀",
	"\xe9", "\x80", "\xe2\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
	"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xf5\x80\x80\x80",
	"\xed\xa0\x80", "\xef\xbf\xbe", "\xc2\x85", "\xfe", "\xff", "\U0010ffff",
	"\xf0\x8f\xbf\xbf", "\xf8\x80\x80\xa0\x80", "\xf0\x80\x82\x80", "\xfc\x80\x80\x80\x82\x80",
	"\xf9", "\xf0",
}

// recodeFixture writes, each with its .dat and a .u8 twin: "bmp", one
// fortune per BMP character (and a few beyond), "mix", random mixtures,
// and "one", a single multi-line fortune for plain printing.
func recodeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mk := func(name string, text []byte) {
		writeFile(t, filepath.Join(dir, name), text)
		dat, _ := Build(text, strfileOptions{Delim: '%'})
		writeFile(t, filepath.Join(dir, name+".dat"), dat)
		if err := os.Symlink(name, filepath.Join(dir, name+".u8")); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	for r := rune(0x80); r <= 0xffff; r++ {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		fmt.Fprintf(&b, "X%04x<%c>Y\n%%\n", r, r)
	}
	for _, r := range []rune{0x10000, 0x1f600, 0x10ffff} {
		fmt.Fprintf(&b, "X%04x<%c>Y\n%%\n", r, r)
	}
	mk("bmp", b.Bytes())
	b.Reset()
	rng := mrand.New(mrand.NewPCG(5, 2026))
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "X%d<", i)
		for n := 1 + rng.IntN(14); n > 0; n-- {
			b.WriteString(recodePool[rng.IntN(len(recodePool))])
		}
		b.WriteString(">Z\n%\n")
	}
	mk("mix", bytes.ReplaceAll(b.Bytes(), []byte("\n\n"), []byte("\n.\n")))
	mk("one", []byte("“Quote” — em dash… €5\nКириллица: ab\xd0\x90cd\nstray \xe9 byte, café\nl4 А xxxx end\n%\n"))
	// Sequences cut off by the end of a line (printed a line at a time)
	// or of a fortune (-m), and overlong forms of every length: all in
	// "cut" for -m, one to a file "cutN" for plain printing.
	var all []byte
	for i, f := range recodeCutCases {
		f += "\n%\n"
		all = append(all, f...)
		mk(fmt.Sprintf("cut%d", i), []byte(f))
	}
	mk("cut", all)
	return dir
}

var recodeCutCases = []string{
	"caf\xe9\nnext line", "X\xf9>Z", "X\xf0a", "X\xf0\x9f\x98\nY", "X\xfc\x80\x80\x80\x80", "X\xc3",
	"X<\xf0\x8f\xbf\xbfab>Z", "X<\xf0\x80\x82\x80ab>Z", "X<\xf8\x80\x80\xa0\x80ab>Z", "X<\xfc\x80\x80\x80\x82\x80ab>Z",
	"X<\xf8\x88\x80\x80\x80ab>Z", "X<\xd0\x90ab\xf0\x8f\xbf\xbfcd>Z",
}

// Under a UTF-8 locale fortune prints .u8 files unchanged; under C (and
// under a locale that is not installed, which leaves C) librecode turns
// them into ISO-8859-1. Every BMP character and thousands of random
// mixtures are compared with Debian's fortune, for -m and plain printing.
func TestRecodeMatchesDebian(t *testing.T) {
	deb := debianTool(t, "fortune")
	dir := recodeFixture(t)
	locs := []string{"LANG=C.UTF-8", "LANG=C", "LANG=en_US.UTF-8", "LANG=C.UTF-8 LC_MESSAGES=xx_XX.UTF-8", "LC_ALL=C.UTF-8 LANG=xx", "LANG=C.utf8", "LANG=c.utf8", "LANG=C LC_CTYPE=C.UTF-8"}
	cases := [][]string{{"-m", "X", "./bmp"}, {"-m", "X", "./mix"}, {"-m", "", "./cut"}, {"./one"}, {"-c", "./one"}, {"-m", "“", "./mix"}, {"-i", "-m", "ж", "./mix"}, {"-u", "./one"}}
	for i := range recodeCutCases {
		cases = append(cases, []string{fmt.Sprintf("./cut%d", i)})
	}
	for _, loc := range locs {
		env := append(strings.Fields(loc), "PWD="+dir)
		for _, args := range cases {
			want := runTool(t, deb, "fortune", dir, env, args...)
			got := runApplet(t, Main, dir, env, append([]string{"fortune"}, args...)...)
			if got != want {
				t.Errorf("%s fortune %q: differs (exit %d vs Debian %d)\nstdout %s\nstderr %s", loc, args, got.code, want.code,
					firstDiff(got.stdout, want.stdout), firstDiff(got.stderr, want.stderr))
			}
		}
	}
}

// A locale found through LOCPATH is honoured as glibc does (a copy of
// C.utf8 under other names), and a name glibc cannot find leaves C.
// Language C (C.UTF-8 and its variants) is also looked for in
// /usr/lib/locale whatever LOCPATH says. A relative LOCPATH is taken
// from the applet's directory, not the process's.
func TestRecodeLocpath(t *testing.T) {
	deb := debianTool(t, "fortune")
	dir := recodeFixture(t)
	if _, err := os.Stat("/usr/lib/locale/C.utf8/LC_CTYPE"); err != nil {
		testutil.Missing(t, "no /usr/lib/locale/C.utf8 to copy (Debian package libc-bin)")
	}
	loc := filepath.Join(dir, "loc")
	// (A locale without a codeset in its name is taken to be ISO-8859-1,
	// as real ones are, so no such copy of C.utf8 here.)
	for _, n := range []string{"xx_YY.utf8", "zz.UTF-8"} {
		if err := os.MkdirAll(loc, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", "/usr/lib/locale/C.utf8", filepath.Join(loc, n)).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
	}
	langs := []string{"xx_YY.UTF-8", "xx_YY.utf8", "xx_YY.UTF-8@mod", "xx_YY", "xx.UTF-8", "zz.UTF-8", "zz_AA.UTF-8", "zz.utf8", "qq_QQ.UTF-8",
		"C.UTF-8", "C.utf8", "C_XX.utf8", "C_XX.UTF-8", "C.utf8@x", "C.UTF8", "C_XX", "c.utf8", "POSIX.UTF-8"}
	for _, lp := range []string{loc, "loc", "./loc:/nonexistent", "/nonexistent", "nonexistent"} {
		for _, lang := range langs {
			env := []string{"LOCPATH=" + lp, "LANG=" + lang, "PWD=" + dir}
			want := runTool(t, deb, "fortune", dir, env, "./one")
			got := runApplet(t, Main, dir, env, "fortune", "./one")
			if got != want {
				t.Errorf("LOCPATH=%s LANG=%s: differs\n%s", lp, lang, firstDiff(got.stdout, want.stdout))
			}
		}
	}
}

func TestRecodeLatin1(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"“q” — …", "\"q\" - ..."},
		{"café", "caf\xe9"},
		{"ab\xd0\x90cdefgh", "abgh"},        // А eats up to six bytes
		{"\xd0\x90\xe9abc", "abc"},          // an ill-formed byte ends the loss
		{"\xd0\x90xxx\xd0\x90abcdef", "ef"}, // the window holds whole characters
		{"\xe2\x80\xe2\x80\x9c", "\""},
		{"\xc3\xc3\xa9", "\xe9"},
		{"\xf0\x9f\x98\x80ab\n", "\n"},
		{"X<\xf0\x8f\xbf\xbfab>Z", "X<ab>Z"}, // overlong forms go alone
		{"X<\xf0\x80\x82\x80ab>Z", "X<ab>Z"},
		{"X<\xf8\x80\x80\xa0\x80ab>Z", "X<ab>Z"},
		{"X<\xfc\x80\x80\x80\x82\x80ab>Z", "X<ab>Z"},
		{"caf\xe9\n", "caf"}, // cut off by the end: the rest goes
		{"X\xf9>Z\n", "X"},
		{"X\xf0\x9f\x98", "X"},
	} {
		if got := string(recodeLatin1([]byte(c.in))); got != c.want {
			t.Errorf("recodeLatin1(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The archive reader finds names in a glibc locale-archive laid out by
// hand (header, name hash table, strings).
func TestLocaleArchive(t *testing.T) {
	names := []string{"de_DE.utf8", "en_US.utf8"}
	var strs []byte
	offs := []uint32{}
	const strOff = 56 + 12*4
	for _, n := range names {
		offs = append(offs, uint32(strOff+len(strs)))
		strs = append(strs, n...)
		strs = append(strs, 0)
	}
	ne := binary.NativeEndian
	b := make([]byte, 56)
	ne.PutUint32(b[0:], 0xde020109)
	ne.PutUint32(b[8:], 56)                 // namehash_offset
	ne.PutUint32(b[12:], 2)                 // used
	ne.PutUint32(b[16:], 4)                 // size
	ne.PutUint32(b[20:], strOff)            // string_offset
	ne.PutUint32(b[24:], uint32(len(strs))) // string_used
	for i := 0; i < 4; i++ {
		var e [12]byte
		if i == 1 || i == 3 {
			ne.PutUint32(e[0:], 7)
			ne.PutUint32(e[4:], offs[i/2])
		}
		b = append(b, e[:]...)
	}
	b = append(b, strs...)
	p := filepath.Join(t.TempDir(), "locale-archive")
	writeFile(t, p, b)
	for n, want := range map[string]bool{"de_DE.utf8": true, "en_US.utf8": true, "en_US": false, "de_DE.utf": false, "": false} {
		if got := inLocaleArchive(p, n); got != want {
			t.Errorf("inLocaleArchive(%q) = %v, want %v", n, got, want)
		}
	}
	if inLocaleArchive(filepath.Join(t.TempDir(), "none"), "C") {
		t.Error("a missing archive lists names")
	}
}
