package lolcat

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/moobox/moobox/internal/applet"
)

// runTTY runs lolcat with a pseudo-terminal as stdout.
func runTTY(t *testing.T, stdin string, env []string, args ...string) string {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pty:", err)
	}
	defer ptmx.Close()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once the tty closes
		got <- b
	}()
	c := &applet.Ctx{Args: append([]string{"lolcat"}, args...), Stdin: strings.NewReader(stdin),
		Stdout: tty, Stderr: io.Discard, Env: env}
	Main(c)
	tty.Close()
	return string(bytes.ReplaceAll(<-got, []byte("\r\n"), []byte("\n")))
}

const ttyReset = "\x1b[m\x1b[?25h\x1b[?1;5;2004l"

func TestTerminal(t *testing.T) {
	out := runTTY(t, "hello\n", nil, "-S", "3")
	if !strings.Contains(out, "\x1b[38;5;") || !strings.HasSuffix(out, ttyReset) {
		t.Errorf("tty: %q", out)
	}
	if out := runTTY(t, "hello\n", []string{"NO_COLOR=1"}); out != "hello\n" {
		t.Errorf("NO_COLOR: %q", out)
	}
	if out := runTTY(t, "hello\n", []string{"NO_COLOR=1"}, "-f"); !strings.Contains(out, "\x1b[38;5;") {
		t.Errorf("NO_COLOR -f: %q", out)
	}
	if out := runTTY(t, "hello\n", []string{"COLORTERM=truecolor"}); !strings.Contains(out, "\x1b[38;2;") {
		t.Errorf("COLORTERM: %q", out)
	}
}

func TestAnimate(t *testing.T) {
	out := runTTY(t, "hi\n\nyo\n", nil, "-a", "-d", "3", "-s", "1000", "-S", "5")
	if !strings.HasPrefix(out, "\x1b[?25l\x1b7\x1b8") || strings.Count(out, "\x1b8") != 6 ||
		strings.Count(out, "\x1b7") != 2 || !strings.HasSuffix(out, ttyReset) {
		t.Fatalf("animation: %q", out)
	}
	// Each frame moves the rainbow by spread: frame k paints like a plain
	// run whose offset is k*spread further on.
	frame := out[strings.Index(out, "\x1b8")+2:]
	frame = frame[:strings.Index(frame, "\x1b8")]
	var plain bytes.Buffer
	p := newPainter(&plain, 0.1, 3, false, false)
	p.initEsc()
	p.startFile(5 + 3)
	p.feed([]byte("hi\n"))
	p.flush()
	if frame+"\n" != plain.String() {
		t.Fatalf("frame %q\nwant  %q", frame, plain.String())
	}
}
