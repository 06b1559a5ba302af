package fortune

import (
	"bufio"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

// fortuneFixture makes a working directory for the differential tests:
// copies of Debian files, a directory, an empty one, a rot13 file, a file
// with a .u8 twin and non-ASCII text, a one-fortune file, an empty one.
func fortuneFixture(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	cp := func(name, to string) {
		b, err := os.ReadFile(filepath.Join(sysDir, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, to), b)
	}
	cp("goedel", "goedel")
	cp("goedel.dat", "goedel.dat")
	cp("goedel", "d1/goedel")
	cp("goedel.dat", "d1/goedel.dat")
	cp("tao", "d1/tao")
	cp("tao.dat", "d1/tao.dat")
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	mk := func(name, text string, o strfileOptions) {
		writeFile(t, filepath.Join(dir, name), []byte(text))
		dat, _ := Build([]byte(text), o)
		writeFile(t, filepath.Join(dir, name+".dat"), dat)
	}
	mk("one", "The only fortune here.\n%\n", strfileOptions{Delim: '%'})
	mk("rot", "Uryyb, jbeyq!\n%\n", strfileOptions{Delim: '%', Rotated: true})
	mk("utf", "caf\xc3\xa9 cr\xc3\xa8me\n%\n", strfileOptions{Delim: '%'})
	if err := os.Symlink("utf", filepath.Join(dir, "utf.u8")); err != nil {
		t.Fatal(err)
	}
	mk("uq", "\u201cq\u201d \u2014 \u2026 \u20ac\n\u041a\u0438\u0440\u0438\u043b\u043b\u0438\u0446\u0430 ab\xd0\x90cd\nstray \xe9 caf\xc3\xa9\n%\n", strfileOptions{Delim: '%'})
	if err := os.Symlink("uq", filepath.Join(dir, "uq.u8")); err != nil {
		t.Fatal(err)
	}
	mk("zero", "", strfileOptions{Delim: '%'})
	mk("ord", "b fortune\n%\na fortune\n%\n", strfileOptions{Delim: '%', Order: true})
	mk("hash", "x\n#\n", strfileOptions{Delim: '#'})
	return dir
}

// fortuneCases run against Debian's fortune and moobox's; none of them
// makes Debian loop, sleep or choose at random.
var fortuneCases = []string{
	"-f", "-e -f", "-a -f", "-o -f", "-f goedel tao", "-e -f goedel tao",
	"-f 30% goedel tao", "-f 30% goedel 70% tao", "30% goedel 80% tao",
	"100% goedel tao", "-f 0% goedel tao", "-f 10%goedel tao", "-f 50.5% goedel",
	"50%", "200% x", "1000% goedel", "99999999999% goedel", "-f ./goedel", "-f ./d1",
	"-f empty", "-f ./empty", "-f $DIR/empty", "-f nonexist", "-f ./nonexist",
	"-f goedel.dat", "-f d1/goedel", "-f $DIR/d1 goedel", "-e -f $DIR/d1 goedel tao",
	"-f all", "-f zero", "zero", "-f $DIR/zero goedel", "one", "-c one", "-c $DIR/one",
	"$DIR/rot", "-c $DIR/utf", "$DIR/uq", "-c $DIR/uq", "-u $DIR/uq", "-m \u201c $DIR/uq", "-m \u041a $DIR/uq", "-m caf $DIR/uq", "-u $DIR/utf", "-m fortune $DIR/ord", "-s -m fortune $DIR/ord", "$DIR/hash", "-f $DIR/hash",
	"-m Kant", "-i -m kant", "-m a\\(", "-m a\\)", "-m [abc", "-m a\\", "-s -n 60 -m the",
	"-l -n 600 -m the", "-i -s -m the", "-m .", "-m zzzzzq", "-m ''",
	"-m '\\(cat\\|dog\\)s\\b'", "-m '^The'", "-m 'ing$'", "-i -m 'unix\\|linux'",
	"-m '[0-9][0-9]*%'", "-m 'o.b'", "-m 'a+b?'", "-m '\\<the\\>'", "-m 'x*'",
	"-m '[[:alpha:]]'", "-m '\\w\\W\\s'", "-c -m xyz", "-e -m the goedel",
	"-m the goedel tao d1", "-u -m ggen computers", "-m ggen computers", "-m caf. $DIR/utf",
	"-m 'Uryyb\\|Hello' $DIR/rot", "-m 'a|b'", "-m '*a'", "-m '^*'", "-m 'a**'",
	"-m '[]a]'", "-m '[^a-z]'", "-m 'e\\{2\\}'", "-m '\\`The'", "-i -m 'the\\'''",
	"-m x $DIR/hash", "-i -m '[a-c]x'", "-i -m '\\w'", "-m 'the\\'*'", "-m '\\B+ing'", "-h", "-m", "-v", "-x", "-n", "-s -n 10 -m . one",
}

func TestFortuneMatchesDebian(t *testing.T) {
	deb := debianTool(t, "fortune")
	requireSysFortunes(t)
	dir := fortuneFixture(t)
	// Every case under the two locales that change output; the cheap ones
	// (not -m over the whole set) also with LANG unset and a language list.
	for _, lang := range []string{"C.UTF-8", "C", "unset", "fr_FR:de"} {
		lang := lang
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			env := []string{"LANG=" + lang, "PWD=" + dir}
			if lang == "unset" {
				env = env[1:]
			}
			for _, cs := range fortuneCases {
				args := splitArgs(strings.ReplaceAll(cs, "$DIR", dir))
				if lang != "C.UTF-8" && lang != "C" && strings.Contains(cs, "-m") && !strings.Contains(cs, "$DIR") && !strings.Contains(cs, "goedel") {
					continue
				}
				want := runTool(t, deb, "fortune", dir, env, args...)
				if want.code < 0 {
					t.Logf("fortune %s: Debian crashed; not compared", cs)
					continue
				}
				got := runApplet(t, Main, dir, env, append([]string{"fortune"}, args...)...)
				if got.code != want.code {
					t.Errorf("fortune %s: exit %d, Debian %d", cs, got.code, want.code)
				}
				if got.stdout != want.stdout {
					t.Errorf("fortune %s: stdout differs\n%s", cs, firstDiff(got.stdout, want.stdout))
				}
				if got.stderr != want.stderr {
					t.Errorf("fortune %s: stderr differs\n%s", cs, firstDiff(got.stderr, want.stderr))
				}
			}
		})
	}
}

