package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/moobox/moobox/image/build"
	"github.com/moobox/moobox/image/deffile"
	"github.com/moobox/moobox/image/oci"
	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/image/sbom"
	"github.com/moobox/moobox/image/sif"
	"github.com/moobox/moobox/image/squashfs"
	"github.com/moobox/moobox/internal/version"
)

const sifUsage = `usage: moobuild [flags] OUT.sif [DEFFILE]

Build a Singularity/Apptainer image (SIF) from a definition file (default:
image/moo.def of the checkout), like "singularity build OUT.sif DEFFILE",
without root, a base image or mksquashfs. Timestamps come from
SOURCE_DATE_EPOCH (default: the commit time of HEAD of the checkout, else 0).

flags:
`

// isSIFBuild reports whether args are a SIF build ("moobuild [flags]
// OUT.sif [DEF]"): the form without a subcommand.
func isSIFBuild(args []string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && strings.HasSuffix(a, ".sif") {
			return true
		}
	}
	return false
}

// sifBuildCmd is "moobuild [flags] OUT.sif [DEF]".
func sifBuildCmd(args []string) int { return sifBuildMain(args, os.Stdout, os.Stderr) }

func sifBuildMain(args []string, stdout, stderr io.Writer) int {
	fl := pflag.NewFlagSet("moobuild", pflag.ContinueOnError)
	fl.SetOutput(stderr)
	platform := fl.String("platform", "", "platform of the image, e.g. linux/arm64 (default: the host's, or the --busybox binary's)")
	bbPath := fl.String("busybox", "", "use this busybox binary instead of building ./cmd/busybox")
	srcDir := fl.String("src", "", "moobox checkout to build from (default: the one containing the current directory)")
	comp := fl.String("comp", "xz", "squashfs compression: xz (smallest; distribution kernels, squashfuse and every Singularity/Apptainer read it), gzip (also kernels built without xz) or zstd (older Singularity/Apptainer refuse it as corrupted)")
	test := fl.Bool("test", false, "run the definition file's %test in the built image (in a chroot) before writing it")
	quiet := fl.BoolP("quiet", "q", false, "print nothing but errors and warnings")
	fl.Usage = func() {
		fmt.Fprint(stderr, sifUsage)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return 0
		}
		return 2
	}
	if fl.NArg() < 1 || fl.NArg() > 2 {
		fl.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "moobuild: %v\n", err)
		return 1
	}
	out := fl.Arg(0)
	c, err := squashfs.ParseCompression(*comp)
	if err != nil {
		return fail(err)
	}
	plats, err := build.Platforms(*platform, *bbPath)
	if err != nil {
		return fail(err)
	}
	if len(plats) != 1 {
		return fail(fmt.Errorf("--platform %s: a SIF holds one platform; build one SIF per platform", *platform))
	}
	plat := plats[0]
	src, err := build.Source(*srcDir, *bbPath)
	if err != nil {
		return fail(err)
	}
	defPath := fl.Arg(1)
	if defPath == "" {
		if src == "" {
			return fail(errors.New("no definition file given and no checkout to take image/moo.def from"))
		}
		defPath = filepath.Join(src, "image", "moo.def")
	}
	def, err := deffile.ParseFile(defPath)
	if err != nil {
		return fail(err)
	}
	if *test && def.Test == "" {
		return fail(fmt.Errorf("%s has no %%test section", defPath))
	}
	if *test && plat.Arch != runtime.GOARCH {
		return fail(fmt.Errorf("--test: cannot run a %s image's %%test on this %s machine", plat, runtime.GOARCH))
	}
	mtime, err := rootfs.SourceDate(src)
	if err != nil {
		return fail(err)
	}

	var log io.Writer = stderr
	if *quiet {
		log = io.Discard
	}
	// An output that cannot be written is said at once, not after
	// compiling busybox.
	if err := oci.CheckFile(out); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	bbs, err := build.Busyboxes(ctx, src, *bbPath, []rootfs.Platform{plat}, log)
	if err != nil {
		return fail(err)
	}
	t0 := time.Now()
	img, err := buildSIF(bbs[plat], plat, def, mtime, rootfs.Revision(src), c)
	if err != nil {
		return fail(err)
	}
	if *test {
		if err := runTest(img, stdout, stderr); err != nil {
			return fail(fmt.Errorf("%%test failed: %w (%s not written)", err, out))
		}
	}
	if err := sif.WriteFile(out, img.Bytes); err != nil {
		return fail(err)
	}
	if w := epochWarning(src, mtime); w != "" {
		// Even with -q: a SIF dated 1970 is rarely what was meant.
		fmt.Fprintf(stderr, "moobuild: warning: %s\n", w)
	}
	fmt.Fprintf(log, "wrote %s: %s, %d bytes, in %.2fs\n", out, plat, len(img.Bytes), time.Since(t0).Seconds())
	return 0
}

