package fortune

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badDat builds a header claiming n strings followed by the given offsets.
func badDat(n uint32, offs ...uint32) []byte {
	b := appendHeader(nil, header{Version: 2, NumStr: n, LongLen: 10, ShortLen: 1, Delim: '%'})
	for _, o := range offs {
		b = binary.BigEndian.AppendUint32(b, o)
	}
	return b
}

func TestFortuneBadInput(t *testing.T) {
	good := "one\n%\ntwo\n%\nthree\n%\n"
	goodDat, _ := Build([]byte(good), strfileOptions{Delim: '%'})
	// Another, longer file's index (its leading empty fortune moves its
	// first offset too): no offset fits this text.
	otherDat, _ := Build([]byte("%\n"+strings.Repeat("a much longer fortune text\n%\n", 40)), strfileOptions{Delim: '%'})
	long := strings.Repeat("this fortune is far too long to be short\n", 10) + "%\n"
	longDat, _ := Build([]byte(long), strfileOptions{Delim: '%'})
	cases := []struct {
		name     string
		text     string
		dat      []byte // nil: no .dat at all
		args     []string
		wantCode int    // -1: any
		wantErr  string // substring of stderr
	}{
		{"truncated header", good, goodDat[:10], nil, 1, "corrupted"},
		{"empty dat", good, []byte{}, nil, 1, "corrupted"},
		{"lying count", good, badDat(1000, 0, 4), nil, -1, ""},
		{"offsets past end", good, badDat(2, 5000, 6000, 7000), nil, 1, "/f/f corrupted\n"},
		{"offsets inside fortunes", good, badDat(2, 2, 7, 12), nil, 1, "/f/f corrupted\n"},
		{"offsets past end, -c", good, badDat(2, 5000, 6000, 7000), []string{"-c", "f"}, 1, "corrupted"},
		{"offsets past end, -s", good, badDat(2, 5000, 6000, 7000), []string{"-s", "f"}, 1, "corrupted"},
		{"offsets backwards", good, badDat(2, 8, 0, 4), []string{"-s", "f"}, -1, ""},
		{"dat of another file", good, otherDat, nil, 1, "/f/f corrupted\n"},
		{"dat of another file, -c", good, otherDat, []string{"-c", "f"}, 1, "corrupted"},
		{"huge offsets", good, badDat(1, 0xffffffff, 0xffffffff), []string{"-l", "f"}, -1, ""},
		{"no strings", "", badDat(0, 0), nil, 1, "no fortune found"},
		{"zero-byte file with its dat", "", func() []byte { d, _ := Build(nil, strfileOptions{Delim: '%'}); return d }(), nil, 1, "no fortune found"},
		{"no delimiters", "just text\nno delimiter\n", func() []byte {
			d, _ := Build([]byte("just text\nno delimiter\n"), strfileOptions{Delim: '%'})
			return d
		}(), nil, 0, ""},
		{"no dat", good, nil, nil, 1, "No fortune files in directory"},
		{"nothing short enough", long, longDat, []string{"-s", "f"}, 1, "no fortune is 160 characters or shorter"},
		{"nothing long enough", good, goodDat, []string{"-l", "-n", "100", "f"}, 1, "no fortune is longer than 100"},
		{"-n abc", good, goodDat, []string{"-s", "-n", "abc", "f"}, 1, "invalid number for -n"},
		{"-n missing", good, goodDat, []string{"-n"}, 1, "option requires an argument"},
		{"200%", good, goodDat, []string{"200%", "f"}, 1, "percentages must be <= 100"},
		{"percent alone", good, goodDat, []string{"50%"}, 1, "percentages must precede files"},
		{"residual", good, goodDat, []string{"50%", "f"}, 1, "no place to put residual probability (50%)"},
		{"bad pattern", good, goodDat, []string{"-m", `\(`, "f"}, 1, "bad pattern"},
		{"back-reference", good, goodDat, []string{"-m", `\(o\)\1`, "f"}, 1, "back-references are not supported"},
		{"-m on truncated dat", good, goodDat[:20], []string{"-m", "o", "f"}, 1, "corrupted"},
		{"-f on truncated dat", good, goodDat[:20], []string{"-f", "f"}, 1, "corrupted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fdir := filepath.Join(dir, "f")
			writeFile(t, filepath.Join(fdir, "f"), []byte(tc.text))
			if tc.dat != nil {
				writeFile(t, filepath.Join(fdir, "f.dat"), tc.dat)
			}
			env := []string{"FORTUNE_PATH=" + dir, "MOOBOX_SEED=1", "PWD=" + dir}
			args := append([]string{"fortune"}, tc.args...)
			if tc.args == nil {
				args = append(args, "f")
			}
			for seed := 0; seed < 5; seed++ {
				env[1] = "MOOBOX_SEED=" + string(rune('0'+seed))
				r := runApplet(t, Main, dir, env, args...)
				if tc.wantCode >= 0 && r.code != tc.wantCode {
					t.Errorf("%q: exit %d, want %d (stderr %q)", args, r.code, tc.wantCode, r.stderr)
				}
				if tc.wantErr != "" && !strings.Contains(r.stderr, tc.wantErr) {
					t.Errorf("%q: stderr %q, want %q", args, r.stderr, tc.wantErr)
				}
				if r.code != 0 && r.stderr == "" {
					t.Errorf("%q: exit %d without a message", args, r.code)
				}
			}
		})
	}
}