// splitArgs splits on spaces, keeping '...' together.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	in, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			in, have = !in, true
		case c == ' ' && !in:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w || i >= len(gl) || i >= len(wl) {
			return fmt.Sprintf("line %d:\nmoobox: %q\ndebian: %q", i+1, g, w)
		}
	}
	return ""
}

// A random fortune is one whole fortune of the file -c names.
func TestFortuneRandomIsAFortune(t *testing.T) {
	requireSysFortunes(t)
	env := []string{"LANG=C", "MOOBOX_SEED=0"}
	outs := map[string]bool{}
	for seed := 0; seed < 40; seed++ {
		env[1] = fmt.Sprintf("MOOBOX_SEED=%d", seed)
		r := runApplet(t, Main, "/", env, "fortune", "-c")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("fortune -c: %+v", r)
		}
		name, text, ok := strings.Cut(strings.TrimPrefix(r.stdout, "("), ")\n%\n")
		if !ok {
			t.Fatalf("no file name in %q", r.stdout)
		}
		all := fortunesOf(t, filepath.Join(sysDir, name))
		if !all[text] {
			t.Errorf("seed %d: %q is not a fortune of %s", seed, text, name)
		}
		again := runApplet(t, Main, "/", env, "fortune", "-c")
		if again.stdout != r.stdout {
			t.Errorf("seed %d: not reproducible", seed)
		}
		outs[r.stdout] = true
	}
	if len(outs) < 30 {
		t.Errorf("40 seeds gave only %d different fortunes", len(outs))
	}
}

// fortunesOf splits a fortune file by its index.
func fortunesOf(t testing.TB, path string) map[string]bool {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dat, err := os.ReadFile(path + ".dat")
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDat(dat)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for i := 0; i < int(d.NumStr); i++ {
		a := int(d.offset(i))
		s := string(text[a:])
		if j := strings.Index(s, "\n"+string(d.Delim)+"\n"); j >= 0 {
			s = s[:j+1]
		}
		m[s] = true
	}
	return m
}

// testState prepares fortune's file list as Main does, for drawing many
// fortunes without the cost of a run each.
func testState(t testing.TB, dir string, equal bool, args ...string) *state {
	t.Helper()
	st := &state{
		c:      &applet.Ctx{Args: []string{"fortune"}, Dir: dir, Env: []string{"PWD=" + dir}},
		fs:     vfs{dir: dir},
		stdout: bufio.NewWriter(io.Discard),
		stderr: bufio.NewWriter(io.Discard),
		slen:   160,
		dirs:   []string{dir},
		equal:  equal,
		rng:    mrand.New(mrand.NewPCG(2026, 11)),
	}
	if !st.formFileList(args) {
		t.Fatalf("no fortunes in %v", args)
	}
	if st.initProb() != 0 {
		t.Fatal("initProb failed")
	}
	return st
}

