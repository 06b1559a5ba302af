// Package build is `moobuild oci`: it builds (or takes) the busybox
// binaries, assembles the root filesystem of each platform, maps the
// definition file onto the image config, and writes the image, its index
// and its SBOM to the requested targets.
//
// Every output is checked before anything is built (so an unwritable
// directory is reported at once, not after a cold compile), and the
// outputs are written all or none: a failure leaves none of them.
// A --busybox binary must be a static build of moobox's ./cmd/busybox.
// Where moobuild differs from Singularity: %files may not replace
// /usr/bin/busybox nor write under /.singularity.d.
package build

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/moobox/moobox/image/deffile"
	"github.com/moobox/moobox/image/oci"
	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/image/sbom"
	"github.com/moobox/moobox/internal/version"
)

// HostPlatform is the default platform: linux on moobuild's own
// architecture (linux/arm/v7 for any 32-bit arm).
func HostPlatform() rootfs.Platform {
	p := rootfs.Platform{OS: "linux", Arch: runtime.GOARCH}
	if p.Arch == "arm" {
		p.Variant = "v7"
	}
	return p
}

// Busyboxes returns a busybox binary per platform: the file at override
// (one platform, checked against its ELF header, and by
// rootfs.CheckBusybox to be a static build of moobox's busybox), or each built from the
// checkout at src. log, when not nil, gets one line per build.
func Busyboxes(ctx context.Context, src, override string, plats []rootfs.Platform, log io.Writer) (map[rootfs.Platform][]byte, error) {
	out := map[rootfs.Platform][]byte{}
	if override != "" {
		data, err := os.ReadFile(override)
		if err != nil {
			return nil, fmt.Errorf("--busybox: %w", err)
		}
		p, err := rootfs.ELFPlatform(data)
		if err != nil {
			return nil, fmt.Errorf("--busybox %s: %w", override, err)
		}
		if err := rootfs.CheckBusybox(data); err != nil {
			return nil, fmt.Errorf("--busybox %s %v", override, err)
		}
		if len(plats) != 1 || plats[0] != p {
			return nil, fmt.Errorf("--busybox %s is a %s binary: use it with --platform %s (or no --platform)", override, p, p)
		}
		out[p] = data
		return out, nil
	}
	for _, p := range plats {
		t0 := time.Now()
		data, err := rootfs.BuildBusybox(ctx, src, p)
		if err != nil {
			return nil, err
		}
		if log != nil {
			fmt.Fprintf(log, "built busybox for %s (%d bytes) in %.1fs\n", p, len(data), time.Since(t0).Seconds())
		}
		out[p] = data
	}
	return out, nil
}

// ConfigFromDef maps a definition file onto the image config: its labels
// over the defaults, its %environment as a static Env, its %runscript as
// Cmd (run by /bin/sh -c with no arguments, so the script's "$#" is 0 and
// "docker run IMAGE cowsay hi" replaces it as a whole). d may be nil.
func ConfigFromDef(d *deffile.Def, created time.Time, revision string) (oci.Config, error) {
	c := oci.DefaultConfig(created, revision)
	if d == nil {
		return c, nil
	}
	for _, l := range d.Labels {
		c.Labels[l.Key] = l.Value
	}
	env, err := d.Env(c.Env)
	if err != nil {
		return c, err
	}
	c.Env = env
	if strings.TrimSpace(d.Runscript) != "" {
		c.Cmd = []string{"/bin/sh", "-c", d.Runscript + "\n", "runscript"}
	}
	return c, nil
}

// AddDefFiles is AddDefFilesFrom with no file name for the messages.
func AddDefFiles(t *rootfs.Tree, d *deffile.Def) error {
	return AddDefFilesFrom(t, d, "")
}

