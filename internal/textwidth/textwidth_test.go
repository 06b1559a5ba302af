package textwidth

import "testing"

func TestWcwidth(t *testing.T) {
	for _, c := range []struct {
		r rune
		w int
	}{
		{'a', 1}, {0, 0}, {'\t', -1}, {0x7f, -1}, {0x301, 0}, {'é', 1},
		{'漢', 2}, {'😀', 2}, {0xFF21, 2}, {0x200B, 0},
	} {
		if got := Wcwidth(c.r); got != c.w {
			t.Errorf("Wcwidth(%U) = %d, want %d", c.r, got, c.w)
		}
	}
	if RuneWidth('\t') != 0 || RuneWidth(0x378) != 1 || RuneWidth('漢') != 2 {
		t.Errorf("RuneWidth: tab %d, unassigned %d, CJK %d", RuneWidth('\t'), RuneWidth(0x378), RuneWidth('漢'))
	}
}

func TestString(t *testing.T) {
	for _, c := range []struct {
		s string
		w int
	}{
		{"", 0}, {"moo", 3}, {"漢字", 4}, {"e\u0301", 1}, {"a\tb", 2},
		{"❤️", 2}, {"👍🏽", 2}, {"🇫🇷", 2}, {"👨\u200d👩\u200d👧", 2}, {"x👨\u200d👩\u200d👧y", 4},
		// A skin tone with no emoji to modify is drawn on its own, 2 wide.
		{"ab🏻cd xy", 9}, {"🏻", 2}, {"a🏽", 3}, {"ab\u200dc", 3}, {"🇫", 2}, {"1\ufe0f\u20e3", 1},
	} {
		if got := String(c.s); got != c.w {
			t.Errorf("String(%q) = %d, want %d", c.s, got, c.w)
		}
	}
}

func TestMbswidth(t *testing.T) {
	// Perl cowsay's measure: control characters count -1, a NUL ends it.
	for _, c := range []struct {
		s string
		w int
	}{
		{"moo", 3}, {"a\tb", 1}, {"ab\x00cd", 2}, {"漢", 2}, {"❤️", 1},
	} {
		if got := Mbswidth(c.s); got != c.w {
			t.Errorf("Mbswidth(%q) = %d, want %d", c.s, got, c.w)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"moo", "漢字", "👨\u200d👩\u200d👧", "\xff\xfe", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w := String(s)
		if w < 0 || w > 2*len(s) {
			t.Fatalf("String(%q) = %d", s, w)
		}
	})
}
