package cowsay

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

func benchRun(b *testing.B, args []string, stdin string) {
	b.Helper()
	b.SetBytes(int64(len(stdin)))
	b.ReportAllocs()
	for b.Loop() {
		c := &applet.Ctx{
			Args:   append([]string{"cowsay"}, args...),
			Stdin:  strings.NewReader(stdin),
			Stdout: io.Discard,
			Stderr: io.Discard,
			Dir:    "/",
		}
		if code := Main(c); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkHi is the in-process cost of `cowsay hi` (start-up of the
// binary is measured by bench/cowsay.sh).
func BenchmarkHi(b *testing.B) { benchRun(b, []string{"hi"}, "") }

func BenchmarkCalvin(b *testing.B) { benchRun(b, []string{"-f", "calvin", "hi"}, "") }

func message(n int) string {
	var buf bytes.Buffer
	words := []string{"moo ", "the ", "cow ", "jumped ", "over ", "moon\n", "日本語 ", "café "}
	for i := 0; buf.Len() < n; i++ {
		buf.WriteString(words[i%len(words)])
	}
	return buf.String()
}

func Benchmark1MB(b *testing.B) { benchRun(b, nil, message(1<<20)) }

// BenchmarkHugeMessage is the 100 MB message of the bad-input list: it
// must finish, in linear time.
func BenchmarkHugeMessage(b *testing.B) { benchRun(b, nil, message(100<<20)) }

func BenchmarkFill(b *testing.B) {
	text := message(1 << 20)
	b.SetBytes(1 << 20)
	for b.Loop() {
		fill(text, 40, true)
	}
}

func BenchmarkDisplayWidth(b *testing.B) {
	s := "日本語 café 👨‍👩‍👧 \x1b[31mred\x1b[0m plain ascii text"
	for b.Loop() {
		displayWidth(s)
	}
}
