package ps

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
	"github.com/moobox/moobox/internal/version"
)

func ours(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	rc := Main(&applet.Ctx{Args: append([]string{"ps"}, args...), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: "/"})
	return out.String(), errb.String(), rc
}

func theirs(t *testing.T, bb string, args ...string) (string, string, int) {
	r := testutil.Exec(t, "", nil, "", append([]string{bb, "ps"}, args...)...)
	return r.Stdout, r.Stderr, r.Code
}

// rows maps the first field (a pid) of each line after the header to the
// line.
func rows(s string) (string, map[string]string) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	m := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > 0 {
			m[f[0]] = l
		}
	}
	return lines[0], m
}

// Processes come and go between two runs and their counters move, so the
// comparison covers the stable columns of the processes both runs saw,
// other than the two ps processes themselves.
func TestDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	self := strconv.Itoa(os.Getpid())
	for _, o := range []string{
		"pid,ppid,pgid,sid,user,group,ruser,rgroup,nice,tty,comm,args",
		"pid,comm=CMD,user=",
		"pid=X,args",
		"pid,vsz,rss",
	} {
		g, ge, grc := ours("-o", o)
		w, we, wrc := theirs(t, bb, "-o", o)
		g2, _, _ := ours("-o", o)
		if grc != 0 || wrc != 0 || ge != "" || we != "" {
			t.Fatalf("-o %s: rc %d/%d stderr %q/%q", o, grc, wrc, ge, we)
		}
		gh, gm := rows(g)
		_, gm2 := rows(g2)
		wh, wm := rows(w)
		if gh != wh {
			t.Errorf("-o %s header %q want %q", o, gh, wh)
		}
		same := 0
		for pid, gl := range gm {
			wl, ok := wm[pid]
			// Skip ps itself and processes that changed (exec'd, renamed)
			// while the snapshots were taken.
			if !ok || pid == self || gm2[pid] != gl {
				continue
			}
			if o == "pid,vsz,rss" {
				// Memory moves; compare the layout only.
				if len(gl) != len(wl) {
					t.Errorf("-o %s pid %s: %q want %q", o, pid, gl, wl)
				}
			} else if gl != wl && !strings.Contains(wl, "busybox") {
				t.Errorf("-o %s pid %s:\n got %q\nwant %q", o, pid, gl, wl)
			}
			same++
		}
		if same < 2 {
			t.Errorf("-o %s: only %d processes in common", o, same)
		}
	}
	// The default, -e, -A, -f all print the same columns.
	for _, args := range [][]string{nil, {"-e"}, {"-A"}, {"-f"}, {"-ef"}} {
		g, _, rc := ours(args...)
		if rc != 0 || !strings.HasPrefix(g, "PID   USER     TIME  COMMAND\n") {
			t.Errorf("ps %v: rc %d, output starts %.60q", args, rc, g)
		}
		re := regexp.MustCompile(`^ *[0-9]+ \S+ +[0-9]+:[0-9][0-9] .+$`)
		for _, l := range strings.Split(strings.TrimSpace(g), "\n")[1:] {
			if !re.MatchString(l) {
				t.Errorf("ps %v: bad line %q", args, l)
			}
		}
	}
	// Errors match busybox's wording.
	for _, args := range [][]string{{"-o", "bogus"}, {"-x"}, {"-o", "pid,nope"}} {
		_, ge, grc := ours(args...)
		_, we, wrc := theirs(t, bb, args...)
		first := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
		// moobox also has busybox's optional etime and time columns.
		if grc != wrc || strings.NewReplacer(",etime", "", ",time", "").Replace(first(ge)) != first(we) {
			t.Errorf("ps %v: rc %d %q, want rc %d %q", args, grc, ge, wrc, we)
		}
	}
	g, _, rc := ours("--version")
	if rc != 0 || g != "ps from moobox "+version.Version+"\n" {
		t.Errorf("--version: %d %q", rc, g)
	}
}

func TestCompact(t *testing.T) {
	for in, want := range map[uint64]string{
		0: "   0", 7: "   7", 9999: "9999", 10000: "9.7m", 15000: " 14m",
		1048576: "1.0g", 123456789: "117g",
	} {
		if got := compact(in); got != want {
			t.Errorf("compact(%d) = %q want %q", in, got, want)
		}
	}
}
