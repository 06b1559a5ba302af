package applets

import (
	"bytes"
	"sort"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

func TestTableSorted(t *testing.T) {
	n := Names()
	if !sort.StringsAreSorted(n) {
		t.Fatalf("applet table not sorted: %v", n)
	}
	for i := 1; i < len(n); i++ {
		if n[i] == n[i-1] {
			t.Fatalf("duplicate applet %q", n[i])
		}
	}
	for _, name := range n {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%q) failed", name)
		}
	}
	if _, ok := Lookup("nosuch"); ok {
		t.Error("Lookup(nosuch) succeeded")
	}
}

func runBB(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	rc := Busybox(&applet.Ctx{Args: args, Stdin: new(bytes.Buffer), Stdout: &out, Stderr: &errb, Dir: "/"})
	return rc, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	if rc, _, _ := runBB("/usr/bin/true"); rc != 0 {
		t.Errorf("true via argv[0]: rc %d", rc)
	}
	if rc, _, _ := runBB("busybox", "false"); rc != 1 {
		t.Errorf("busybox false: rc %d", rc)
	}
	if rc, _, _ := runBB("busybox", "busybox", "false"); rc != 1 {
		t.Errorf("busybox busybox false: rc %d", rc)
	}
	rc, out, errs := runBB("/x/frob")
	if rc != 127 || out != "" || errs != "frob: applet not found\n" {
		t.Errorf("unknown applet: rc %d out %q err %q", rc, out, errs)
	}
	rc, out, _ = runBB("busybox", "--list")
	if rc != 0 || out == "" || out[len(out)-1] != '\n' {
		t.Errorf("--list: rc %d out %q", rc, out)
	}
}
