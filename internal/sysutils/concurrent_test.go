package sysutils

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/df"
	"github.com/moobox/moobox/internal/ls"
	"github.com/moobox/moobox/internal/ps"
	"github.com/moobox/moobox/internal/stat"
)

// TestConcurrent runs the system applets side by side, as the shell runs
// a pipeline's applets in goroutines; under -race it finds shared state.
// Each run must give the same bytes as a run alone.
func TestConcurrent(t *testing.T) {
	// The outputs must not move while the test runs: list and stat a
	// private tree, not / where other programs come and go.
	dir := t.TempDir()
	for _, n := range []string{"a", "b/c", "b/d/e"} {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(n), 0o644)
	}
	runs := []struct {
		f    applet.Func
		args []string
	}{
		{ls.Main, []string{"ls", "-la", "b"}},
		{ls.Main, []string{"ls", "-lR", "."}},
		{stat.Main, []string{"stat", "-c", "%n %a %F %i", "a", "b/c", "."}},
		{df.Main, []string{"df", "-t", "proc", "-a"}},
		{ps.Main, []string{"ps", "-o", "pid,comm"}},
		{Uname, []string{"uname", "-a"}},
		{ID, []string{"id", "nobody"}},
		{Date, []string{"date", "-d", "@12345", "+%F %T %Z"}},
		{Which, []string{"which", "sh"}},
	}
	run := func(i int) string {
		var out bytes.Buffer
		r := runs[i]
		r.f(&applet.Ctx{Args: r.args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Env: []string{"TZ=UTC", "PATH=/usr/bin:/bin"}, Dir: dir})
		return out.String()
	}
	want := make([]string, len(runs))
	for i := range runs {
		want[i] = run(i)
	}
	var wg sync.WaitGroup
	for k := 0; k < 4; k++ {
		for i := range runs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				got := run(i)
				// ps sees the goroutines' process, unchanged; its own
				// list can differ only by processes starting or ending.
				if i != 4 && got != want[i] {
					t.Errorf("%v: concurrent run differs:\n%s---\n%s", runs[i].args, got, want[i])
				}
			}(i)
		}
	}
	wg.Wait()
}
