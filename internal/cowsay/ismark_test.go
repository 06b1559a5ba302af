package cowsay

import (
	"testing"
	"unicode"
)

// The fast paths of isMark must agree with the Unicode tables everywhere.
func TestIsMarkMatchesTables(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me)
		if isMark(r) != want {
			t.Fatalf("isMark(%U) = %v, want %v", r, !want, want)
		}
	}
}
