package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/klauspost/compress/zstd"

	"github.com/moobox/moobox/image/rootfs"
)

var (
	amd64 = rootfs.Platform{OS: "linux", Arch: "amd64"}
	arm64 = rootfs.Platform{OS: "linux", Arch: "arm64"}
)

func testTree(t *testing.T, mtime int64, bb string) *rootfs.Tree {
	t.Helper()
	tr, err := rootfs.Moobox(time.Unix(mtime, 0), []byte(bb), rootfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTarReadsBack(t *testing.T) {
	tr := testTree(t, 1700000000, "BUSYBOX")
	raw, err := Tar(tr)
	if err != nil {
		t.Fatal(err)
	}
	r := tar.NewReader(bytes.NewReader(raw))
	n := 0
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: uid %d gid %d %q %q mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		name := strings.TrimSuffix(h.Name, "/")
		e, ok := tr.Lookup(name)
		if !ok {
			t.Errorf("%s not in tree", h.Name)
			continue
		}
		switch {
		case e.IsDir():
			if h.Typeflag != tar.TypeDir || !strings.HasSuffix(h.Name, "/") {
				t.Errorf("%s: dir as %c", h.Name, h.Typeflag)
			}
		case e.IsSymlink():
			if h.Typeflag != tar.TypeSymlink || h.Linkname != e.Target {
				t.Errorf("%s: symlink as %c -> %s", h.Name, h.Typeflag, h.Linkname)
			}
		default:
			b, _ := io.ReadAll(r)
			if h.Typeflag != tar.TypeReg || !bytes.Equal(b, e.Data) {
				t.Errorf("%s: content differs", h.Name)
			}
		}
		if fs.FileMode(h.Mode).Perm() != e.Mode.Perm() {
			t.Errorf("%s: mode %o want %v", h.Name, h.Mode, e.Mode)
		}
		if name == "tmp" && h.Mode != 0o1777 {
			t.Errorf("tmp mode %o", h.Mode)
		}
	}
	if n != tr.Len() {
		t.Errorf("%d tar entries, tree has %d", n, tr.Len())
	}
}

func TestCompressionRoundTrip(t *testing.T) {
	// Over 2 MiB of poorly compressible data: several gzip members.
	big := make([]byte, 5<<19)
	x := uint32(1)
	for i := range big {
		x = x*1664525 + 1013904223
		big[i] = byte(x >> 27)
	}
	tr := testTree(t, 1, string(big))
	raw, _ := Tar(tr)
	for _, c := range []Compression{Gzip, Zstd} {
		l, err := NewLayer(tr, c)
		if err != nil {
			t.Fatal(err)
		}
		l2, _ := NewLayer(tr, c)
		if !bytes.Equal(l.Blob(), l2.Blob()) {
			t.Errorf("%s: two compressions differ", c)
		}
		var got []byte
		if c == Gzip {
			zr, err := gzip.NewReader(bytes.NewReader(l.Blob()))
			if err != nil {
				t.Fatal(err)
			}
			if zr.Name != "" || !zr.ModTime.IsZero() {
				t.Errorf("gzip header has name %q time %v", zr.Name, zr.ModTime)
			}
			got, _ = io.ReadAll(zr)
		} else {
			zr, _ := zstd.NewReader(bytes.NewReader(l.Blob()))
			got, _ = io.ReadAll(zr)
			zr.Close()
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("%s: decompressed layer differs from the tar", c)
		}
		if c == Gzip {
			// Every member is read by gzip(1) too.
			if gz, err := exec.LookPath("gzip"); err == nil {
				cmd := exec.Command(gz, "-dc")
				cmd.Stdin = bytes.NewReader(l.Blob())
				out, err := cmd.Output()
				if err != nil || !bytes.Equal(out, raw) {
					t.Errorf("gzip -dc: %v, %d bytes, want %d", err, len(out), len(raw))
				}
			}
		}
		mt, _ := l.MediaType()
		if want := map[Compression]string{Gzip: "application/vnd.oci.image.layer.v1.tar+gzip", Zstd: "application/vnd.oci.image.layer.v1.tar+zstd"}[c]; string(mt) != want {
			t.Errorf("%s media type %s", c, mt)
		}
	}
	if _, err := ParseCompression("bzip2"); err == nil {
		t.Error("bzip2 accepted")
	}
}

func TestImageAndIndexValidate(t *testing.T) {
	cfg := DefaultConfig(time.Unix(1700000000, 0), "abc")
	a, err := NewImage(testTree(t, 1700000000, "A"), amd64, cfg, Gzip)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewImage(testTree(t, 1700000000, "B"), arm64, cfg, Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(a); err != nil {
		t.Errorf("amd64 image: %v", err)
	}
	// validate reads layers with gzip only: the zstd one is checked by
	// TestCompressionRoundTrip, its manifest and config here.
	if err := validate.Image(b, validate.Fast); err != nil {
		t.Errorf("arm64 image: %v", err)
	}
	x, err := NewIndex([]*Image{b, a}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(x, validate.Fast); err != nil {
		t.Errorf("index: %v", err)
	}
	y, _ := NewIndex([]*Image{a, b}, cfg)
	if x.digest != y.digest {
		t.Error("index digest depends on the order of platforms")
	}
	cf, _ := a.ConfigFile()
	if cf.Config.User != Nobody || cf.Config.WorkingDir != "/" || cf.Config.Env[0] != "PATH="+rootfs.PATH ||
		strings.Join(cf.Config.Cmd, " ") != "/bin/sh -c "+Demo || cf.Created.Unix() != 1700000000 {
		t.Errorf("config: %+v", cf.Config)
	}
	m, _ := a.Manifest()
	for _, k := range []string{AnnTitle, AnnDescription, AnnVersion, AnnRevision, AnnSource, AnnCreated, AnnLicenses} {
		if m.Annotations[k] == "" || cf.Config.Labels[k] != m.Annotations[k] {
			t.Errorf("annotation/label %s: %q / %q", k, m.Annotations[k], cf.Config.Labels[k])
		}
	}
	if m.Annotations[AnnCreated] != "2023-11-14T22:13:20Z" {
		t.Errorf("created %s", m.Annotations[AnnCreated])
	}
	// Digest depends on the date and on the content.
	c, _ := NewImage(testTree(t, 1700000001, "A"), amd64, DefaultConfig(time.Unix(1700000001, 0), "abc"), Gzip)
	d, _ := NewImage(testTree(t, 1700000000, "A!"), amd64, cfg, Gzip)
	a2, _ := NewImage(testTree(t, 1700000000, "A"), amd64, cfg, Gzip)
	if a.digest != a2.digest || a.digest == c.digest || a.digest == d.digest {
		t.Errorf("digests: same %v %v, date %v, content %v", a.digest, a2.digest, c.digest, d.digest)
	}
}

func TestParseTarget(t *testing.T) {
	good := map[string]Target{
		"oci:out/x":                     {TransportOCI, "out/x", DefaultRef},
		"oci:out/x:moo:1":               {TransportOCI, "out/x", "moo:1"},
		"oci:out/x:v1":                  {TransportOCI, "out/x", "v1"},
		"oci-archive:x.tar":             {TransportOCIArchive, "x.tar", DefaultRef},
		"docker-archive:d.tar":          {TransportDockerArchive, "d.tar", DefaultRef},
		"docker-archive:d.tar:moo:1":    {TransportDockerArchive, "d.tar", "moo:1"},
		"docker://127.0.0.1:5000/moo:t": {TransportDocker, "", "127.0.0.1:5000/moo:t"},
	}
	for s, want := range good {
		got, err := ParseTarget(s)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "out", "oci:", "tar:x", "docker:x", "docker://", "docker-archive:d.tar:UPPER/x", "oci:x:a b", "docker://a b"} {
		if _, err := ParseTarget(s); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", s)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"oci:d:t", "docker://h:1/r:t", "docker-archive:f:r:t", "oci-archive::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Transport != TransportDocker && (tg.Path == "" || tg.Ref == "") {
			t.Fatalf("%q: %+v", s, tg)
		}
	})
}

// TestWriteModesAndAtomicity writes every file target under umask 077
// (blobs must still be readable by others) and checks failures leave
// nothing behind.
func TestWriteModesAndAtomicity(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	img, err := NewImage(testTree(t, 5, "X"), amd64, DefaultConfig(time.Unix(5, 0), ""), Gzip)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []string{"oci:" + dir + "/lay", "oci-archive:" + dir + "/a.tar", "docker-archive:" + dir + "/d.tar"} {
		tg, _ := ParseTarget(s)
		if err := Write(ctx, tg, img, WriteOptions{MTime: time.Unix(5, 0)}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		fi, _ := d.Info()
		want := fs.FileMode(0o644)
		if d.IsDir() {
			want = fs.ModeDir | 0o755
		}
		if p != dir && fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
		return nil
	})
	idx, _ := os.ReadFile(filepath.Join(dir, "lay", "index.json"))
	if !strings.Contains(string(idx), `"org.opencontainers.image.ref.name":"moobox:latest"`) || strings.Count(string(idx), `"digest"`) != 1 {
		t.Errorf("index.json: %s", idx)
	}
	// Rewriting the layout replaces it.
	tg, _ := ParseTarget("oci:" + dir + "/lay:v2")
	if err := Write(ctx, tg, img, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	idx, _ = os.ReadFile(filepath.Join(dir, "lay", "index.json"))
	if !strings.Contains(string(idx), `"v2"`) || strings.Contains(string(idx), `latest"`) {
		t.Errorf("rewritten index.json: %s", idx)
	}
	// A non-layout directory is not replaced.
	os.MkdirAll(filepath.Join(dir, "precious"), 0o755)
	os.WriteFile(filepath.Join(dir, "precious", "keep"), []byte("x"), 0o644)
	tg, _ = ParseTarget("oci:" + dir + "/precious")
	if err := Write(ctx, tg, img, WriteOptions{}); err == nil {
		t.Error("replaced a directory that is not an OCI layout")
	}
	if _, err := os.Stat(filepath.Join(dir, "precious", "keep")); err != nil {
		t.Error(err)
	}
	// A missing directory fails cleanly for an archive; a layout's
	// parents are made, as skopeo does.
	tg, _ = ParseTarget("oci-archive:" + dir + "/no/such/a.tar")
	if err := Write(ctx, tg, img, WriteOptions{}); err == nil || err.Error() != "cannot write in "+dir+"/no/such: no such file or directory" {
		t.Errorf("%s: %v", tg, err)
	}
	tg, _ = ParseTarget("oci:" + dir + "/made/for/lay")
	if err := Write(ctx, tg, img, WriteOptions{}); err != nil {
		t.Errorf("%s: %v", tg, err)
	} else if fi, err := os.Stat(dir + "/made/for"); err != nil || fi.Mode() != fs.ModeDir|0o755 {
		t.Errorf("parent made: %v %v", fi, err)
	}
	des, _ := os.ReadDir(dir)
	for _, d := range des {
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", d.Name())
		}
	}
	// A docker archive of an index is refused before anything is written.
	b, _ := NewImage(testTree(t, 5, "Y"), arm64, DefaultConfig(time.Unix(5, 0), ""), Gzip)
	x, _ := NewIndex([]*Image{img, b}, DefaultConfig(time.Unix(5, 0), ""))
	tg, _ = ParseTarget("docker-archive:" + dir + "/multi.tar")
	if err := Write(ctx, tg, x, WriteOptions{}); err == nil {
		t.Error("docker archive of an index accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "multi.tar")); err == nil {
		t.Error("multi.tar written")
	}
}

// TestWriteAllOrNothing: when one output fails, none is written, even
// those that could be, and the layout's parents made for it are removed.
func TestWriteAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	img, err := NewImage(testTree(t, 5, "X"), amd64, DefaultConfig(time.Unix(5, 0), ""), Gzip)
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(dir+"/d.tar", 0o755)
	cases := []struct {
		targets []string
		extra   []File
		want    string
	}{
		{[]string{"oci:" + dir + "/new/lay", "oci-archive:" + dir + "/ok.tar", "oci-archive:" + dir + "/missing/x.tar"}, nil,
			"cannot write in " + dir + "/missing: no such file or directory"},
		{[]string{"oci:" + dir + "/new/lay", "oci-archive:" + dir + "/ok.tar"}, []File{{Path: dir + "/missing/sbom.json", Data: nil}},
			"cannot write in " + dir + "/missing: no such file or directory"},
		{[]string{"oci-archive:" + dir + "/ok.tar", "oci-archive:" + dir + "/d.tar"}, nil, "cannot write " + dir + "/d.tar: is a directory"},
		// The push fails after the files are staged: they go too.
		{[]string{"oci:" + dir + "/new/lay", "oci-archive:" + dir + "/ok.tar", "docker://127.0.0.1:1/moobox/x:y"}, []File{{Path: dir + "/sbom.json", Data: []byte("{}")}},
			"push 127.0.0.1:1/moobox/x:y"},
	}
	for _, c := range cases {
		tgs := parseTargets(t, c.targets)
		err := WriteAll(context.Background(), tgs, img, WriteOptions{Remote: []remote.Option{remote.WithRetryBackoff(remote.Backoff{Steps: 1})}}, c.extra...)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.targets, err, c.want)
		}
		if des, _ := os.ReadDir(dir); len(des) != 1 {
			t.Errorf("%v: %v left behind", c.targets, des)
		}
	}
}

