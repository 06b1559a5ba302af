package moobox_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apptainer/sif/v2/pkg/sif"

	"github.com/moobox/moobox/internal/testutil"
)

// labBlock is a console transcript from README's lab section, marked with
// <!-- lab: host --> (run in a scratch checkout, as nobody) or
// <!-- lab: inside --> (run inside moo.sif: its squashfs mounted read-only
// by the kernel as the root of a new mount and PID namespace, as a
// container runtime does).
type labBlock struct {
	where string
	line  int
	steps []labStep
}

type labStep struct {
	cmd  string
	want []string
}

// parseLab extracts the marked console blocks of README.md.
func parseLab(t *testing.T, readme string) []labBlock {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []labBlock
	var cur *labBlock
	where := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "<!-- lab: "):
			where = strings.TrimSuffix(strings.TrimPrefix(l, "<!-- lab: "), " -->")
		case cur == nil && where != "" && l == "```console":
			blocks = append(blocks, labBlock{where: where, line: n})
			cur = &blocks[len(blocks)-1]
			where = ""
		case cur != nil && l == "```":
			cur = nil
		case cur != nil && strings.HasPrefix(l, "$ "):
			cur.steps = append(cur.steps, labStep{cmd: l[2:]})
		case cur != nil && len(cur.steps) > 0:
			s := &cur.steps[len(cur.steps)-1]
			s.want = append(s.want, l)
		}
	}
	return blocks
}

// matchLines compares output with a transcript: a line "..." stands for
// any number of lines, and "..." inside a line for any text.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(want[0], got[0]) && matchLines(want[1:], got[1:])
}

func matchLine(want, got string) bool {
	parts := strings.Split(want, "...")
	if len(parts) == 1 {
		return want == got
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(got, p)
		}
		j := strings.Index(got, p)
		if j < 0 {
			return false
		}
		got = got[j+len(p):]
	}
	return true
}

func splitOutput(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestReadmeLab runs the lab section of README.md: the build as an ordinary
// user, then the look around inside the image, and compares every command's
// output with the transcript, so README cannot drift from the code.
func TestReadmeLab(t *testing.T) {
	blocks := parseLab(t, "README.md")
	if len(blocks) < 2 {
		t.Fatalf("README.md: found %d lab blocks, want the build and the look inside", len(blocks))
	}
	testutil.RequireRoot(t)
	setpriv := testutil.RequireTool(t, "setpriv", "util-linux")
	testutil.RequireTool(t, "unshare", "util-linux")

	// A scratch checkout: bin/ with the tools, image/moo.def, and an out/
	// that belongs to the unprivileged user who builds.
	dir := worldDir(t)
	bin := filepath.Join(dir, "bin")
	mkdir(t, bin, 0o755)
	buildTools(t, bin) // bin/moobuild and bin/busybox, as README's commands use them
	for _, a := range []string{"fortune", "cowsay", "cowthink", "lolcat"} {
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(t, filepath.Join(dir, "image"), 0o755)
	copyFile(t, "image/moo.def", filepath.Join(dir, "image", "moo.def"), 0o644)
	out := filepath.Join(dir, "out")
	mkdir(t, out, 0o755)
	if err := os.Chown(out, nobody, nobody); err != nil {
		t.Fatal(err)
	}

	host := func(cmd string) (string, error) {
		c := exec.Command(setpriv, fmt.Sprintf("--reuid=%d", nobody), fmt.Sprintf("--regid=%d", nobody), "--clear-groups",
			"bash", "-c", cmd)
		c.Dir = dir
		c.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + dir, "LANG=C", "TZ=UTC", "SOURCE_DATE_EPOCH=1700000000"}
		b, err := c.CombinedOutput()
		return string(b), err
	}
	mnt := filepath.Join(dir, "mnt")
	mkdir(t, mnt, 0o755)
	// inside runs a block's commands in one shell inside the image, with a
	// marker line between them to split the output.
	const marker = "@@moobox-lab@@"
	inside := func(cmds []string) ([]string, error) {
		off, err := sysPartOffset(filepath.Join(out, "moo.sif"))
		if err != nil {
			return nil, err
		}
		// Like apptainer's action scripts, source the image's environment
		// first: its PATH is the one a user of the image has.
		script := ". /.singularity.d/env/90-environment.sh\n" +
			strings.Join(cmds, "\necho "+marker+"\n") + "\necho " + marker + "\n"
		c := exec.Command("unshare", "-m", "sh", "-c",
			`mount -o loop,ro,offset=$1 out/moo.sif mnt && exec unshare -pf --mount-proc --root=mnt /bin/sh 2>&1`,
			"sh", fmt.Sprint(off))
		c.Dir = dir
		// A bare environment; the image's own PATH comes from its
		// 90-environment.sh, sourced above.
		c.Env = []string{"PATH=/usr/bin:/bin", "HOME=/root", "TERM=dumb", "LANG=C"}
		c.Stdin = strings.NewReader(script)
		b, err := c.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%v\n%s", err, b)
		}
		parts := strings.Split(string(b), marker+"\n")
		return parts, nil
	}

	for _, b := range blocks {
		switch b.where {
		case "host":
			for _, s := range b.steps {
				got, err := host(s.cmd)
				if err != nil {
					t.Fatalf("README.md:%d: $ %s: %v\n%s", b.line, s.cmd, err, got)
				}
				if !matchLines(s.want, splitOutput(got)) {
					t.Errorf("README.md:%d: $ %s\n--- want\n%s\n--- got\n%s", b.line, s.cmd, strings.Join(s.want, "\n"), got)
				}
			}
		case "inside":
			var cmds []string
			for _, s := range b.steps {
				cmds = append(cmds, s.cmd)
			}
			parts, err := inside(cmds)
			if err != nil {
				t.Fatalf("README.md:%d: inside the image: %v", b.line, err)
			}
			for i, s := range b.steps {
				if i >= len(parts) {
					t.Fatalf("README.md:%d: no output for $ %s", b.line, s.cmd)
				}
				if !matchLines(s.want, splitOutput(parts[i])) {
					t.Errorf("README.md:%d: inside: $ %s\n--- want\n%s\n--- got\n%s", b.line, s.cmd, strings.Join(s.want, "\n"), parts[i])
				}
			}
		case "singularity":
			// No apptainer in CI (Debian 12 does not package it), so these
			// commands are played the way apptainer plays them: run is the
			// image's runscript and exec the command itself, both inside
			// the mounted image with its environment sourced; inspect
			// prints the SIF's inspect-metadata.json as apptainer's
			// inspect command prints it.
			var cmds []string
			var idx []int
			for i, s := range b.steps {
				if strings.HasPrefix(s.cmd, "singularity inspect ") {
					got, err := emulateInspect(filepath.Join(out, "moo.sif"), strings.Fields(s.cmd)[2:])
					if err != nil {
						t.Fatalf("README.md:%d: $ %s: %v", b.line, s.cmd, err)
					}
					if !matchLines(s.want, splitOutput(got)) {
						t.Errorf("README.md:%d: $ %s\n--- want\n%s\n--- got\n%s", b.line, s.cmd, strings.Join(s.want, "\n"), got)
					}
					continue
				}
				c := strings.ReplaceAll(s.cmd, "singularity run moo.sif", "/.singularity.d/runscript")
				c = strings.ReplaceAll(c, "singularity exec moo.sif ", "")
				if slices.Contains(strings.Fields(c), "singularity") {
					t.Fatalf("README.md:%d: $ %s: the test cannot play this command", b.line, s.cmd)
				}
				cmds = append(cmds, c)
				idx = append(idx, i)
			}
			parts, err := inside(cmds)
			if err != nil {
				t.Fatalf("README.md:%d: inside the image: %v", b.line, err)
			}
			for j, i := range idx {
				s := b.steps[i]
				if !matchLines(s.want, splitOutput(parts[j])) {
					t.Errorf("README.md:%d: $ %s\n--- want\n%s\n--- got\n%s", b.line, s.cmd, strings.Join(s.want, "\n"), parts[j])
				}
			}
		default:
			t.Errorf("README.md:%d: unknown lab block kind %q", b.line, b.where)
		}
	}
}

