package sif

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/moobox/moobox/image/squashfs"
	"github.com/moobox/moobox/internal/testutil"
)

// writeMoo builds moo.sif into a temp dir and returns its path.
func writeMoo(t *testing.T, c squashfs.Compression) (string, *Image) {
	t.Helper()
	img := buildMooComp(t, 1700000000, mooDef(t), c)
	p := filepath.Join(t.TempDir(), "moo.sif")
	if err := WriteFile(p, img.Bytes); err != nil {
		t.Fatal(err)
	}
	return p, img
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// squeeze collapses runs of blanks, so checks do not depend on column
// alignment.
func squeeze(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.Join(strings.Fields(l), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// TestSiftool checks the SIF with the reference implementation's tool
// (siftool, built on the same sif library Apptainer uses) and the squashfs
// partition with squashfs-tools.
func TestSiftool(t *testing.T) {
	siftool := testutil.RequireTool(t, "siftool", "siftool")
	unsquashfs := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	p, img := writeMoo(t, 0)

	list := run(t, siftool, "list", p)
	for _, want := range []string{"|Def.FILE", "|JSON.Generic", "|FS (Squashfs/*System/" + runtime.GOARCH + ")", "|SBOM (spdx-json)"} {
		if !strings.Contains(list, want) {
			t.Errorf("siftool list lacks %q:\n%s", want, list)
		}
	}
	if n := strings.Count(list, "\n"); n != 7 {
		t.Errorf("siftool list: %d lines, want 3 header lines + 4 descriptors:\n%s", n, list)
	}
	hdr := squeeze(run(t, siftool, "header", p))
	for _, want := range []string{"#!/usr/bin/env run-singularity", "Primary Architecture: " + runtime.GOARCH,
		"ID: " + img.ID, "Created At: 2023-11-14 22:13:20 +0000 UTC", "Modified At: 2023-11-14 22:13:20 +0000 UTC"} {
		if !strings.Contains(hdr, want) {
			t.Errorf("siftool header lacks %q:\n%s", want, hdr)
		}
	}
	info := squeeze(run(t, siftool, "info", "2", p))
	if !strings.Contains(info, "Data Type: JSON.Generic") || !strings.Contains(info, "Name: inspect-metadata.json") {
		t.Errorf("siftool info 2:\n%s", info)
	}
	if got := run(t, siftool, "dump", "1", p); got != string(mooDef(t).Raw) {
		t.Errorf("siftool dump 1 differs from the def file:\n%s", got)
	}

	part := filepath.Join(t.TempDir(), "part.sqfs")
	dump := run(t, siftool, "dump", "3", p)
	if dump != string(img.Squashfs) {
		t.Fatalf("siftool dump 3: %d bytes, not the %d-byte squashfs", len(dump), len(img.Squashfs))
	}
	if err := os.WriteFile(part, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	lls := run(t, unsquashfs, "-lls", "-n", part)
	for _, want := range []string{
		"-rwxr-xr-x root/root", "squashfs-root/.singularity.d/runscript\n",
		"squashfs-root/.singularity.d/test\n",
		"squashfs-root/.singularity.d/labels.json\n",
		"squashfs-root/.singularity.d/env/90-environment.sh\n",
		"squashfs-root/.singularity.d/Singularity\n",
		"squashfs-root/.singularity.d/runscript.help\n",
		"squashfs-root/bin -> usr/bin\n",
		"squashfs-root/usr/bin/busybox\n",
		"drwxr-xr-x root/root", "squashfs-root/dev\n",
		"drwxrwxrwt root/root", "squashfs-root/tmp\n",
		" 2023-11-14 22:13 squashfs-root/etc/passwd\n",
	} {
		if !strings.Contains(lls, want) {
			t.Errorf("unsquashfs -lls lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(lls)
	}
}

// TestKernelMount mounts the SIF's partition with the kernel at its offset,
// as a runtime without squashfuse does, and runs the tools from it in a
// chroot with its own PID namespace.
func TestKernelMount(t *testing.T) {
	testutil.RequireRoot(t)
	mount := testutil.RequireTool(t, "mount", "mount")
	umount := testutil.RequireTool(t, "umount", "mount")
	unshare := testutil.RequireTool(t, "unshare", "util-linux")
	chroot := testutil.RequireTool(t, "chroot", "coreutils")
	for _, c := range []squashfs.Compression{0, squashfs.Gzip, squashfs.Zstd} {
		name := c.String()
		if c == 0 {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { kernelMount(t, c, mount, umount, unshare, chroot) })
	}
}

func kernelMount(t *testing.T, c squashfs.Compression, mount, umount, unshare, chroot string) {
	p, img := writeMoo(t, c)
	r, err := Verify(img.Bytes)
	verifyOK(t, err)
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(mount, "-t", "squashfs", "-o", "loop,ro,offset="+strconv.FormatInt(r.PartOffset, 10), p, mnt).CombinedOutput()
	if err != nil {
		testutil.Missing(t, "kernel loop mount of the SIF failed here (no loop devices or squashfs module?): "+err.Error()+": "+string(out))
	}
	defer exec.Command(umount, mnt).Run()
	checkMounted(t, mnt, unshare, chroot)
}

// TestSquashfuse mounts the partition with squashfuse_ll at its offset, as
// Apptainer does without privilege, and runs the tools from it.
func TestSquashfuse(t *testing.T) {
	testutil.RequireRoot(t)
	sqfuse := testutil.RequireTool(t, "squashfuse_ll", "squashfuse")
	umount := testutil.RequireTool(t, "umount", "mount")
	unshare := testutil.RequireTool(t, "unshare", "util-linux")
	chroot := testutil.RequireTool(t, "chroot", "coreutils")
	if _, err := os.Stat("/dev/fuse"); err != nil {
		testutil.Missing(t, "no /dev/fuse: "+err.Error())
	}
	p, img := writeMoo(t, 0)
	r, err := Verify(img.Bytes)
	verifyOK(t, err)
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sqfuse, "-o", "offset="+strconv.FormatInt(r.PartOffset, 10), p, mnt).CombinedOutput()
	if err != nil {
		testutil.Missing(t, "squashfuse_ll mount failed here: "+err.Error()+": "+string(out))
	}
	defer exec.Command(umount, mnt).Run()
	checkMounted(t, mnt, unshare, chroot)
}

// checkMounted runs cowsay, the demo runscript and the runscript with
// arguments from the image mounted at mnt, in a chroot with its own PID
// namespace and /proc.
func checkMounted(t *testing.T, mnt, unshare, chroot string) {
	inside := func(args ...string) (string, error) {
		a := append([]string{"--fork", "--pid", "--mount-proc=" + filepath.Join(mnt, "proc"), chroot, mnt}, args...)
		cmd := exec.Command(unshare, a...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/root"}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		o, err := cmd.Output()
		if err != nil {
			err = fmt.Errorf("%v: %s", err, stderr.Bytes())
		}
		return string(o), err
	}
	got, err := inside("/bin/busybox", "cowsay", "moo")
	if err != nil {
		t.Fatalf("busybox cowsay moo in the mounted image: %v", err)
	}
	ref := testutil.RequireTool(t, "cowsay", "cowsay")
	want, err := exec.Command(ref, "moo").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("cowsay moo in the mounted image:\n%s\nwant:\n%s", got, want)
	}
	// The runscript with no arguments runs the demo pipeline.
	if got, err := inside("/.singularity.d/runscript"); err != nil || !strings.Contains(got, "(oo)") {
		// lolcat writes no colours when stdout is not a terminal.
		t.Errorf("demo runscript (fortune | cowsay | lolcat): %q %v", got, err)
	}
	// The runscript execs its arguments ("singularity run moo.sif echo hi").
	if got, err := inside("/.singularity.d/runscript", "echo", "hi"); err != nil || got != "hi\n" {
		t.Errorf("runscript echo hi: %q %v", got, err)
	}
}

// TestReaderMatchesUnsquashfs checks Verify's SquashFS reader against
// squashfs-tools on images mksquashfs writes: a tree with files of several
// blocks, tails in fragments, holes, hard links, symlinks, a directory of
// 600 entries (several listing headers and an index) and special modes;
// Extract's tree must equal unsquashfs's, file by file.
func TestReaderMatchesUnsquashfs(t *testing.T) {
	mksquashfs := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	unsquashfs := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	src := filepath.Join(t.TempDir(), "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "big", "sub"), 0o755))
	rnd := make([]byte, 300<<10)
	for i := range rnd {
		rnd[i] = byte(i*7 + i>>9*13 + i>>3)
	}
	must(os.WriteFile(filepath.Join(src, "big", "rnd"), rnd, 0o644))
	holes := make([]byte, 400<<10)
	copy(holes[200<<10:], "middle")
	copy(holes[len(holes)-5:], "tail\n")
	must(os.WriteFile(filepath.Join(src, "big", "holes"), holes, 0o600))
	must(os.WriteFile(filepath.Join(src, "big", "sub", "exe"), []byte("#!/bin/sh\necho hi\n"), 0o4755))
	must(os.Link(filepath.Join(src, "big", "rnd"), filepath.Join(src, "big", "hard")))
	must(os.Symlink("../big/rnd", filepath.Join(src, "big", "sub", "link")))
	must(os.Mkdir(filepath.Join(src, "many"), 0o1777))
	for i := 0; i < 600; i++ {
		must(os.WriteFile(filepath.Join(src, "many", fmt.Sprintf("file-with-a-longish-name-%04d", i)), []byte(strconv.Itoa(i*i)), 0o644))
	}
	must(os.WriteFile(filepath.Join(src, "empty"), nil, 0o644))
	for _, comp := range []string{"gzip", "xz", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "img.sqfs")
			run(t, mksquashfs, src, img, "-comp", comp, "-all-root", "-noappend", "-quiet", "-no-progress")
			data, err := os.ReadFile(img)
			must(err)
			ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
			must(os.Mkdir(ours, 0o755))
			if err := Extract(data, ours); err != nil {
				t.Fatalf("Extract: %v", err)
			}
			run(t, unsquashfs, "-n", "-d", theirs, img)
			a, b := treeListing(t, ours), treeListing(t, theirs)
			if a != b {
				t.Errorf("Extract and unsquashfs differ:\n--- ours\n%s--- unsquashfs\n%s", a, b)
			}
			if n := strings.Count(a, "\n"); n < 600 {
				t.Errorf("only %d entries", n)
			}
		})
	}
}

// treeListing describes every entry under root: path, mode, and the
// content's hash or the link's target.
func treeListing(t *testing.T, root string) string {
	var b strings.Builder
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		fmt.Fprintf(&b, "%s %v", rel, fi.Mode())
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			tgt, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " -> %s", tgt)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %d %x", len(data), sha256.Sum256(data))
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
