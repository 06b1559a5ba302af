package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

func mkSrc(t *testing.T) string {
	src := filepath.Join(t.TempDir(), "src")
	for p, content := range map[string]string{
		"etc/motd":         "moo\n",
		"bin/tool":         strings.Repeat("binary\x00", 40000),
		"usr/share/doc/ab": "",
		"usr/share/x/y/z":  strings.Repeat("z", 131072),
	} {
		p = filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("../etc/motd", filepath.Join(src, "bin/motd"))
	os.Link(filepath.Join(src, "etc/motd"), filepath.Join(src, "etc/motd2"))
	os.Chmod(filepath.Join(src, "bin/tool"), 0o4755)
	return src
}

var lln = regexp.MustCompile(`^(\S{10}) (\d+)/(\d+) +(\d+|\d+, *\d+) (\S+ \S+) (squashfs-root.*)$`)

func listing(t *testing.T, img string) string {
	t.Helper()
	uns := testutil.RequireTool(t, "unsquashfs", "squashfs-tools")
	cmd := exec.Command(uns, "-lln", img)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("unsquashfs -lln %s: %v", img, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if m := lln.FindStringSubmatch(l); m != nil {
			if m[1][0] == 'd' {
				m[4] = "-" // a directory's size depends on header layout
			}
			lines = append(lines, strings.Join(m[1:], " "))
		}
	}
	return strings.Join(lines, "\n")
}

// TestMksquashfsLikeReference: same flags, same listing as mksquashfs, and
// the same SOURCE_DATE_EPOCH handling.
func TestMksquashfsLikeReference(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	src := mkSrc(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1000000000")
	dir := t.TempDir()
	for _, comp := range []string{"gzip", "xz", "zstd"} {
		ref, ours := filepath.Join(dir, comp+"-ref"), filepath.Join(dir, comp+"-ours")
		if out, err := exec.Command(mk, src, ref, "-comp", comp, "-b", "64K", "-noappend", "-all-root", "-quiet", "-no-progress").CombinedOutput(); err != nil {
			t.Fatalf("mksquashfs: %v\n%s", err, out)
		}
		if rc := mksquashfsCmd([]string{src, ours, "-comp", comp, "-b", "64K", "-noappend", "-all-root"}); rc != 0 {
			t.Fatalf("exit %d", rc)
		}
		if a, b := listing(t, ref), listing(t, ours); a != b {
			t.Errorf("%s: listings differ:\nmksquashfs:\n%s\nmoobuild:\n%s", comp, a, b)
		}
		rb, _ := os.ReadFile(ref)
		ob, _ := os.ReadFile(ours)
		for _, f := range []struct {
			name string
			off  int
		}{{"mkfs_time", 8}, {"block_size", 12}, {"compression+block_log", 20}} {
			if a, b := binary.LittleEndian.Uint32(rb[f.off:]), binary.LittleEndian.Uint32(ob[f.off:]); a != b {
				t.Errorf("%s: superblock %s %d, mksquashfs %d", comp, f.name, b, a)
			}
		}
		if len(ob)%4096 != 0 {
			t.Errorf("%s: %d bytes, not padded to 4 KiB", comp, len(ob))
		}
	}
}

func TestMksquashfsErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.sqfs")
	for _, args := range [][]string{
		{filepath.Join(dir, "missing"), out, "-noappend"},
		{dir, out, "-comp", "lzo"},
		{dir, out, "-b", "3000"},
		{dir, out, "-b"},
		{dir, out, "-bogus"},
		{dir},
	} {
		if rc := mksquashfsCmd(args); rc == 0 {
			t.Errorf("%q: exit 0", args)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%q left %s behind", args, out)
		}
	}
	// Without -noappend an existing image is left alone, as appending is
	// not supported.
	os.WriteFile(out, []byte("keep"), 0o644)
	if rc := mksquashfsCmd([]string{t.TempDir(), out}); rc == 0 {
		t.Error("replaced an existing image without -noappend")
	}
	if b, _ := os.ReadFile(out); string(b) != "keep" {
		t.Error("existing image modified")
	}
	if rc := mksquashfsCmd([]string{t.TempDir(), out, "-noappend"}); rc != 0 {
		t.Errorf("-noappend: exit %d", rc)
	}
}

// TestMksquashfsOutputInSource: an image written inside SRC is left out of
// the next image written to the same name, as mksquashfs does; another
// image in SRC is packed like any file.
func TestMksquashfsOutputInSource(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	t.Setenv("SOURCE_DATE_EPOCH", "1000000000")
	srcs := [2]string{mkSrc(t), mkSrc(t)}
	for i, src := range srcs {
		if err := os.WriteFile(filepath.Join(src, "other.sqfs"), []byte("not me"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(src, "o.sqfs")
		for range 2 {
			if i == 0 {
				if b, err := exec.Command(mk, src, out, "-noappend", "-all-root", "-quiet", "-no-progress").CombinedOutput(); err != nil {
					t.Fatalf("mksquashfs: %v\n%s", err, b)
				}
			} else if rc := mksquashfsCmd([]string{src, out, "-noappend", "-all-root"}); rc != 0 {
				t.Fatalf("exit %d", rc)
			}
		}
	}
	ref, ours := listing(t, filepath.Join(srcs[0], "o.sqfs")), listing(t, filepath.Join(srcs[1], "o.sqfs"))
	if strings.Contains(ours, "squashfs-root/o.sqfs") || !strings.Contains(ours, "other.sqfs") {
		t.Errorf("moobuild's listing:\n%s", ours)
	}
	if ref != ours {
		t.Errorf("listings differ:\nmksquashfs:\n%s\nmoobuild:\n%s", ref, ours)
	}
	// An OUT that is a symlink into SRC is replaced, not written through:
	// the file it points at is not the output and stays in the image.
	src := mkSrc(t)
	if err := os.WriteFile(filepath.Join(src, "important"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(src), "out.sqfs")
	if err := os.Symlink(filepath.Join(src, "important"), out); err != nil {
		t.Fatal(err)
	}
	if rc := mksquashfsCmd([]string{src, out, "-noappend", "-all-root"}); rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	if l := listing(t, out); !strings.Contains(l, "squashfs-root/important") {
		t.Errorf("the symlinked output's target was left out:\n%s", l)
	}
	if b, _ := os.ReadFile(filepath.Join(src, "important")); string(b) != "precious" {
		t.Errorf("the symlink's target was overwritten: %q", b)
	}
}

// TestMksquashfsNonDirSource: a SRC that is a symlink to a directory, or a
// file, is not followed: like mksquashfs, the image's root is a directory
// (0777, dated SOURCE_DATE_EPOCH) holding it. A trailing slash follows
// the symlink.
func TestMksquashfsNonDirSource(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	t.Setenv("SOURCE_DATE_EPOCH", "1000000000")
	src := mkSrc(t)
	dir := filepath.Dir(src)
	if err := os.Symlink("src", filepath.Join(dir, "s8")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"s8", "s8/", "src/etc/motd", "src/bin/motd"} {
		s = dir + "/" + s // not filepath.Join: it drops a trailing slash
		ref, ours := filepath.Join(t.TempDir(), "ref"), filepath.Join(t.TempDir(), "ours")
		if b, err := exec.Command(mk, s, ref, "-noappend", "-quiet", "-no-progress").CombinedOutput(); err != nil {
			t.Fatalf("mksquashfs %s: %v\n%s", s, err, b)
		}
		if rc := mksquashfsCmd([]string{s, ours, "-noappend"}); rc != 0 {
			t.Fatalf("%s: exit %d", s, rc)
		}
		if a, b := listing(t, ref), listing(t, ours); a != b {
			t.Errorf("%s: listings differ:\nmksquashfs:\n%s\nmoobuild:\n%s", s, a, b)
		}
	}
}

// TestMksquashfsEpochSyntax: SOURCE_DATE_EPOCH values mksquashfs accepts
// (and the creation time they give) and those it refuses.
func TestMksquashfsEpochSyntax(t *testing.T) {
	mk := testutil.RequireTool(t, "mksquashfs", "squashfs-tools")
	src := mkSrc(t)
	dir := t.TempDir()
	for i, v := range []string{"", "0", "+5", "007", "\t 7", "-0", "4294967295",
		"4294967296", "-5", "5 ", "0x10", "abc", " ", "+", "1e3", "99999999999999999999"} {
		t.Setenv("SOURCE_DATE_EPOCH", v)
		ref, ours := filepath.Join(dir, fmt.Sprint(i, "-ref")), filepath.Join(dir, fmt.Sprint(i, "-ours"))
		refErr := exec.Command(mk, src, ref, "-noappend", "-quiet", "-no-progress").Run()
		rc := mksquashfsCmd([]string{src, ours, "-noappend"})
		if (refErr == nil) != (rc == 0) {
			t.Errorf("SOURCE_DATE_EPOCH=%q: mksquashfs %v, moobuild exit %d", v, refErr, rc)
			continue
		}
		if rc != 0 {
			continue
		}
		rb, _ := os.ReadFile(ref)
		ob, _ := os.ReadFile(ours)
		if a, b := binary.LittleEndian.Uint32(rb[8:]), binary.LittleEndian.Uint32(ob[8:]); a != b {
			t.Errorf("SOURCE_DATE_EPOCH=%q: mkfs_time %d, mksquashfs %d", v, b, a)
		}
		if a, b := listing(t, ref), listing(t, ours); a != b {
			t.Errorf("SOURCE_DATE_EPOCH=%q: listings differ:\nmksquashfs:\n%s\nmoobuild:\n%s", v, a, b)
		}
	}
}
