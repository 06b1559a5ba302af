package sh_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/applets"
	"github.com/moobox/moobox/internal/testutil"
)

// TestMain lets the test binary stand in for bin/busybox: with
// MOOBOX_SH_TEST_MAIN=1 it runs the applet named by argv[0] (or argv[1]
// under the name busybox), so tests can exec it in a pty or through PATH.
func TestMain(m *testing.M) {
	if os.Getenv("MOOBOX_SH_TEST_MAIN") == "1" {
		os.Exit(applets.Busybox(applet.OS()))
	}
	os.Exit(m.Run())
}

// binDir makes a directory of symlinks named after every applet, pointing
// at the test binary, for exec'd (not in-process) runs.
func binDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(applets.Names(), "busybox") {
		if err := os.Symlink(self, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type result struct {
	out, err string
	rc       int
}

// lockedBuffer is written by several commands of a pipeline at once (each
// exec'd one through its own copying goroutine), as a terminal would be.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sh runs the sh applet in-process.
func sh(dir string, env []string, stdin string, args ...string) result {
	var out, errb lockedBuffer
	c := &applet.Ctx{
		Args:   append([]string{"sh"}, args...),
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Env:    env,
		Dir:    dir,
	}
	rc := applets.Busybox(c)
	return result{out.String(), errb.String(), rc}
}

func baseEnv(bin string) []string {
	return []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=/nonexistent", "MOOBOX_SH_TEST_MAIN=1", "LC_ALL=C"}
}

// scripts exercise the shell with applets in pipelines; each must print
// the same bytes with applets in-process and exec'd.
var scripts = []struct {
	name, script string
	rc           int
}{
	{"pipeline", `printf 'b\na\nc\n' | cat -n | grep -v b | wc -l`, 0},
	{"echo-cat", `echo hi | cat`, 0},
	{"subst", `x=$(echo one two | wc -w); echo "words=$x"`, 0},
	{"exit-status", `false; echo $?; true; echo $?; sh -c 'exit 7'; echo $?`, 0},
	{"last-status", `grep -q nothing /dev/null`, 1},
	{"pipe-status", `echo a | grep -q b; echo $?`, 0},
	{"heredoc", "cat <<EOF\nhello $((1+2))\n  indented\nEOF\ncat <<'Q'\n$HOME\nQ", 0},
	{"heredoc-tab", "cat <<-EOF\n\ttabbed\n\tEOF", 0},
	{"func", `f() { echo "f:$1:$#"; return 3; }; f a b; echo $?`, 0},
	{"set-e", `set -e; echo before; false; echo after`, 1},
	{"set-e-cond", `set -e; if false; then :; fi; false || echo ok; echo end`, 0},
	{"set-u", `set -u; echo $nosuch; echo after`, 1},
	{"export", `export FOO=bar; env | grep '^FOO='; printenv FOO; BAR=baz printenv BAR`, 0},
	{"unexported", `X=1; printenv X; echo $?`, 0},
	{"cd", `mkdir -p d/e && cd d/e && pwd | wc -c && cd .. && basename "$(pwd)"`, 0},
	{"redirect", `echo x > f; echo y >> f; cat < f; wc -l f; rm f; cat f 2>/dev/null || echo gone`, 0},
	{"stderr", `cat nosuch 2>&1 | wc -l`, 0},
	{"trap", `trap 'echo bye' EXIT; echo hi`, 0},
	{"exit", `echo a; exit 4; echo b`, 4},
	{"test", `[ -d / ] && test 1 -lt 2 && [ "a" = a ] && echo yes; [ -f /nonexistent ] || echo no`, 0},
	{"source", `echo 'v=sourced' > s.sh; . ./s.sh; echo $v; rm s.sh`, 0},
	{"loop", `for i in 1 2 3; do echo $i; done | tail -n 1; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i`, 0},
	{"case", `case foo.txt in *.txt) echo text;; *) echo other;; esac`, 0},
	{"exec", `exec echo replaced; echo not`, 0},
	{"busybox", `busybox echo via busybox | busybox wc -c`, 0},
	{"head-tail", `printf '%s\n' 1 2 3 4 5 | head -n 4 | tail -n 2`, 0},
	{"notfound", `nosuchcommand 2>/dev/null; echo $?`, 0},
	{"dollar0", `echo $0 $1 $#`, 0},
	{"subshell", `(cd /; pwd); pwd | wc -l; (exit 3); echo $?`, 0},
	{"background", `echo bg > out & wait; cat out; rm out`, 0},
}

func TestInProcessVsExec(t *testing.T) {
	bin := binDir(t)
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := sh(dir, baseEnv(bin), "", "-c", sc.script)
			ex := sh(dir, append(baseEnv(bin), "MOOBOX_NOINPROC=1"), "", "-c", sc.script)
			if in.rc != sc.rc {
				t.Errorf("in-process: status %d, want %d (stderr %q)", in.rc, sc.rc, in.err)
			}
			if in != ex {
				t.Errorf("in-process and exec'd differ:\n in: %+v\n ex: %+v", in, ex)
			}
			if in.out == "" && sc.name != "last-status" && sc.name != "set-u" {
				t.Errorf("no output: %+v", in)
			}
		})
	}
}

