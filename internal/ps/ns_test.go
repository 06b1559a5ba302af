package ps

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// TestNamespace runs the lab's commands from an installed bin/busybox in a
// fresh PID and mount namespace and checks them against what really
// exists there (and against Debian's busybox run alongside).
func TestNamespace(t *testing.T) {
	testutil.RequireRoot(t)
	unshare := testutil.RequireTool(t, "unshare", "util-linux")
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "busybox"), "github.com/moobox/moobox/cmd/busybox")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(dir, "busybox"), "--install", "-s", dir).CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	// Each section is framed by a marker; "exit 0" keeps sh from exec'ing
	// the last command, so sh stays PID 1 and ps is another process.
	script := `
echo @ps; ps
echo @ps-e; ps -e
echo @df; df
echo @bbdf; ` + bb + ` df
echo @mountinfo; ` + bb + ` cat /proc/self/mountinfo
echo @stat; stat /
echo @bbstat; ` + bb + ` stat /
echo @which; which ps
echo @lsi; ls -i /
echo @bblsi; ` + bb + ` ls -i /
exit 0
`
	cmd := exec.Command(unshare, "-pfm", "--mount-proc", "/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=" + dir, "TZ=UTC", "LANG=C"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("unshare: %v\n%s%s", err, out.String(), errb.String())
	}
	sec := map[string]string{}
	cur := ""
	for _, l := range strings.SplitAfter(out.String(), "\n") {
		if strings.HasPrefix(l, "@") {
			cur = strings.TrimSpace(l[1:])
			continue
		}
		sec[cur] += l
	}

	// ps: exactly PID 1 (the shell) and ps itself.
	for _, k := range []string{"ps", "ps-e"} {
		lines := strings.Split(strings.TrimSuffix(sec[k], "\n"), "\n")
		if len(lines) != 3 || lines[0] != "PID   USER     TIME  COMMAND" {
			t.Fatalf("%s: want header and 2 processes, got\n%s", k, sec[k])
		}
		re := regexp.MustCompile(`^ +([0-9]+) root +[0-9]+:[0-9][0-9] (.*)$`)
		m1, m2 := re.FindStringSubmatch(lines[1]), re.FindStringSubmatch(lines[2])
		if m1 == nil || m2 == nil || m1[1] != "1" || !strings.HasPrefix(m1[2], "/bin/sh -c ") {
			t.Errorf("%s: first process should be PID 1 /bin/sh:\n%s", k, sec[k])
		}
		want := "ps"
		if k == "ps-e" {
			want = "ps -e"
		}
		if m2 == nil || m2[1] == "1" || m2[2] != want {
			t.Errorf("%s: second process should be %q:\n%s", k, want, sec[k])
		}
	}

	// df: the same table as Debian's busybox in that namespace, and every
	// mount point listed is in mountinfo.
	if sec["df"] == "" || !strings.HasPrefix(sec["df"], "Filesystem           1K-blocks      Used Available Use% Mounted on\n") {
		t.Errorf("df header:\n%s", sec["df"])
	}
	num := regexp.MustCompile(` +[0-9]+`)
	if num.ReplaceAllString(sec["df"], " N") != num.ReplaceAllString(sec["bbdf"], " N") {
		t.Errorf("df differs from busybox df:\n%s---\n%s", sec["df"], sec["bbdf"])
	}
	points := map[string]bool{}
	for _, l := range strings.Split(sec["mountinfo"], "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			points[f[4]] = true
		}
	}
	dfLine := regexp.MustCompile(`([0-9]+)% (.+)$`)
	for _, l := range strings.Split(strings.TrimSpace(sec["df"]), "\n")[1:] {
		m := dfLine.FindStringSubmatch(l)
		if m == nil {
			continue // a long device name wraps onto the next line
		}
		if !points[m[2]] {
			t.Errorf("df lists %q, not in mountinfo", m[2])
		}
	}
	if !strings.Contains(sec["df"], "% /\n") {
		t.Errorf("df lacks /:\n%s", sec["df"])
	}

	// stat /: as busybox's, apart from an access time that may move.
	strip := regexp.MustCompile(`(?m)^Access: [0-9].*$`)
	if strip.ReplaceAllString(sec["stat"], "") != strip.ReplaceAllString(sec["bbstat"], "") || !strings.HasPrefix(sec["stat"], "  File: /\n") {
		t.Errorf("stat /:\n%s---\n%s", sec["stat"], sec["bbstat"])
	}
	if sec["which"] != filepath.Join(dir, "ps")+"\n" {
		t.Errorf("which ps = %q", sec["which"])
	}
	if sec["lsi"] == "" || sec["lsi"] != sec["bblsi"] {
		t.Errorf("ls -i /:\n%s---\n%s", sec["lsi"], sec["bblsi"])
	}
}