// epochWarning explains a creation time of 0 that nobody asked for: no
// SOURCE_DATE_EPOCH and no git checkout to take a commit time from.
// (rootfs.SourceDate itself warns about a checkout whose HEAD git cannot
// read.)
func epochWarning(src string, mtime time.Time) string {
	if mtime.Unix() != 0 || os.Getenv("SOURCE_DATE_EPOCH") != "" {
		return ""
	}
	where := "no moobox checkout here"
	if src != "" {
		if _, err := os.Lstat(filepath.Join(src, ".git")); err == nil {
			return ""
		}
		where = "no .git in " + src
	}
	return "SOURCE_DATE_EPOCH is not set and there is " + where + ": the image is dated 1970-01-01 (set SOURCE_DATE_EPOCH=$(date +%s) or build in a git checkout)"
}

// buildSIF assembles the SIF: the same root filesystem, labels and SBOM as
// the OCI image of the same inputs.
func buildSIF(bb []byte, plat rootfs.Platform, def *deffile.Def, mtime time.Time, rev string, c squashfs.Compression) (*sif.Image, error) {
	cfg, err := build.ConfigFromDef(def, mtime, rev)
	if err != nil {
		return nil, err
	}
	t, err := rootfs.Moobox(mtime, bb, rootfs.Options{})
	if err != nil {
		return nil, err
	}
	if err := build.AddDefFilesFrom(t, def, def.Name); err != nil {
		return nil, err
	}
	doc, err := sbom.Generate(sbom.Input{
		Name: "moobox", Version: version.Version, Source: oci.Source, Revision: rev,
		Created: mtime, Tool: "moobuild-" + version.Version, Trees: map[rootfs.Platform]*rootfs.Tree{plat: t},
	})
	if err != nil {
		return nil, err
	}
	return sif.Build(t, def, sif.Options{Platform: plat, Created: mtime, Labels: cfg.Labels, SBOM: doc, Compression: c})
}

// runTest runs /.singularity.d/test of the built image the way "apptainer
// test" does (environment scripts sourced first), chrooted into the
// unpacked squashfs: as root directly, otherwise in a new user namespace
// mapping the caller to root.
func runTest(img *sif.Image, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "moobuild-test-")
	if err != nil {
		return err
	}
	defer func() {
		// Extract may have left read-only directories.
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		os.RemoveAll(dir)
	}()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	if err := sif.Extract(img.Squashfs, root); err != nil {
		return fmt.Errorf("unpacking the image: %w", err)
	}
	script := "for f in /.singularity.d/env/*.sh; do if [ -f \"$f\" ]; then . \"$f\"; fi; done\nexec /" + sif.TestPath + "\n"
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Path = "/bin/sh" // looked up inside the chroot, not on the host
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + rootfs.PATH, "HOME=/root", "TERM=dumb"}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	return cmd.Run()
}

// pushCmd is "moobuild push FILE.sif oras://HOST/REPO:TAG".
func pushCmd(args []string) int {
	fl := pflag.NewFlagSet("moobuild push", pflag.ContinueOnError)
	insecure := fl.Bool("insecure", false, "allow plain HTTP to the registry (loopback and private addresses use it anyway)")
	fl.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: moobuild push [--insecure] FILE.sif oras://HOST/REPO:TAG")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return 0
		}
		return 2
	}
	if fl.NArg() != 2 || !strings.HasPrefix(fl.Arg(1), "oras://") {
		fl.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "moobuild push: %v\n", err)
		return 1
	}
	data, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		return fail(err)
	}
	r, err := sif.Verify(data)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", fl.Arg(0), err))
	}
	var opts []name.Option
	if *insecure {
		opts = append(opts, name.Insecure)
	}
	d, err := sif.Push(context.Background(), data, filepath.Base(fl.Arg(0)), time.Unix(r.Created, 0), fl.Arg(1), opts...)
	if err != nil {
		return fail(err)
	}
	fmt.Println(d)
	return 0
}

// verifyCmd is "moobuild verify FILE.sif...".
func verifyCmd(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "usage: moobuild verify FILE.sif...")
		return 2
	}
	rc := 0
	for _, p := range args {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "moobuild verify: %v\n", err)
			rc = 1
			continue
		}
		r, err := sif.Verify(data)
		var buf bytes.Buffer
		if len(args) > 1 {
			fmt.Fprintf(&buf, "%s:\n", p)
		}
		r.WriteTo(&buf)
		os.Stdout.Write(buf.Bytes())
		if err != nil {
			fmt.Fprintf(os.Stderr, "moobuild verify: %s: %v\n", p, err)
			rc = 1
			continue
		}
		fmt.Printf("%s: OK\n", p)
	}
	return rc
}