// TestScriptOutputs pins what some scripts print.
func TestScriptOutputs(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	for _, tc := range []struct{ script, out string }{
		{`printf 'b\na\nc\n' | cat -n | grep -v b | wc -l`, "2\n"},
		{"cat <<EOF\nhello $((1+2))\nEOF", "hello 3\n"},
		{`set -e; echo before; false; echo after`, "before\n"},
		{`trap 'echo bye' EXIT; echo hi`, "hi\nbye\n"},
		{`false; echo $?; sh -c 'exit 7'; echo $?`, "1\n7\n"},
		{`f() { echo "f:$1:$#"; }; f a b`, "f:a:2\n"},
		{`echo() { printf 'fn %s\n' "$@"; }; echo a b`, "fn a\nfn b\n"},
		{`printf '%g|%*d|%b\n' 1234567 3 7 'x\ty'`, "1.23457e+06|  7|x\ty\n"},
		{`old=$(umask); umask 027; umask; umask $old; kill -0 $$ && echo alive`, "0027\nalive\n"},
	} {
		r := sh(dir, baseEnv(bin), "", "-c", tc.script)
		if r.out != tc.out {
			t.Errorf("%q: got %q, want %q (stderr %q)", tc.script, r.out, tc.out, r.err)
		}
	}
	r := sh(dir, baseEnv(bin), "", "-c", `echo "$0 $1 $2"`, "zero", "one", "two")
	if r.out != "zero one two\n" {
		t.Errorf("sh -c ARG0 ARGS: %q", r.out)
	}
	r = sh(dir, baseEnv(bin), "", "-x", "-c", `echo traced`)
	if r.out != "traced\n" || r.err != "+ echo traced\n" {
		t.Errorf("sh -x: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "", "-e", "-c", `false; echo no`)
	if r.out != "" || r.rc != 1 {
		t.Errorf("sh -e: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "", "-u", "-c", `echo $unset`)
	if r.rc == 0 || !strings.Contains(r.err, "unset") {
		t.Errorf("sh -u: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "", "-c", `nosuch`)
	if r.rc != 127 || r.err != "sh: nosuch: not found\n" {
		t.Errorf("not found: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "", "-c", `if then`)
	if r.rc != 2 || r.err == "" {
		t.Errorf("syntax error: %+v", r)
	}
}

// TestScriptFileAndStdin runs commands from a file with arguments, and
// from a non-terminal stdin.
func TestScriptFileAndStdin(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	script := "echo \"script $0 $# $1\"\necho line2 | wc -c\nexit 5\n"
	if err := os.WriteFile(filepath.Join(dir, "s.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sh(dir, baseEnv(bin), "", "s.sh", "arg1", "arg2")
	if r.out != "script s.sh 2 arg1\n6\n" || r.rc != 5 {
		t.Errorf("sh FILE: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "echo from stdin | cat\nfor i in a b\ndo\n  echo $i\ndone\necho $0\nexit 3\necho unreached\n")
	if r.out != "from stdin\na\nb\nsh\n" || r.rc != 3 {
		t.Errorf("sh < commands: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "trap 'echo bye' EXIT\necho hi\n")
	if r.out != "hi\nbye\n" || r.rc != 0 {
		t.Errorf("trap in stdin mode: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "false\n")
	if r.rc != 1 {
		t.Errorf("stdin status: %+v", r)
	}
	r = sh(dir, baseEnv(bin), "", "nosuch.sh")
	if r.rc != 2 || !strings.Contains(r.err, "can't open 'nosuch.sh'") {
		t.Errorf("missing script: %+v", r)
	}
}

// TestConcurrentShells runs shells with in-process applet pipelines in
// parallel; under -race this checks that applets share no state.
func TestConcurrentShells(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	const script = `printf '%s\n' 3 1 2 | cat -n | grep -v 1 | wc -l; echo "$1" | tail -c 4; seq=$(printf '%s ' a b c); echo $seq | wc -w; basename /x/$1`
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				arg := fmt.Sprintf("job%d", g)
				r := sh(dir, baseEnv(bin), "", "-c", script, "sh", arg)
				want := "1\nob" + fmt.Sprint(g) + "\n3\n" + arg + "\n"
				if r.out != want || r.rc != 0 {
					errs <- fmt.Sprintf("goroutine %d run %d: %+v, want %q", g, i, r, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// BenchmarkPipelineInProcess measures a three-applet pipeline run by the
// shell without spawning a process.
func BenchmarkPipelineInProcess(b *testing.B) {
	dir := b.TempDir()
	env := []string{"PATH=/usr/bin:/bin"}
	for i := 0; i < b.N; i++ {
		r := sh(dir, env, "", "-c", `printf 'moo\nmoo\n' | cat -n | wc -l`)
		if r.out != "2\n" {
			b.Fatalf("%+v", r)
		}
	}
}

// TestVsBusyboxSh runs scripts through this shell and Debian's busybox sh
// and compares stdout and the exit status. Differences known and accepted
// (see the package's README section) are left out: $-, exec with fds
// above 2, command -v for applets, and error message wording.
func TestVsBusyboxSh(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	bin := binDir(t)
	dir := t.TempDir()
	scripts := []string{
		`echo $((1+2*3)) $((7/2)) $((7%3)) $((-7/2)) $((1<<4)) $((0x10)) $((010))`,
		`x=abc; echo ${#x} ${x#a} ${x%c} ${x:-d} ${y:-d} ${y:=e} $y ${x##*b} ${x%%b*}`,
		`set -- a b c; echo $# $@ "$*"; shift; echo $1`,
		`for i in 1 2 3; do [ $i = 2 ] && continue; echo $i; done`,
		`i=0; while true; do i=$((i+1)); [ $i -gt 3 ] && break; done; echo $i`,
		`f() { local v=1; echo $v; }; f; echo ${v:-unset}`,
		`echo 'single' "double $HOME" ` + "`echo back`",
		`a=1; (a=2; echo $a); echo $a`,
		`cd / && echo $PWD && cd /tmp && pwd`,
		`false && echo no || echo yes`,
		`! false; echo $?`,
		"read x <<EOF\nline one\nEOF\necho \"$x\"",
		`case abc in a*) echo match;; esac`,
		`echo $(( $(echo 3) + 4 ))`,
		`printf '%s\n' "$(printf 'a\nb\n\n\n')"`,
		`unset x; echo ${x-unset}`,
		`set -- 'a b' c; for a in "$@"; do echo "[$a]"; done`,
		`trap 'echo trapped' EXIT; exit 2`,
		`old=$(umask); umask 027; umask; umask $old`,
		`echo a | while read l; do echo got $l; done`,
		`IFS=:; set -- a:b:c; echo $2`,
		`eval 'echo evaluated'`,
		`x=$(exit 5); echo $?`,
		`printf '%5.2f|%b|%c|%x|%g|%*d\n' 3.14159 'a\tb' hello 255 1234567 4 7`,
		`echo -e 'a\0101\x41\tb'; echo -n x; echo`,
		`test 1 -eq a; echo $?`,
		`[ a = a -a b = c ]; echo $?`,
		`printf 'b\na\nc\n' | cat -n | grep -v b | wc -l`,
		`printf '1\n2\n3\n4\n' | head -n 3 | tail -n 2`,
		`basename /a/b.c .c; dirname /a/b.c`,
		`seq=$(printf '%s ' 1 2 3); echo $seq | wc -w`,
		`getopts ab: opt -a; echo $opt $OPTIND`,
		`sh -c 'exit 3'; echo $?`,
		`echo hi > f; cat f; rm f; [ -e f ] || echo removed`,
		`set -e; false || true; echo survived`,
		`(exit 4); echo $?`,
		`f() { return 6; }; f; echo $?`,
		`nosuchcmd 2>/dev/null; echo $?`,
		`exit 9`,
		`kill -0 $$ && echo alive`,
		`v=$(printf 'x\n\n'); echo "[$v]"`,
		`a="1 2"; set -- $a; echo $#`,
		`echo ${#@} $(( ${#PWD} > 0 ))`,
	}
	for _, sc := range scripts {
		ours := sh(dir, append(baseEnv(bin), "HOME=/h"), "", "-c", sc)
		cmd := exec.Command(bb, "sh", "-c", sc)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/h", "LC_ALL=C"}
		var out bytes.Buffer
		cmd.Stdout = &out
		rc := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			rc = ee.ExitCode()
		}
		if ours.out != out.String() || ours.rc != rc {
			t.Errorf("%q:\n ours:    %q status %d (stderr %q)\n busybox: %q status %d", sc, ours.out, ours.rc, ours.err, out.String(), rc)
		}
	}
}

// TestBrokenPipe: an in-process applet writing into a pipe whose reader
// has gone ends its subshell, as SIGPIPE ends a process, so loops
// feeding head terminate and the parent shell goes on.
func TestBrokenPipe(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	done := make(chan result, 1)
	go func() {
		done <- sh(dir, baseEnv(bin), "", "-c", `while :; do echo y; done | head -n 2; echo rc=$?; cat /dev/zero | head -c 3 | wc -c; x=$(while :; do printf 'z\n'; done | head -n 1); echo "x=$x"`)
	}()
	select {
	case r := <-done:
		if r.out != "y\ny\nrc=0\n3\nx=z\n" || r.rc != 0 {
			t.Errorf("got %+v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a loop writing into a closed pipe never ended")
	}
}
