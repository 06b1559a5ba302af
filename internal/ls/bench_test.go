package ls

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

// BenchmarkLongListing10k is "ls -l" of a 10,000-file directory, in
// process; bench/ls.sh times the binary against Debian's busybox.
func BenchmarkLongListing10k(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 10000; i++ {
		f, err := os.Create(filepath.Join(dir, "file"+strconv.Itoa(i)))
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rc := Main(&applet.Ctx{Args: []string{"ls", "-l", dir}, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Env: []string{"TZ=UTC"}, Dir: "/"}); rc != 0 {
			b.Fatal(rc)
		}
	}
}