// emulateInspect prints what "apptainer inspect [--deffile|--runscript|
// --test|--helpfile|--environment] SIF" prints for a SIF holding an
// inspect-metadata.json descriptor: the sections asked for (labels by
// default) in apptainer's order and format.
func emulateInspect(path string, args []string) (string, error) {
	f, err := sif.LoadContainerFromPath(path, sif.OptLoadWithFlag(os.O_RDONLY))
	if err != nil {
		return "", err
	}
	defer f.UnloadContainer()
	// apptainer finds the descriptor by its name, whatever its type.
	d, err := f.GetDescriptor(func(d sif.Descriptor) (bool, error) {
		return d.Name() == "inspect-metadata.json", nil
	})
	if err != nil {
		return "", err
	}
	b, err := d.GetData()
	if err != nil {
		return "", err
	}
	var m struct {
		Data struct {
			Attributes struct {
				Labels      map[string]string `json:"labels"`
				Deffile     string            `json:"deffile"`
				Runscript   string            `json:"runscript"`
				Test        string            `json:"test"`
				Helpfile    string            `json:"helpfile"`
				Environment map[string]string `json:"environment"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	a := m.Data.Attributes
	want := map[string]bool{}
	for _, arg := range args[:len(args)-1] {
		want[strings.TrimLeft(arg, "-")] = true
	}
	if len(want) == 0 {
		want["labels"] = true
	}
	var w strings.Builder
	for _, sec := range []struct{ flag, text string }{
		{"deffile", a.Deffile}, {"runscript", a.Runscript}, {"test", a.Test}, {"helpfile", a.Helpfile},
	} {
		if want[sec.flag] && sec.text != "" {
			fmt.Fprintf(&w, "%s\n", sec.text)
		}
	}
	if want["environment"] {
		for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
			fmt.Fprintf(&w, "=== %s ===\n%s\n\n", k, a.Environment[k])
		}
	}
	if want["labels"] {
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			fmt.Fprintf(&w, "%s: %s\n", k, a.Labels[k])
		}
	}
	return w.String(), nil
}

// sysPartOffset is where the squashfs of a SIF starts.
func sysPartOffset(path string) (int64, error) {
	f, err := sif.LoadContainerFromPath(path, sif.OptLoadWithFlag(os.O_RDONLY))
	if err != nil {
		return 0, err
	}
	defer f.UnloadContainer()
	d, err := f.GetDescriptor(sif.WithPartitionType(sif.PartPrimSys))
	if err != nil {
		return 0, err
	}
	return d.Offset(), nil
}

func TestMatchLines(t *testing.T) {
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"a\nb", "a\nb", true},
		{"a\nb", "a\nc", false},
		{"a\n...\nz", "a\nb\nc\nz", true},
		{"a\n...\nz", "a\nz", true},
		{"a\n...\nz", "a\nb", false},
		{"wrote ... bytes, in ...s", "wrote 2095900 bytes, in 0.74s", true},
		{"wrote ... bytes, in ...s", "wrote 2095900 bytes, in 0.74", false},
		{"x...", "y", false},
	} {
		if got := matchLines(splitOutput(c.want), splitOutput(c.got)); got != c.ok {
			t.Errorf("matchLines(%q, %q) = %v, want %v", c.want, c.got, got, c.ok)
		}
	}
}