func parseTargets(t *testing.T, ss []string) []Target {
	t.Helper()
	var tgs []Target
	for _, s := range ss {
		tg, err := ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		tgs = append(tgs, tg)
	}
	return tgs
}

// TestWriteOverlapping: outputs on one path, or inside an oci: layout
// (which is replaced whole), are refused before anything is written: an
// existing layout is left as it was.
func TestWriteOverlapping(t *testing.T) {
	dir := t.TempDir()
	img, err := NewImage(testTree(t, 5, "X"), amd64, DefaultConfig(time.Unix(5, 0), ""), Gzip)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lay, _ := ParseTarget("oci:" + dir + "/lay:v1")
	if err := Write(ctx, lay, img, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(dir + "/lay/index.json")
	lay2, _ := ParseTarget("oci:" + dir + "/lay:v2")
	cases := []struct {
		targets []string
		extra   []File
		want    string
	}{
		{[]string{"oci:" + dir + "/lay:v2"}, []File{{Path: dir + "/lay/sbom.json", Data: []byte("{}")}},
			dir + "/lay/sbom.json is inside the layout oci:" + dir + "/lay:v2, which is replaced whole"},
		{[]string{"oci:" + dir + "/lay:v2"}, []File{{Path: dir + "/x/../lay/./blobs", Data: []byte("{}")}},
			dir + "/x/../lay/./blobs is inside the layout oci:" + dir + "/lay:v2, which is replaced whole"},
		{[]string{"oci:" + dir + "/lay:v2", "oci-archive:" + dir + "/lay/a.tar"}, nil,
			"oci-archive:" + dir + "/lay/a.tar:moobox:latest is inside the layout oci:" + dir + "/lay:v2"},
		{[]string{"oci:" + dir + "/same", "oci-archive:" + dir + "/same"}, nil,
			"oci:" + dir + "/same:moobox:latest and oci-archive:" + dir + "/same:moobox:latest are the same path"},
		{[]string{"oci:" + dir + "/two:v1", "oci:" + dir + "/two:v2"}, nil,
			"oci:" + dir + "/two:v1 and oci:" + dir + "/two:v2 are the same path"},
		{[]string{"oci-archive:" + dir + "/a.tar", "docker-archive:" + dir + "/a.tar"}, nil,
			"oci-archive:" + dir + "/a.tar:moobox:latest and docker-archive:" + dir + "/a.tar:moobox:latest are the same path"},
		{[]string{"oci-archive:" + dir + "/a.tar"}, []File{{Path: dir + "/./a.tar", Data: nil}},
			"oci-archive:" + dir + "/a.tar:moobox:latest and " + dir + "/./a.tar are the same path"},
	}
	for _, c := range cases {
		tgs := parseTargets(t, c.targets)
		if err := WriteAll(ctx, tgs, img, WriteOptions{}, c.extra...); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want %q", c.targets, c.extra, err, c.want)
		}
		if after, _ := os.ReadFile(dir + "/lay/index.json"); !bytes.Equal(after, before) {
			t.Errorf("%v %v: the layout was replaced", c.targets, c.extra)
		}
		if des, _ := os.ReadDir(dir); len(des) != 1 {
			t.Errorf("%v: %v left behind", c.targets, des)
		}
		if des, _ := os.ReadDir(dir + "/lay"); len(des) != 3 {
			t.Errorf("%v: layout holds %v", c.targets, des)
		}
	}
	// A file next to the layout is fine.
	if err := WriteAll(ctx, []Target{lay2}, img, WriteOptions{}, File{Path: dir + "/lay.sbom.json", Data: []byte("{}")}); err != nil {
		t.Error(err)
	}
}