// Every offset strfile writes passes fortune's check, whatever the order
// (-r shuffles the end offset in) and however odd the text.
func TestFortuneValidOffsets(t *testing.T) {
	texts := []string{"a\n%\nb\n%\nc", "%\nx\n%\n%\ny\n%\n", strings.Repeat("x", 255) + "%\nb\n%\n", "one\n", "p\n#\nq\n#\n"}
	for i, text := range texts {
		delim := byte('%')
		if strings.Contains(text, "#") {
			delim = '#'
		}
		for _, o := range []strfileOptions{{Delim: delim}, {Delim: delim, Order: true}, {Delim: delim, Random: true, Seed: uint64(i)}} {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "f", "f"), []byte(text))
			dat, _ := Build([]byte(text), o)
			writeFile(t, filepath.Join(dir, "f", "f.dat"), dat)
			for seed := 0; seed < 12; seed++ {
				env := []string{"FORTUNE_PATH=" + dir, fmt.Sprintf("MOOBOX_SEED=%d", seed)}
				if r := runApplet(t, Main, dir, env, "fortune", "f"); r.code != 0 || r.stderr != "" {
					t.Errorf("%q %+v seed %d: %+v", text, o, seed, r)
				}
			}
		}
	}
}

func TestFortuneEmptyDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sys"), 0o755)
	env := []string{"FORTUNE_PATH=" + filepath.Join(dir, "sys")}
	r := runApplet(t, Main, dir, env, "fortune")
	if r.code != 1 || !strings.Contains(r.stderr, "No fortune files in directory") {
		t.Errorf("empty fortune dir: %+v", r)
	}
}

// With no fortune directory at all, fortune uses its embedded fortunes.
func TestFortuneEmbeddedFallback(t *testing.T) {
	dir := t.TempDir()
	env := []string{"FORTUNE_PATH=" + filepath.Join(dir, "none"), "MOOBOX_SEED=7"}
	r := runApplet(t, Main, dir, env, "fortune", "-c")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "(") || r.stderr != "" {
		t.Fatalf("embedded fallback: %+v", r)
	}
	r = runApplet(t, Main, dir, env, "fortune", "-f")
	if r.code != 0 || !strings.Contains(r.stderr, "100.00% "+embedRoot) || !strings.Contains(r.stderr, " unix\n") {
		t.Fatalf("embedded -f: %+v", r)
	}
	r = runApplet(t, Main, dir, env, "fortune", "-m", "SOURCE_DATE_EPOCH", "reproducible")
	if r.code != 1 || !strings.Contains(r.stdout, "SOURCE_DATE_EPOCH") {
		t.Fatalf("embedded -m: %+v", r)
	}
	// FORTUNE_PATH directories are used when they exist.
	writeFile(t, filepath.Join(dir, "mine", "only"), []byte("mine!\n%\n"))
	d, _ := Build([]byte("mine!\n%\n"), strfileOptions{Delim: '%'})
	writeFile(t, filepath.Join(dir, "mine", "only.dat"), d)
	env[0] = "FORTUNE_PATH=" + filepath.Join(dir, "none") + ":" + filepath.Join(dir, "mine")
	r = runApplet(t, Main, dir, env, "fortune")
	if r.code != 0 || r.stdout != "mine!\n" {
		t.Fatalf("FORTUNE_PATH: %+v", r)
	}
	r = runApplet(t, Main, dir, env, "fortune", "only")
	if r.code != 0 || r.stdout != "mine!\n" {
		t.Fatalf("FORTUNE_PATH name: %+v", r)
	}
}