// AddDefFilesFrom copies the definition file's %files into t with
// normalised modes (0644, 0755 if executable, directories 0755). name,
// the definition file's path, prefixes the errors. Unlike Singularity,
// %files may not replace /usr/bin/busybox (the image's applets and SBOM
// are that program's) nor write under /.singularity.d (the SIF's
// metadata, which moobuild writes from the definition file).
func AddDefFilesFrom(t *rootfs.Tree, d *deffile.Def, name string) error {
	if d == nil {
		return nil
	}
	bb, hasBB := t.Lookup(rootfs.BusyboxPath)
	for _, f := range d.Files {
		fail := func(msg string) error { return &deffile.Error{File: name, Line: f.Line, Msg: msg} }
		if dst, _ := rootfs.CleanPath(f.Dst); dst == ".singularity.d" || strings.HasPrefix(dst, ".singularity.d/") {
			return fail(fmt.Sprintf("%%files may not write into /.singularity.d (%q): moobuild writes the SIF's metadata there from the definition file", f.Dst))
		}
		fi, err := os.Stat(f.Path)
		if err != nil {
			return fail(fmt.Sprintf("%%files source %q: %v", f.Src, unwrapPath(err)))
		}
		switch {
		case fi.IsDir():
			err = t.AddFS(f.Dst, os.DirFS(f.Path))
			if pe, ok := err.(*fs.PathError); ok {
				// The path is relative to the copied directory.
				return fail(fmt.Sprintf("%%files source %q: %v", filepath.Join(f.Src, filepath.FromSlash(pe.Path)), pe.Err))
			}
		case fi.Mode().IsRegular():
			var data []byte
			if data, err = os.ReadFile(f.Path); err != nil {
				return fail(fmt.Sprintf("%%files source %q: %v", f.Src, unwrapPath(err)))
			}
			perm := fs.FileMode(0o644)
			if fi.Mode()&0o111 != 0 {
				perm = 0o755
			}
			err = t.WriteFile(f.Dst, data, perm)
		default:
			err = fmt.Errorf("not a regular file or directory")
		}
		if err != nil {
			return fail(fmt.Sprintf("%%files %q -> %q: %v", f.Src, f.Dst, err))
		}
		if e, ok := t.Lookup(rootfs.BusyboxPath); hasBB && (!ok || e.Mode != bb.Mode || len(e.Data) != len(bb.Data) || len(e.Data) > 0 && &e.Data[0] != &bb.Data[0]) {
			return fail(fmt.Sprintf("%%files %q -> %q: %%files may not replace /%s (the image's multicall binary: build with --busybox to use another)", f.Src, f.Dst, rootfs.BusyboxPath))
		}
	}
	return nil
}

// unwrapPath drops an *fs.PathError's operation and path: the messages
// name the %files source as written.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// CheckUser checks an image user, "UID[:GID]" or "NAME[:GROUP]" (as the
// OCI config's User), so a typo fails the build rather than every run.
// Names must be in the tree's /etc/passwd and /etc/group; with t nil only
// the syntax is checked.
func CheckUser(u string, t *rootfs.Tree) error {
	bad := func(why string) error {
		return fmt.Errorf("--user %q: %s; want UID[:GID] or NAME[:GROUP] of the image's /etc/passwd and /etc/group (root, nobody)", u, why)
	}
	parts := strings.Split(u, ":")
	if len(parts) > 2 {
		return bad("more than one ':'")
	}
	for i, p := range parts {
		if p == "" {
			return bad("empty user or group")
		}
		if _, err := strconv.ParseUint(p, 10, 32); err == nil {
			continue
		}
		for _, r := range p {
			if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return bad(fmt.Sprintf("%q is neither a number nor a name", p))
			}
		}
		if t == nil {
			continue
		}
		file := map[int]string{0: "etc/passwd", 1: "etc/group"}[i]
		e, _ := t.Lookup(file)
		found := false
		for _, line := range strings.Split(string(e.Data), "\n") {
			if name, _, _ := strings.Cut(line, ":"); name == p {
				found = true
			}
		}
		if !found {
			return bad(fmt.Sprintf("no %s in the image's /%s", p, file))
		}
	}
	return nil
}

// Result is a finished build.
type Result struct {
	Artifact oci.Artifact
	Images   []*oci.Image
	Trees    map[rootfs.Platform]*rootfs.Tree
	SBOM     []byte
	MTime    time.Time
}

// Input is everything a build depends on.
type Input struct {
	Busyboxes   map[rootfs.Platform][]byte
	Def         *deffile.Def // may be nil
	DefName     string       // its path, for error messages
	MTime       time.Time    // SOURCE_DATE_EPOCH
	Revision    string
	User        string // "" keeps the default (65534:65534)
	Compression oci.Compression
}

