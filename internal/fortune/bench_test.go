package fortune

import (
	"io"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

// The side-by-side comparison with Debian's fortune is bench/fortune.sh;
// these measure the in-process cost (what the shell pays per call).

func benchRun(b *testing.B, args ...string) {
	requireSysFortunes(b)
	env := []string{"LANG=C.UTF-8", "MOOBOX_SEED=1"}
	for i := 0; i < b.N; i++ {
		c := &applet.Ctx{Args: args, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Env: env, Dir: "/"}
		Main(c)
	}
}

func BenchmarkFortuneRandom(b *testing.B) { benchRun(b, "fortune") }

func BenchmarkFortuneMatchThe(b *testing.B) { benchRun(b, "fortune", "-m", "the") }

func BenchmarkStrfileOrder(b *testing.B) {
	requireSysFortunes(b)
	src := []byte(strings.Repeat("a fortune line\nand another one\n%\n", 5000))
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		Build(src, strfileOptions{Delim: '%', Order: true})
	}
}
