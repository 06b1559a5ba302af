package fortune

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
)

// mkFortunes writes a fortune file and its index.
func mkFortunes(t *testing.T, path, text string, o strfileOptions) {
	t.Helper()
	writeFile(t, path, []byte(text))
	dat, _ := Build([]byte(text), o)
	writeFile(t, path+".dat", dat)
}

// -w waits after the fortune: one second per 20 characters, at least six
// (fortune-mod's MINW and CPERS), by its fortlen measure. The run is not
// timed: the computed pause is checked, and that the fortune is out first.
func TestFortuneWait(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat(strings.Repeat("w", 59)+"\n", 5) // 300 bytes
	for _, c := range []struct {
		name, text string
		o          strfileOptions
		want       time.Duration
	}{
		{"short", "tiny\n%\n", strfileOptions{Delim: '%'}, 6 * time.Second},
		{"long", long + "%\n", strfileOptions{Delim: '%'}, 15 * time.Second},
		{"long ordered", long + "%\n", strfileOptions{Delim: '%', Order: true}, 15 * time.Second},
		{"139 bytes", strings.Repeat("x", 138) + "\n%\n", strfileOptions{Delim: '%'}, 6 * time.Second},
		{"140 bytes", strings.Repeat("x", 139) + "\n%\n", strfileOptions{Delim: '%'}, 7 * time.Second},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		mkFortunes(t, p, c.text, c.o)
		var out, errb bytes.Buffer
		st := newState(&applet.Ctx{Args: []string{"fortune", "-w", p}, Stdout: &out, Stderr: &errb, Env: []string{"MOOBOX_SEED=1"}, Dir: dir})
		code := st.run()
		st.stdout.Flush()
		st.stderr.Flush()
		if code != 0 || out.String() != strings.TrimSuffix(c.text, "%\n") || errb.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c.name, code, out.String(), errb.String())
		}
		if st.pause != c.want {
			t.Errorf("%s: -w waits %v, want %v", c.name, st.pause, c.want)
		}
		// Without -w there is no pause.
		st = newState(&applet.Ctx{Args: []string{"fortune", p}, Stdout: &out, Stderr: &errb, Env: []string{"MOOBOX_SEED=1"}, Dir: dir})
		if st.run(); st.pause != 0 {
			t.Errorf("%s: waits %v without -w", c.name, st.pause)
		}
	}
}

// -o and -a take the off/ directory of each FORTUNE_PATH directory, whose
// files are rot13-encoded (strfile -x): what prints is the plain text.
func TestFortuneOffensiveDirs(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "sys")
	mkFortunes(t, filepath.Join(sys, "tame"), "A tame fortune.\n%\n", strfileOptions{Delim: '%'})
	plain := []string{"Offensive fortune number one.", "Offensive fortune number two!"}
	var enc strings.Builder
	for _, p := range plain {
		b := []byte(p)
		rot13(b)
		enc.Write(b)
		enc.WriteString("\n%\n")
	}
	if strings.Contains(enc.String(), "Offensive") {
		t.Fatal("fixture not encoded")
	}
	mkFortunes(t, filepath.Join(sys, "off", "rude"), enc.String(), strfileOptions{Delim: '%', Rotated: true})
	env := []string{"FORTUNE_PATH=" + sys, "MOOBOX_SEED=0", "LANG=C"}

	seen := map[string]bool{}
	for seed := 0; seed < 20; seed++ {
		env[1] = fmt.Sprintf("MOOBOX_SEED=%d", seed)
		r := runApplet(t, Main, dir, env, "fortune", "-o")
		if r.code != 0 || (r.stdout != plain[0]+"\n" && r.stdout != plain[1]+"\n") {
			t.Fatalf("fortune -o: %+v", r)
		}
		seen[r.stdout] = true
		r = runApplet(t, Main, dir, env, "fortune", "-a")
		if r.code != 0 || (r.stdout != plain[0]+"\n" && r.stdout != plain[1]+"\n" && r.stdout != "A tame fortune.\n") {
			t.Fatalf("fortune -a: %+v", r)
		}
		seen[r.stdout] = true
		if r := runApplet(t, Main, dir, env, "fortune"); r.stdout != "A tame fortune.\n" {
			t.Fatalf("fortune without -o/-a took an offensive one: %+v", r)
		}
	}
	if len(seen) != 3 {
		t.Errorf("-o/-a over 20 seeds printed %d different fortunes, want 3: %v", len(seen), seen)
	}
	r := runApplet(t, Main, dir, env, "fortune", "-a", "-f")
	// One tame and two offensive fortunes, weighted by count (fortune-mod
	// gives the files their share of the whole too).
	want := "33.33% " + sys + "\n    33.33% tame\n66.67% " + sys + "/off\n    66.67% rude\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("fortune -a -f: %+v", r)
	}
	r = runApplet(t, Main, dir, env, "fortune", "-o", "-m", "number two")
	if r.code != 1 || r.stdout != plain[1]+"\n%\n" || r.stderr != "(rude)\n%\n" {
		t.Errorf("fortune -o -m: %+v", r)
	}
}

// A language subdirectory named by LANG (its first two letters) is used
// in a FORTUNE_PATH directory, as fortune-mod does in its own directory.
func TestFortuneLanguageDir(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "sys")
	mkFortunes(t, filepath.Join(sys, "english"), "An English fortune.\n%\n", strfileOptions{Delim: '%'})
	mkFortunes(t, filepath.Join(sys, "de", "sprueche"), "Ein deutscher Spruch.\n%\n", strfileOptions{Delim: '%'})
	for _, c := range []struct{ env, want string }{
		{"LANG=de_DE.UTF-8", "Ein deutscher Spruch.\n"},
		{"LANG=de", "Ein deutscher Spruch.\n"},
		{"LC_ALL=de_AT.UTF-8", "Ein deutscher Spruch.\n"},
		{"LANGUAGE=fr:de", "Ein deutscher Spruch.\n"},
		{"LANG=fr_FR.UTF-8", "An English fortune.\n"},
		{"LANG=C", "An English fortune.\n"},
	} {
		env := []string{"FORTUNE_PATH=" + sys, "MOOBOX_SEED=3", c.env}
		r := runApplet(t, Main, dir, env, "fortune")
		if r.code != 0 || r.stdout != c.want {
			t.Errorf("%s: %+v, want %q", c.env, r, c.want)
		}
	}
	r := runApplet(t, Main, dir, []string{"FORTUNE_PATH=" + sys, "LANG=de_DE.UTF-8"}, "fortune", "-f")
	if r.code != 0 || r.stderr != "100.00% de\n    100.00% sprueche\n" {
		t.Errorf("-f under LANG=de_DE.UTF-8: %+v", r)
	}
	r = runApplet(t, Main, dir, []string{"FORTUNE_PATH=" + sys, "LANG=de_DE.UTF-8", "MOOBOX_SEED=1"}, "fortune", "sprueche")
	if r.code != 0 || r.stdout != "Ein deutscher Spruch.\n" {
		t.Errorf("a file of the language directory by name: %+v", r)
	}
}
