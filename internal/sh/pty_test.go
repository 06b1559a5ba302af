package sh_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyLog collects what the terminal shows.
type ptyLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *ptyLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *ptyLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the terminal output after offset from contains s.
func waitFor(t *testing.T, l *ptyLog, from int, s string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out := l.String()
		if i := strings.Index(out[from:], s); i >= 0 {
			return from + i + len(s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %q; terminal shows:\n%q", s, l.String()[from:])
	return 0
}

// TestInteractive drives an interactive sh through a pseudo-terminal: the
// prompt comes from PS1, pipelines of applets run (fortune | cowsay too),
// Ctrl-C stops a running sleep without ending the shell, and Ctrl-D ends
// it.
func TestInteractive(t *testing.T) {
	bin := binDir(t)
	for _, tc := range []struct{ name, noinproc string }{{"in-process", ""}, {"exec", "1"}} {
		t.Run(tc.name, func(t *testing.T) {
			self, _ := os.Executable()
			cmd := exec.Command(self)
			cmd.Args = []string{"sh"}
			cmd.Dir = t.TempDir()
			cmd.Env = append(baseEnv(bin), "PS1=moo> ", "TERM=dumb", "MOOBOX_NOINPROC="+tc.noinproc)
			f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var log ptyLog
			done := make(chan struct{})
			go func() {
				io.Copy(&log, f)
				close(done)
			}()
			pos := waitFor(t, &log, 0, "moo> ")
			io.WriteString(f, "echo hi | cat\r")
			pos = waitFor(t, &log, pos, "hi\r\n")
			pos = waitFor(t, &log, pos, "moo> ")

			io.WriteString(f, "fortune | cowsay\r")
			pos = waitFor(t, &log, pos, "(oo)")
			pos = waitFor(t, &log, pos, "moo> ")

			// "started" shows the line runs, so the terminal is out of raw
			// mode and Ctrl-C makes a signal.
			io.WriteString(f, "echo started; sleep 5; echo not-interrupted\r")
			pos = waitFor(t, &log, pos, "started\r\n")
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			f.Write([]byte{3}) // Ctrl-C
			pos = waitFor(t, &log, pos, "moo> ")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Ctrl-C took %v to stop sleep", d)
			}
			if strings.Contains(log.String(), "\nnot-interrupted") {
				t.Errorf("the rest of the line ran after Ctrl-C")
			}
			io.WriteString(f, "echo $?\r")
			pos = waitFor(t, &log, pos, "130\r\n")
			pos = waitFor(t, &log, pos, "moo> ")

			// An in-process applet reading the terminal stops reading it
			// when interrupted: the next line goes to the shell.
			io.WriteString(f, "echo started; cat\r")
			pos = waitFor(t, &log, pos, "started\r\n")
			io.WriteString(f, "typed to cat\r")
			pos = waitFor(t, &log, pos, "typed to cat\r\n") // the echo
			pos = waitFor(t, &log, pos, "typed to cat\r\n") // cat's copy
			time.Sleep(100 * time.Millisecond)
			f.Write([]byte{3})
			pos = waitFor(t, &log, pos, "moo> ")
			io.WriteString(f, "echo after cat\r")
			pos = waitFor(t, &log, pos, "after cat\r\n")
			pos = waitFor(t, &log, pos, "moo> ")

			// An interrupted in-process applet writing to the terminal
			// stops writing to it.
			io.WriteString(f, "echo started; cat /dev/zero\r")
			pos = waitFor(t, &log, pos, "started\r\n")
			time.Sleep(100 * time.Millisecond)
			f.Write([]byte{3})
			pos = waitFor(t, &log, pos, "moo> ")
			time.Sleep(200 * time.Millisecond)
			n1 := len(log.String())
			time.Sleep(300 * time.Millisecond)
			if n2 := len(log.String()); n2 != n1 {
				t.Errorf("%d bytes written to the terminal after Ctrl-C and the prompt", n2-n1)
			}
			pos = n1

			// Ctrl-C at the prompt abandons the line only.
			io.WriteString(f, "echo abandoned")
			f.Write([]byte{3})
			pos = waitFor(t, &log, pos, "moo> ")
			io.WriteString(f, "echo still here\r")
			pos = waitFor(t, &log, pos, "still here\r\n")
			pos = waitFor(t, &log, pos, "moo> ")

			f.Write([]byte{4}) // Ctrl-D
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("shell did not exit on Ctrl-D")
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("shell exit: %v", err)
			}
			if strings.Contains(log.String()[pos:], "abandoned\r\n") {
				t.Errorf("abandoned line ran")
			}
		})
	}
}
