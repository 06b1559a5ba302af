// Package deffile parses the subset of the Singularity/Apptainer definition
// file syntax that moobox's image builder supports.
//
// A definition file is a header of "Key: value" lines followed by sections
// that start with a line "%name". moobox builds the root filesystem itself
// (the multicall binary plus its data), so the only bootstrap agent is
// "scratch" and the only sections are those that describe the image rather
// than run commands at build time:
//
//	Bootstrap: scratch
//	%labels       KEY VALUE per line (ordered; duplicates are an error)
//	%environment  shell code sourced at start-up (/.singularity.d/env/90-environment.sh);
//	              every variable it sets must be exported (see Def.Env)
//	%runscript    what "singularity run" runs (/.singularity.d/runscript)
//	%help         text shown by "singularity run-help"
//	%files        "SRC [DST]" per line: host file or directory copied into the image
//	%test         shell code run by "moobuild --test" and "singularity test"
//
// Lines starting with "#" are comments in the header, %labels and %files; in
// script sections they are kept (they are shell comments there). Every error
// is an *Error carrying the line number.
//
// Deliberate differences from Singularity: a %files source may not contain
// ".." (relative sources stay below the definition file's directory;
// absolute sources and symlinks are followed, as Singularity does), and
// %environment must export what it sets, because the same file gives the
// OCI image's Env, which has no unexported variables.
package deffile

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Def is a parsed definition file.
type Def struct {
	// Raw is the file's exact bytes: it is stored in the SIF (DataDeffile)
	// and in the image as /.singularity.d/Singularity.
	Raw []byte
	// Name is the name given to Parse (ParseFile: the file's path); errors
	// found later, by Env or when copying %files, start with it.
	Name string
	// Header holds the header fields in file order, keys lower-cased.
	Header []Field
	// Bootstrap is the bootstrap agent; always "scratch" after Parse.
	Bootstrap string
	// Labels in file order.
	Labels []Label
	// Script sections' bodies, without the leading and trailing blank lines
	// and without a final newline; empty when the section is absent.
	Environment string
	Runscript   string
	Help        string
	Test        string
	// Files to copy into the image, in file order.
	Files []File
	// Sections lists the sections present, in file order, with the line of
	// their "%name" header.
	Sections []Field
}

// Field is a header field or a section marker.
type Field struct {
	Key   string
	Value string
	Line  int
}

// Label is one %labels entry.
type Label struct {
	Key   string
	Value string
	Line  int
}

// File is one %files entry.
type File struct {
	// Src is the host path as written; Path is Src resolved against the
	// definition file's directory (set by ParseFile or Resolve).
	Src  string
	Path string
	// Dst is the absolute, cleaned path inside the image. When the entry
	// has no destination it is Src taken relative to the image root, as
	// Singularity does.
	Dst  string
	Line int
}

// Error is a definition file error at a line (Line 0: the file as a whole).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	name := e.File
	if name == "" {
		name = "definition file"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", name, e.Line, e.Msg)
	}
	return name + ": " + e.Msg
}

// Why moobox refuses the features that need a base image or build-time
// commands: it is worded for the error message.
const (
	whyNoBase = "moobox needs no base image: the root filesystem is assembled in Go from the static multicall busybox and its data files"
	whyNoRun  = "moobox runs no commands at build time (no package manager, no shell in the build): put files in with %files, configuration in %environment/%labels"
)

// Parse parses a definition file's bytes. name is used in error messages.
// It checks the syntax and the %files paths but not that sources exist
// (see Resolve).
func Parse(name string, data []byte) (*Def, error) {
	p := &parser{name: name, d: &Def{Raw: data, Name: name}}
	if err := p.parse(data); err != nil {
		return nil, err
	}
	return p.d, nil
}

// ParseFile reads, parses and resolves the definition file at file: %files
// sources are relative to the file's directory (not the current one, so the
// same recipe builds the same image from anywhere).
func ParseFile(file string) (*Def, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	if err := d.Resolve(file, filepath.Dir(file)); err != nil {
		return nil, err
	}
	return d, nil
}