// chiSquare returns the statistic for observed counts against expected.
func chiSquare(obs map[string]int, exp map[string]float64) float64 {
	x := 0.0
	for k, e := range exp {
		d := float64(obs[k]) - e
		x += d * d / e
	}
	return x
}

// chiCritical is the chi-square quantile for p = 0.001 (Wilson-Hilferty):
// a correct implementation fails one run in a thousand seeds; the seed is
// fixed, so the test is stable and still fails a biased selection.
func chiCritical(df int) float64 {
	k := float64(df)
	z := 3.090232 // 99.9th percentile of the normal
	v := 1 - 2/(9*k) + z*math.Sqrt(2/(9*k))
	return k * v * v * v
}

func TestSelectionChiSquare(t *testing.T) {
	dir := t.TempDir()
	sizes := map[string]int{"a": 5, "b": 10, "c": 25}
	for name, n := range sizes {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%s fortune %d\n%%\n", name, i)
		}
		writeFile(t, filepath.Join(dir, "set", name), []byte(b.String()))
		dat, _ := Build([]byte(b.String()), strfileOptions{Delim: '%'})
		writeFile(t, filepath.Join(dir, "set", name+".dat"), dat)
	}
	const draws = 40000
	draw := func(st *state) (map[string]int, map[string]int) {
		perFortune, perFile := map[string]int{}, map[string]int{}
		for i := 0; i < draws; i++ {
			fp, a, _, code := st.pick()
			if code != 0 {
				t.Fatal("pick failed")
			}
			perFortune[fmt.Sprintf("%s@%d", fp.name, a)]++
			perFile[filepath.Base(fp.name)]++
		}
		return perFortune, perFile
	}
	check := func(what string, obs map[string]int, exp map[string]float64) {
		t.Helper()
		x, crit := chiSquare(obs, exp), chiCritical(len(exp)-1)
		t.Logf("%s: chi2 = %.1f (df %d, critical %.1f)", what, x, len(exp)-1, crit)
		if x > crit || len(obs) != len(exp) {
			t.Errorf("%s: not the expected distribution: chi2 %.1f > %.1f, %v", what, x, crit, obs)
		}
	}

	// Default: every fortune of the directory equally likely.
	perFortune, _ := draw(testState(t, dir, false, filepath.Join(dir, "set")))
	exp := map[string]float64{}
	for k := range perFortune {
		exp[k] = draws / 40.0
	}
	if len(perFortune) != 40 {
		t.Fatalf("drew %d different fortunes, want 40", len(perFortune))
	}
	check("uniform over fortunes", perFortune, exp)

	// 50% to a, the rest by fortune count.
	_, perFile := draw(testState(t, dir, false, "50%", filepath.Join(dir, "set/a"), filepath.Join(dir, "set/b"), filepath.Join(dir, "set/c")))
	check("50% a, rest by size", perFile, map[string]float64{"a": draws * 0.5, "b": draws * 0.5 * 10 / 35, "c": draws * 0.5 * 25 / 35})

	// -e: files equally likely whatever their size.
	_, perFile = draw(testState(t, dir, true, filepath.Join(dir, "set/a"), filepath.Join(dir, "set/b"), filepath.Join(dir, "set/c")))
	// init_prob gives 33%, 33% and the remaining 34%.
	check("-e equal files", perFile, map[string]float64{"a": draws * 0.34, "b": draws * 0.33, "c": draws * 0.33})

	// A biased picker must fail: the check is not vacuous.
	biased := map[string]int{}
	for k, v := range perFortune {
		biased[k] = v
	}
	biased["a@0"] += draws / 40
	if chiSquare(biased, exp) <= chiCritical(39) {
		t.Error("chi-square check does not notice a doubled fortune")
	}
}

// -s and -l choose only fortunes of the asked length (fortune-mod's
// measure: bytes up to the delimiter line).
func TestFortuneShortLong(t *testing.T) {
	requireSysFortunes(t)
	for seed := 0; seed < 20; seed++ {
		env := []string{"LANG=C", fmt.Sprintf("MOOBOX_SEED=%d", seed)}
		r := runApplet(t, Main, "/", env, "fortune", "-s", "-n", "60")
		if r.code != 0 || len(r.stdout) > 60 || r.stdout == "" {
			t.Errorf("-s -n 60: %d bytes, %+v", len(r.stdout), r)
		}
		r = runApplet(t, Main, "/", env, "fortune", "-l", "-n", "1000")
		if r.code != 0 || len(r.stdout) <= 1000 {
			t.Errorf("-l -n 1000: %d bytes, exit %d", len(r.stdout), r.code)
		}
	}
}