// FuzzFortuneDat feeds arbitrary indexes and texts to fortune: whatever
// they hold, it must print or complain, never panic or hang.
func FuzzFortuneDat(f *testing.F) {
	good := []byte("one\n%\ntwo\n%\nthree\n")
	gd, _ := Build(good, strfileOptions{Delim: '%'})
	od, _ := Build(good, strfileOptions{Delim: '%', Order: true})
	f.Add(gd, good, uint8(0))
	f.Add(od, good, uint8(1))
	f.Add(gd[:30], good, uint8(2))
	f.Add(badDat(5, 1, 2), good, uint8(3))
	f.Add(badDat(0xffffffff, 0xffffffff), []byte{}, uint8(4))
	argSets := [][]string{nil, {"-f"}, {"-m", "o"}, {"-s", "-n", "3"}, {"-l", "-n", "3"}, {"-c", "-e"}, {"-i", "-m", "T"}}
	dir := f.TempDir()
	fdir := filepath.Join(dir, "f")
	os.MkdirAll(fdir, 0o755)
	f.Fuzz(func(t *testing.T, dat, text []byte, which uint8) {
		writeFile(t, filepath.Join(fdir, "f"), text)
		writeFile(t, filepath.Join(fdir, "f.dat"), dat)
		args := append([]string{"fortune"}, argSets[int(which)%len(argSets)]...)
		env := []string{"FORTUNE_PATH=" + dir, "MOOBOX_SEED=3"}
		r := runApplet(t, Main, dir, env, append(args, "f")...)
		if r.code != 0 && r.code != 1 {
			t.Fatalf("exit %d", r.code)
		}
		if r.code != 0 && r.stderr == "" && !strings.Contains(strings.Join(args, " "), "-m") {
			t.Fatalf("%q failed without a message", args)
		}
	})
}

// FuzzPattern: any -m pattern is translated or refused, never a panic,
// and a translated one always compiles.
func FuzzPattern(f *testing.F) {
	for _, p := range []string{`a\|b`, `\(x\)*`, `[]a-]`, `^*`, `a**`, `\w\+$`, `[`, `\`, `\)`, `x\{2\}`} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := translatePattern(p)
		if err != nil {
			return
		}
		if _, err := compilePattern(p); err != nil {
			t.Fatalf("%q translated to %q which does not compile: %v", p, s, err)
		}
	})
}

// Applets run concurrently inside the shell: fortune keeps no shared state
// (run with -race to check).
func TestFortuneConcurrent(t *testing.T) {
	dir := t.TempDir()
	env := []string{"FORTUNE_PATH=" + filepath.Join(dir, "none"), "MOOBOX_SEED=5"}
	want := runApplet(t, Main, dir, env, "fortune", "-c")
	done := make(chan result, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			if i%2 == 0 {
				done <- runApplet(t, Main, dir, env, "fortune", "-c")
			} else {
				done <- runApplet(t, Main, dir, env, "fortune", "-m", "cow")
			}
		}(i)
	}
	for i := 0; i < 8; i++ {
		r := <-done
		if r.code == 0 && r.stdout != want.stdout {
			t.Errorf("concurrent run differs: %q vs %q", r.stdout, want.stdout)
		}
	}
}