// Resolve sets each File's Path from dir and checks that the source exists
// and is readable; name is used in error messages.
func (d *Def) Resolve(name, dir string) error {
	for i := range d.Files {
		f := &d.Files[i]
		p := f.Src
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return &Error{name, f.Line, fmt.Sprintf("%%files source %q: %v", f.Src, unwrapPathErr(err))}
		}
		if fi.Mode().IsRegular() {
			// Open now so an unreadable source fails here, not half-way
			// through writing the image.
			fh, err := os.Open(p)
			if err != nil {
				return &Error{name, f.Line, fmt.Sprintf("%%files source %q: %v", f.Src, unwrapPathErr(err))}
			}
			fh.Close()
		}
		f.Path = p
	}
	return nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Errorf returns an *Error at line of the definition file, named by Name:
// for errors found after parsing (copying %files, for one).
func (d *Def) Errorf(line int, format string, args ...any) error {
	return &Error{d.Name, line, fmt.Sprintf(format, args...)}
}

// Label returns the value of the label key and whether it is set.
func (d *Def) Label(key string) (string, bool) {
	for _, l := range d.Labels {
		if l.Key == key {
			return l.Value, true
		}
	}
	return "", false
}

// HeaderValue returns the value of the header field key (lower case).
func (d *Def) HeaderValue(key string) (string, bool) {
	for _, f := range d.Header {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

type parser struct {
	name string
	d    *Def
}

func (p *parser) errf(line int, format string, args ...any) error {
	return &Error{p.name, line, fmt.Sprintf(format, args...)}
}

// section kinds.
const (
	secLabels = iota + 1
	secEnvironment
	secRunscript
	secHelp
	secFiles
	secTest
)

var sectionKinds = map[string]int{
	"labels":      secLabels,
	"environment": secEnvironment,
	"runscript":   secRunscript,
	"help":        secHelp,
	"files":       secFiles,
	"test":        secTest,
}

// refusedSections are Singularity sections moobox deliberately does not
// support, with the reason.
var refusedSections = map[string]string{
	"post":        whyNoRun,
	"setup":       whyNoRun,
	"pre":         whyNoRun,
	"arguments":   "build arguments are not supported: the recipe is fixed so the image is reproducible",
	"startscript": "instances are not supported: moobox images run one command and exit",
}

func (p *parser) parse(data []byte) error {
	if bytes.IndexByte(data, 0) >= 0 {
		return p.errf(0, "binary data (NUL byte) in a definition file")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}

	i := 0
	// Header: everything before the first section line.
	for ; i < len(lines); i++ {
		ln := i + 1
		t := strings.TrimSpace(lines[i])
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '%' {
			break
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			return p.errf(ln, "header line %q is not \"Key: value\"", t)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		// A trailing comment on a header line is not part of the value.
		if c := strings.Index(v, "#"); c >= 0 {
			v = v[:c]
		}
		v = strings.TrimSpace(v)
		if err := p.header(ln, k, v); err != nil {
			return err
		}
	}
	if p.d.Bootstrap == "" {
		// At the first section, where the header should have ended (line
		// 1 when there is none).
		line := 1
		if i < len(lines) {
			line = i + 1
		}
		return p.errf(line, "missing \"Bootstrap: scratch\" header (it must come before the first section)")
	}

	seen := map[string]int{}
	for i < len(lines) {
		ln := i + 1
		head := strings.TrimSpace(lines[i])
		word, args, _ := strings.Cut(head, " ")
		if w, a, ok := strings.Cut(head, "\t"); ok && len(w) < len(word) {
			word, args = w, a
		}
		name := strings.ToLower(strings.TrimPrefix(word, "%"))
		args = strings.TrimSpace(args)
		// Collect the body up to the next line whose first word starts
		// with '%' (Singularity's rule).
		j := i + 1
		for j < len(lines) {
			t := strings.TrimLeft(lines[j], " \t")
			if strings.HasPrefix(t, "%") {
				break
			}
			j++
		}
		body := lines[i+1 : j]
		kind, ok := sectionKinds[name]
		if !ok {
			if why, refused := refusedSections[name]; refused {
				return p.errf(ln, "%%%s is not supported: %s", name, why)
			}
			if strings.HasPrefix(name, "app") {
				return p.errf(ln, "%%%s: SCI-F apps are not supported: moobox images have one set of tools, all on PATH", name)
			}
			return p.errf(ln, "unknown section %q (supported: %%labels %%environment %%runscript %%help %%files %%test)", word)
		}
		if args != "" {
			return p.errf(ln, "%%%s takes no arguments (got %q)", name, args)
		}
		if prev, dup := seen[name]; dup {
			return p.errf(ln, "duplicate section %%%s (first at line %d)", name, prev)
		}
		seen[name] = ln
		p.d.Sections = append(p.d.Sections, Field{Key: name, Line: ln})
		var err error
		switch kind {
		case secLabels:
			err = p.labels(ln+1, body)
		case secFiles:
			err = p.files(ln+1, body)
		case secEnvironment:
			p.d.Environment = script(body)
		case secRunscript:
			p.d.Runscript = script(body)
		case secHelp:
			p.d.Help = script(body)
		case secTest:
			p.d.Test = script(body)
		}
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

func (p *parser) header(ln int, k, v string) error {
	switch k {
	case "bootstrap":
		if p.d.Bootstrap != "" {
			return p.errf(ln, "duplicate Bootstrap header")
		}
		if strings.ToLower(v) != "scratch" {
			if v == "" {
				return p.errf(ln, "Bootstrap has no value (moobox supports \"Bootstrap: scratch\")")
			}
			return p.errf(ln, "Bootstrap: %s is not supported: %s; use \"Bootstrap: scratch\"", v, whyNoBase)
		}
		p.d.Bootstrap = "scratch"
	case "from", "mirrorurl", "include", "osversion", "library", "registry", "namespace", "fingerprints", "updateurl", "stage":
		return p.errf(ln, "header %q is not supported: %s", k, whyNoBase)
	default:
		return p.errf(ln, "unknown header keyword %q (moobox supports only \"Bootstrap: scratch\")", k)
	}
	p.d.Header = append(p.d.Header, Field{Key: k, Value: v, Line: ln})
	return nil
}

func (p *parser) labels(first int, body []string) error {
	seen := map[string]int{}
	for n, l := range body {
		ln := first + n
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		k, v := splitWord(t)
		if prev, dup := seen[k]; dup {
			return p.errf(ln, "duplicate label %q (first at line %d)", k, prev)
		}
		seen[k] = ln
		p.d.Labels = append(p.d.Labels, Label{Key: k, Value: v, Line: ln})
	}
	return nil
}

func (p *parser) files(first int, body []string) error {
	for n, l := range body {
		ln := first + n
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		fields, err := splitQuoted(t)
		if err != nil {
			return p.errf(ln, "%%files: %v", err)
		}
		if len(fields) > 2 {
			return p.errf(ln, "%%files: expected \"SRC [DST]\", got %d fields", len(fields))
		}
		src := fields[0]
		dst := src
		if len(fields) == 2 {
			dst = fields[1]
		}
		if hasDotDot(src) {
			return p.errf(ln, "%%files source %q contains \"..\": a relative source may not climb out of the definition file's directory (an absolute path may name any host file)", src)
		}
		if hasDotDot(dst) {
			return p.errf(ln, "%%files destination %q contains \"..\"", dst)
		}
		if strings.ContainsAny(src, "*?[") {
			return p.errf(ln, "%%files source %q: wildcards are not supported, name each file", src)
		}
		dst = path.Clean("/" + filepath.ToSlash(dst))
		if dst == "/" {
			return p.errf(ln, "%%files destination is the image root; name a file or directory")
		}
		p.d.Files = append(p.d.Files, File{Src: src, Dst: dst, Line: ln})
	}
	return nil
}

// splitWord splits "KEY rest of line" at the first run of blanks.
func splitWord(s string) (string, string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// splitQuoted splits a %files line into blank-separated fields, where a
// field may be wrapped in double or single quotes to hold blanks.
func splitQuoted(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote", q)
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
			if s != "" && s[0] != ' ' && s[0] != '\t' {
				return nil, fmt.Errorf("text after closing quote")
			}
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

func hasDotDot(p string) bool {
	for _, c := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if c == ".." {
			return true
		}
	}
	return false
}

// script joins a script section's lines, dropping leading and trailing
// blank lines (Singularity keeps them but they carry no meaning, and
// dropping them makes the generated files independent of the recipe's
// spacing between sections).
func script(body []string) string {
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	return strings.Join(body, "\n")
}
