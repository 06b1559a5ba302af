package lolcat

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
)

// benchText is typical text: words, punctuation, a few long lines.
func benchText() []byte { return bigInput(4 << 20) }

func benchMain(b *testing.B, args ...string) {
	in := benchText()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		c := &applet.Ctx{Args: append([]string{"lolcat", "-f", "-S", "7"}, args...),
			Stdin: bytes.NewReader(in), Stdout: io.Discard, Stderr: io.Discard}
		if Main(c) != 0 {
			b.Fatal("status")
		}
	}
	// MB per CPU second: on a shared, loaded machine the wall-clock MB/s
	// measures the other tenants as much as lolcat.
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/1e6/d.Seconds(), "MB/cpu-s")
	}
}

// cpuTime is the process's user+system time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPaint256 is the 256-colour target (>= 100 MB/s of input).
func BenchmarkPaint256(b *testing.B) { benchMain(b) }

// BenchmarkPaintTruecolor is the truecolor target (>= 60 MB/s).
func BenchmarkPaintTruecolor(b *testing.B) { benchMain(b, "-t") }

func BenchmarkPaintInvert(b *testing.B) { benchMain(b, "-i") }

func BenchmarkPaintUnicode(b *testing.B) {
	in := bytes.Repeat([]byte("Grüße aus 日本 — naïve café 😀\n"), 100000)
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		c := &applet.Ctx{Args: []string{"lolcat", "-f", "-S", "7"},
			Stdin: bytes.NewReader(in), Stdout: io.Discard, Stderr: io.Discard}
		Main(c)
	}
}

// BenchmarkStartup is one short run, as "echo hi | lolcat -f" does.
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := &applet.Ctx{Args: []string{"lolcat", "-f"},
			Stdin: bytes.NewReader([]byte("hi\n")), Stdout: io.Discard, Stderr: io.Discard}
		Main(c)
	}
}

func BenchmarkTable256(b *testing.B) {
	ph := newPhases()
	for i := 0; i < b.N; i++ {
		table256(ph)
	}
}
