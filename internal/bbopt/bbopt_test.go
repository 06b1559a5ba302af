package bbopt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

var testSpec = Spec{
	Short: "ab:c::",
	Long:  []Long{{Name: "color", Arg: Optional, Key: 0x80}, {Name: "colour-map", Arg: Required, Key: 0x81}, {Name: "full", Key: 'f'}},
	Usage: "Usage: t\n",
}

func parse(args ...string) (*Opts, []string, bool, string) {
	var errb bytes.Buffer
	c := &applet.Ctx{Args: append([]string{"t"}, args...), Stdin: strings.NewReader(""), Stdout: &errb, Stderr: &errb}
	o, ops, ok := Parse(c, &testSpec)
	return o, ops, ok, errb.String()
}

func TestParse(t *testing.T) {
	o, ops, ok, _ := parse("x", "-ab", "B", "y", "-cC", "-c", "--", "-a")
	if !ok || o.Count('a') != 1 || o.Val('b', "") != "B" || len(o.Vals('c')) != 1 || o.Val('c', "") != "C" || o.Count('c') != 2 {
		t.Fatalf("opts %+v ok %v", o, ok)
	}
	if strings.Join(ops, ",") != "x,y,-a" {
		t.Errorf("operands %q", ops)
	}
	o, _, ok, _ = parse("--color=always", "--fu", "--colour-m", "m")
	if !ok || o.Val(0x80, "") != "always" || !o.Has('f') || o.Val(0x81, "") != "m" {
		t.Errorf("long: %+v", o)
	}
	for args, want := range map[string]string{
		"-z":        "t: invalid option -- 'z'\n",
		"-b":        "t: option requires an argument -- 'b'\n",
		"--nope":    "t: unrecognized option '--nope'\n",
		"--col":     "t: option '--col' is ambiguous\n",
		"--full=1":  "t: option '--full' doesn't allow an argument\n",
		"--colour-": "t: option '--colour-map' requires an argument\n",
	} {
		_, _, ok, errs := parse(strings.Fields(args)...)
		if ok || !strings.HasPrefix(errs, want+HelpHeader) {
			t.Errorf("%s: ok %v err %q", args, ok, errs)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("-ab B --color=x -- y")
	f.Add("--colour-map")
	f.Fuzz(func(t *testing.T, s string) { parse(strings.Fields(s)...) })
}
