package fortune

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// randomPattern strings together the pieces of re_comp's syntax that users
// type, valid or not (unbalanced groups, stray operators), for a
// differential test against Debian's fortune -m.
func randomPattern(r *rand.Rand) string {
	pieces := []string{
		"the", "a", "e", "in", "s", "T", "ing", " ", ".", `\w`, `\W`, `\s`, `\S`,
		"[a-z]", "[^ a-m]", "[]x]", "[0-9]", "*", "+", "?", `\(`, `\)`, `\|`,
		"^", "$", `\b`, `\B`, "{2}", `\{`, "|", "(", ")", `\.`, "\\`", `\'`, "-",
	}
	var b strings.Builder
	for i, n := 0, 1+r.IntN(6); i < n; i++ {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestPatternsMatchDebian(t *testing.T) {
	deb := debianTool(t, "fortune")
	requireSysFortunes(t)
	dir := fortuneFixture(t)
	files := []string{filepath.Join(dir, "goedel"), filepath.Join(dir, "d1")}
	env := []string{"LANG=C", "PWD=" + dir}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		pat := randomPattern(r)
		args := []string{"-m", pat}
		if i%3 == 0 {
			args = append([]string{"-i"}, args...)
		}
		args = append(args, files...)
		want := runTool(t, deb, "fortune", dir, env, args...)
		got := runApplet(t, Main, dir, env, append([]string{"fortune"}, args...)...)
		if got != want {
			t.Errorf("fortune %q: moobox exit %d, Debian %d\nstdout %s\nstderr %s", args[:len(args)-2], got.code, want.code,
				firstDiff(got.stdout, want.stdout), firstDiff(got.stderr, want.stderr))
		}
	}
}

// [.x.] and [=x=] inside brackets, which glibc reads whatever the syntax
// bits, ranges and stray '-', and their errors, with and without -i.
func TestBracketSymbolsMatchDebian(t *testing.T) {
	deb := debianTool(t, "fortune")
	requireSysFortunes(t)
	dir := fortuneFixture(t)
	env := []string{"LANG=C", "PWD=" + dir}
	pats := []string{"[[.a.]]", "[[=e=]]", "[[.space.]]", "[[.a.]-c]x", "[x[.-.]]", "[[.]", "[[=a]", "[[.a.]",
		"[[==]]", "[[...]]", "[[.].]]", "[[=.=]]", "[b-[.c.]]", "[^[.a.]]", "[[.-.]a]", "[[=a=]-c]", "[a-[=c=]]",
		"[[.a.", "[[.", "G[[.o.]][[=d=]]el", "[[:alpha:]]", "[[.:.]]",
		// A '-' after a range (or a class) may only end the list.
		"[a-c-e]", "[a-c--]", "[--a-c]", "[a-c-[.e.]]", "[a-c-]", "[a-c-", "[b-", "[-a]", "[a--]", "[a-b-c-]",
		"[ab-]", "[^-a]", "[^a-c-e]", "[[=a=]-]", "[[.a.]-c-]", "[--]", "[---]", "[----]", "[]-a]", "[]-a-b]"}
	for _, p := range pats {
		for _, args := range [][]string{{"-m", p}, {"-i", "-m", p}} {
			args = append(args, filepath.Join(dir, "goedel"))
			want := runTool(t, deb, "fortune", dir, env, args...)
			got := runApplet(t, Main, dir, env, append([]string{"fortune"}, args...)...)
			if got != want {
				t.Errorf("fortune %q: moobox exit %d, Debian %d\nstdout %s\nstderr %s", args[:len(args)-1], got.code, want.code,
					firstDiff(got.stdout, want.stdout), firstDiff(got.stderr, want.stderr))
			}
		}
	}
}
