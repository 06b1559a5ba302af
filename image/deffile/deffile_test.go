package deffile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestMooDef(t *testing.T) {
	d, err := ParseFile("../moo.def")
	if err != nil {
		t.Fatal(err)
	}
	if d.Bootstrap != "scratch" {
		t.Errorf("Bootstrap = %q", d.Bootstrap)
	}
	if v, ok := d.Label("org.opencontainers.image.title"); !ok || v != "moobox" {
		t.Errorf("title label = %q %v", v, ok)
	}
	for _, want := range []string{"fortune | cowsay | lolcat", `exec "$@"`} {
		if !strings.Contains(d.Runscript, want) {
			t.Errorf("runscript lacks %q:\n%s", want, d.Runscript)
		}
	}
	if d.Help == "" || d.Test == "" || d.Environment == "" {
		t.Errorf("missing help/test/environment: %+v", d)
	}
	env, err := d.Env(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(env, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}) {
		t.Errorf("Env = %q", env)
	}
}

func TestParse(t *testing.T) {
	src := `# comment
bootstrap: Scratch   # trailing comment

%labels
    # a comment
    Author moo cow
    Version	1.0
    Empty
%environment

    export A=1
    B="two words" C='$A'
    export D=$A:${B}
    export A B C

%runscript
  #!/bin/sh
  echo "$@"   # kept
%files
    a.txt
    "dir with space/b" /etc/b
    c /opt/./c/
%HELP
  Help line.

%test
  true
`
	d, err := Parse("x.def", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Bootstrap != "scratch" || len(d.Header) != 1 || d.Header[0].Line != 2 {
		t.Errorf("header %+v", d.Header)
	}
	wantLabels := []Label{{"Author", "moo cow", 6}, {"Version", "1.0", 7}, {"Empty", "", 8}}
	if !reflect.DeepEqual(d.Labels, wantLabels) {
		t.Errorf("labels %+v", d.Labels)
	}
	if d.Runscript != "  #!/bin/sh\n  echo \"$@\"   # kept" {
		t.Errorf("runscript %q", d.Runscript)
	}
	if d.Help != "  Help line." || d.Test != "  true" {
		t.Errorf("help %q test %q", d.Help, d.Test)
	}
	wantFiles := []File{{Src: "a.txt", Dst: "/a.txt", Line: 20}, {Src: "dir with space/b", Dst: "/etc/b", Line: 21}, {Src: "c", Dst: "/opt/c", Line: 22}}
	if !reflect.DeepEqual(d.Files, wantFiles) {
		t.Errorf("files %+v", d.Files)
	}
	env, err := d.Env([]string{"PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATH=/bin", "A=1", "B=two words", "C=$A", "D=1:two words"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env %q, want %q", env, want)
	}
	if string(d.Raw) != src {
		t.Error("Raw differs from the input")
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "present"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, src string
		line      int
		want      string
	}{
		{"unknown section", "Bootstrap: scratch\n%labels\n a b\n%frobnicate\n", 4, "unknown section"},
		{"post", "Bootstrap: scratch\n\n%post\n apt-get install cowsay\n", 3, "%post is not supported: moobox runs no commands at build time"},
		{"setup", "Bootstrap: scratch\n%setup\n", 2, "%setup is not supported"},
		{"docker", "# hi\nBootstrap: docker\nFrom: debian\n", 2, "Bootstrap: docker is not supported: moobox needs no base image"},
		{"from", "Bootstrap: scratch\nFrom: debian\n", 2, "\"from\" is not supported: moobox needs no base image"},
		{"missing bootstrap", "# no header\n\n%labels\n a b\n", 3, "missing \"Bootstrap: scratch\""},
		{"empty", "", 1, "missing \"Bootstrap: scratch\""},
		{"dup label", "Bootstrap: scratch\n%labels\n a 1\n b 2\n a 3\n", 5, `duplicate label "a" (first at line 3)`},
		{"dup section", "Bootstrap: scratch\n%help\nx\n%help\n", 4, "duplicate section %help (first at line 2)"},
		{"dotdot src", "Bootstrap: scratch\n%files\n ../etc/passwd /etc/passwd\n", 3, `source "../etc/passwd" contains "..": a relative source may not climb out of the definition file's directory (an absolute path may name any host file)`},
		{"dotdot dst", "Bootstrap: scratch\n%files\n present /etc/../../x\n", 3, `destination "/etc/../../x" contains ".."`},
		{"missing src", "Bootstrap: scratch\n%files\n present\n\n absent /x\n", 5, `source "absent": no such file or directory`},
		{"header syntax", "Bootstrap scratch\n", 1, "not \"Key: value\""},
		{"unknown header", "Bootstrap: scratch\nColour: brown\n", 2, `unknown header keyword "colour"`},
		{"section args", "Bootstrap: scratch\n%runscript -c /bin/bash\n", 2, "takes no arguments"},
		{"app", "Bootstrap: scratch\n%apprun foo\n", 2, "SCI-F apps are not supported"},
		{"quote", "Bootstrap: scratch\n%files\n \"abc\n", 3, "unterminated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "t.def")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ParseFile(path)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Line != c.line || !strings.Contains(e.Msg, c.want) {
				t.Errorf("got %v, want line %d containing %q", err, c.line, c.want)
			}
			if c.line > 0 && !strings.Contains(err.Error(), path+":"+strconv.Itoa(c.line)+":") {
				t.Errorf("message %q lacks file:line", err)
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	for _, line := range []string{"echo hi", "export A=$(date)", "export B=$UNSET", "A=1; B=2", "A=`x`",
		"VAR=1", "VAR=1 export W=2", "W=2 VAR=1\n  export W"} {
		d, err := Parse("e.def", []byte("Bootstrap: scratch\n%environment\n\n  "+line+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Env(nil)
		var e *Error
		if !errors.As(err, &e) || e.Line != 4 || !strings.HasPrefix(err.Error(), "e.def:4: %environment: ") {
			t.Errorf("%q: err = %v, want an error at e.def:4", line, err)
		}
	}
}

// TestEnvExport checks which assignments map onto the OCI Env: exported
// ones, and those of variables the image's environment already exports,
// as a shell sourcing %environment would pass them on; a variable set
// without export is refused, naming export as the fix.
func TestEnvExport(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
		err  string
	}{
		{"VAR=1\nexport VAR", []string{"PATH=/bin", "VAR=1"}, ""},
		{"export VAR\nVAR=2", []string{"PATH=/bin", "VAR=2"}, ""},
		{"PATH=/opt:$PATH", []string{"PATH=/opt:/bin"}, ""},
		{"export A=1 B=2", []string{"PATH=/bin", "A=1", "B=2"}, ""},
		{"export A=1\nB=$A\nC=3", nil, `x.def:4: %environment: B is set but not exported, so programs in the SIF would not see it while the OCI image's Env would hold it: write "export B=..."`},
	} {
		d, err := Parse("x.def", []byte("Bootstrap: scratch\n%environment\n"+c.body+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		env, err := d.Env([]string{"PATH=/bin"})
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%q: %q %v, want error %q", c.body, env, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(env, c.want) {
			t.Errorf("%q: %q %v, want %q", c.body, env, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../moo.def"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("Bootstrap: scratch\n%labels\n a b\n%files\n x y\n%environment\n export A=\"$B\"\n"))
	f.Add([]byte("bootstrap:scratch\r\n%help\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f.def", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		for _, fl := range d.Files {
			if !strings.HasPrefix(fl.Dst, "/") || hasDotDot(fl.Src) || hasDotDot(fl.Dst) {
				t.Fatalf("bad file entry %+v", fl)
			}
		}
		_, _ = d.Env(nil)
	})
}