// Build assembles trees, images, the index (several platforms) and the SBOM.
func Build(in Input) (*Result, error) {
	cfg, err := ConfigFromDef(in.Def, in.MTime, in.Revision)
	if err != nil {
		return nil, err
	}
	if in.User != "" {
		cfg.User = in.User
	}
	plats := make([]rootfs.Platform, 0, len(in.Busyboxes))
	for p := range in.Busyboxes {
		plats = append(plats, p)
	}
	sort.Slice(plats, func(i, j int) bool { return plats[i].String() < plats[j].String() })
	r := &Result{Trees: map[rootfs.Platform]*rootfs.Tree{}, MTime: in.MTime}
	for _, p := range plats {
		t, err := rootfs.Moobox(in.MTime, in.Busyboxes[p], rootfs.Options{})
		if err != nil {
			return nil, err
		}
		if err := AddDefFilesFrom(t, in.Def, in.DefName); err != nil {
			return nil, err
		}
		if err := CheckUser(cfg.User, t); err != nil {
			return nil, err
		}
		img, err := oci.NewImage(t, p, cfg, in.Compression)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		r.Trees[p] = t
		r.Images = append(r.Images, img)
	}
	if len(r.Images) == 0 {
		return nil, fmt.Errorf("no platform to build")
	}
	if len(r.Images) == 1 {
		r.Artifact = r.Images[0]
	} else if r.Artifact, err = oci.NewIndex(r.Images, cfg); err != nil {
		return nil, err
	}
	r.SBOM, err = sbom.Generate(sbom.Input{
		Name: "moobox", Version: version.Version, Source: oci.Source, Revision: in.Revision,
		Created: in.MTime, Tool: "moobuild-" + version.Version, Trees: r.Trees,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

const usage = `usage: moobuild oci [flags] TARGET...

Build moobox's OCI image (one layer, a scratch root filesystem around the
static busybox) and write it to each TARGET:
  oci:DIR[:REF]              OCI image layout (replaces DIR; makes its parents)
  oci-archive:FILE[:REF]     tar of that layout
  docker-archive:FILE[:REF]  for docker/podman load (one platform)
  docker://HOST/REPO:TAG     push (credentials from ~/.docker/config.json)
REF (index.json's ref.name, or the archive's tag) defaults to moobox:latest.
All targets (and --sbom) are written, or none of them.
Several platforms give an image index. Timestamps come from SOURCE_DATE_EPOCH
(default: the commit time of HEAD of the checkout, else 0).

flags:
`

// Main runs `moobuild oci ARGS`.
// Platforms is what --platform and --busybox ask for: the platforms listed
// (or all), else the --busybox binary's own, else the host's.
func Platforms(platform, busybox string) ([]rootfs.Platform, error) {
	switch {
	case platform != "":
		return rootfs.ParsePlatforms(platform)
	case busybox != "":
		data, err := os.ReadFile(busybox)
		if err != nil {
			return nil, fmt.Errorf("--busybox: %w", err)
		}
		p, err := rootfs.ELFPlatform(data)
		if err != nil {
			return nil, fmt.Errorf("--busybox %s: %w", busybox, err)
		}
		return []rootfs.Platform{p}, nil
	}
	return []rootfs.Platform{HostPlatform()}, nil
}

// Source is the moobox checkout to build from: dir, else the one holding
// the working directory. With a --busybox binary none is needed, and ""
// means there is none.
func Source(dir, busybox string) (string, error) {
	if dir != "" {
		return rootfs.FindSource(dir)
	}
	s, err := rootfs.FindSource(".")
	if err != nil && busybox != "" {
		return "", nil
	}
	return s, err
}

func Main(args []string, stdout, stderr io.Writer) int {
	fl := pflag.NewFlagSet("moobuild oci", pflag.ContinueOnError)
	fl.SetOutput(stderr)
	platform := fl.String("platform", "", "platforms, comma-separated (linux/amd64,linux/arm64,...) or all (default: the host's, or the --busybox binary's)")
	bbPath := fl.String("busybox", "", "use this busybox binary instead of building ./cmd/busybox (one platform)")
	srcDir := fl.String("src", "", "moobox checkout to build from (default: the one containing the current directory)")
	comp := fl.String("compression", "gzip", "layer compression: gzip or zstd")
	sbomPath := fl.String("sbom", "", "also write an SPDX 2.3 JSON SBOM to this file")
	defPath := fl.String("def", "", "definition file for labels, environment and command (default: image/moo.def of the checkout; none: built-in defaults)")
	user := fl.String("user", "", "image user, UID[:GID] or NAME[:GROUP] of the image (default 65534:65534, nobody)")
	revision := fl.String("revision", "", "source revision for the labels and SBOM (default: the checkout's git HEAD)")
	quiet := fl.BoolP("quiet", "q", false, "print only the digest")
	fl.Usage = func() {
		fmt.Fprint(stderr, usage)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return 0
		}
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "moobuild oci: %v\n", err)
		return 1
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	if fl.Changed("user") {
		if err := CheckUser(*user, nil); err != nil {
			return fail(err)
		}
	}
	var targets []oci.Target
	for _, a := range fl.Args() {
		t, err := oci.ParseTarget(a)
		if err != nil {
			return fail(err)
		}
		targets = append(targets, t)
	}
	// Every output is checked before the (maybe long) busybox compile.
	for _, t := range targets {
		if err := oci.CheckTarget(t); err != nil {
			return fail(err)
		}
	}
	if *sbomPath != "" {
		if err := oci.CheckFile(*sbomPath); err != nil {
			return fail(fmt.Errorf("--sbom: %w", err))
		}
	}
	c, err := oci.ParseCompression(*comp)
	if err != nil {
		return fail(err)
	}
	var plats []rootfs.Platform
	if plats, err = Platforms(*platform, *bbPath); err != nil {
		return fail(err)
	}
	for _, t := range targets {
		if t.Transport == oci.TransportDockerArchive && len(plats) > 1 {
			return fail(fmt.Errorf("%s: a docker archive holds one platform's image; build it with a single --platform", t))
		}
	}
	src, err := Source(*srcDir, *bbPath)
	if err != nil {
		return fail(err)
	}
	var def *deffile.Def
	defName := *defPath
	switch *defPath {
	case "none":
	case "":
		if src != "" {
			defName = filepath.Join(src, "image", "moo.def")
			if _, err := os.Stat(defName); err == nil {
				if def, err = deffile.ParseFile(defName); err != nil {
					return fail(err)
				}
			}
		}
	default:
		if def, err = deffile.ParseFile(*defPath); err != nil {
			return fail(err)
		}
	}
	mtime, err := rootfs.SourceDate(src)
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	var log io.Writer
	if !*quiet {
		log = stderr
	}
	bbs, err := Busyboxes(ctx, src, *bbPath, plats, log)
	if err != nil {
		return fail(err)
	}
	t0 := time.Now()
	rev := *revision
	if rev == "" {
		rev = rootfs.Revision(src)
	}
	res, err := Build(Input{Busyboxes: bbs, Def: def, DefName: defName, MTime: mtime, Revision: rev, User: *user, Compression: c})
	if err != nil {
		return fail(err)
	}
	var progress io.Writer
	if f, ok := stderr.(*os.File); ok && !*quiet && term.IsTerminal(int(f.Fd())) {
		progress = stderr
	}
	var extra []oci.File
	if *sbomPath != "" {
		extra = append(extra, oci.File{Path: *sbomPath, Data: res.SBOM})
	}
	if err := oci.WriteAll(ctx, targets, res.Artifact, oci.WriteOptions{MTime: mtime, Progress: progress}, extra...); err != nil {
		return fail(err)
	}
	if log != nil {
		for _, t := range targets {
			fmt.Fprintf(log, "wrote %s\n", t)
		}
		if *sbomPath != "" {
			fmt.Fprintf(log, "wrote SBOM %s\n", *sbomPath)
		}
	}
	d := res.Artifact.Descriptor()
	if log != nil {
		for _, img := range res.Images {
			fmt.Fprintf(log, "%s: manifest %s, layer %d bytes\n", img.Platform, img.Descriptor().Digest, len(img.Layer().Blob()))
		}
		fmt.Fprintf(log, "assembled and written in %.2fs\n", time.Since(t0).Seconds())
	}
	fmt.Fprintln(stdout, d.Digest)
	return 0
}