// TestWriteOverLinks: a symbolic link in an output's directory is
// followed when comparing outputs, one in the last component is not: the
// output is renamed over the link, so "a.tar -> b.tar" and b.tar are two
// outputs, and both are written.
func TestWriteOverLinks(t *testing.T) {
	dir := t.TempDir()
	img, err := NewImage(testTree(t, 5, "X"), amd64, DefaultConfig(time.Unix(5, 0), ""), Gzip)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir+"/out", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/out/b.tar", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{"b.tar", dir + "/out/a.tar"}, {"out", dir + "/outlink"}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	err = WriteAll(ctx, parseTargets(t, []string{"oci-archive:" + dir + "/outlink/x.tar"}), img, WriteOptions{}, File{Path: dir + "/out/x.tar", Data: nil})
	if want := "oci-archive:" + dir + "/outlink/x.tar:moobox:latest and " + dir + "/out/x.tar are the same path"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("through a linked directory: %v, want %q", err, want)
	}
	if err := WriteAll(ctx, parseTargets(t, []string{"oci-archive:" + dir + "/out/a.tar", "oci-archive:" + dir + "/out/b.tar:v2"}), img, WriteOptions{}); err != nil {
		t.Fatalf("a.tar -> b.tar and b.tar: %v", err)
	}
	for _, p := range []string{"a.tar", "b.tar"} {
		fi, err := os.Lstat(dir + "/out/" + p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			t.Errorf("%s: %v %v, want a written archive", p, fi, err)
		}
	}
}

func BenchmarkLayerGzip(b *testing.B) {
	tr, _ := rootfs.Moobox(time.Unix(0, 0), bytes.Repeat([]byte("busybox\x00\x01"), 200000), rootfs.Options{})
	for i := 0; i < b.N; i++ {
		if _, err := NewLayer(tr, Gzip); err != nil {
			b.Fatal(err)
		}
	}
}
