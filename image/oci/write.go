package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Transports, named as skopeo names them.
const (
	TransportOCI           = "oci"
	TransportOCIArchive    = "oci-archive"
	TransportDockerArchive = "docker-archive"
	TransportDocker        = "docker"
)

// DefaultRef names the image when a file target names none: in a layout
// it is index.json's org.opencontainers.image.ref.name, which podman
// turns into localhost/moobox:latest, as docker-archive's REF does.
const DefaultRef = "moobox:latest"

// Target is a parsed output: oci:DIR[:TAG], oci-archive:FILE[:TAG],
// docker-archive:FILE[:REF] or docker://REF.
type Target struct {
	Transport string
	Path      string // file or directory for the file transports
	Ref       string // tag (oci, oci-archive) or image reference
}

func (t Target) String() string {
	if t.Transport == TransportDocker {
		return "docker://" + t.Ref
	}
	return t.Transport + ":" + t.Path + ":" + t.Ref
}

// ParseTarget parses a target. As in skopeo, the path ends at the first
// ':' after the transport, so paths cannot contain one.
func ParseTarget(s string) (Target, error) {
	tr, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Target{}, fmt.Errorf("target %q: want oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF] or docker://HOST/REPO:TAG", s)
	}
	t := Target{Transport: tr}
	switch tr {
	case TransportDocker:
		ref, ok := strings.CutPrefix(rest, "//")
		if !ok || ref == "" {
			return Target{}, fmt.Errorf("target %q: want docker://HOST/REPO:TAG", s)
		}
		if _, err := name.ParseReference(ref); err != nil {
			return Target{}, fmt.Errorf("target %q: %v", s, err)
		}
		t.Ref = ref
		return t, nil
	case TransportOCI, TransportOCIArchive, TransportDockerArchive:
		t.Path, t.Ref, _ = strings.Cut(rest, ":")
		if t.Path == "" {
			return Target{}, fmt.Errorf("target %q: empty path", s)
		}
		if tr == TransportDockerArchive {
			if t.Ref == "" {
				t.Ref = DefaultRef
			}
			if _, err := name.NewTag(t.Ref); err != nil {
				return Target{}, fmt.Errorf("target %q: reference %q: %v", s, t.Ref, err)
			}
		} else {
			if t.Ref == "" {
				t.Ref = DefaultRef
			}
			for _, r := range t.Ref {
				if r <= ' ' || r == 0x7f {
					return Target{}, fmt.Errorf("target %q: bad reference name %q", s, t.Ref)
				}
			}
		}
		return t, nil
	}
	return Target{}, fmt.Errorf("target %q: unknown transport %q (want oci, oci-archive, docker-archive or docker)", s, tr)
}

// WriteOptions tune Write.
type WriteOptions struct {
	// MTime stamps the files inside oci-archive (the tree's MTime).
	MTime time.Time
	// Progress, when non-nil, receives push progress lines.
	Progress io.Writer
	// Remote options for docker:// (default: the default keychain).
	Remote []remote.Option
}

// File is an extra output written along with the targets (the SBOM).
type File struct {
	Path string
	Data []byte
	Mode os.FileMode // 0: 0644
}

// Write stores a at t: WriteAll with one target.
func Write(ctx context.Context, t Target, a Artifact, o WriteOptions) error {
	return WriteAll(ctx, []Target{t}, a, o)
}

// WriteAll stores a at every target, and the extra files, all or nothing
// as far as the file system allows: every file output is first checked
// (CheckTarget, CheckFile), then written under a temporary name in its
// directory, then the pushes run, and only when all of that succeeded are
// the files renamed into place. Files are 0644 and directories 0755
// whatever the umask. Missing parent directories of an oci: layout are
// made (as skopeo does), and removed again when the write fails.
func WriteAll(ctx context.Context, targets []Target, a Artifact, o WriteOptions, extra ...File) (err error) {
	if err := checkDistinct(targets, extra); err != nil {
		return err
	}
	for _, t := range targets {
		if err := CheckTarget(t); err != nil {
			return err
		}
		if _, ok := a.(*Image); !ok && t.Transport == TransportDockerArchive {
			return fmt.Errorf("%s: a docker archive holds one platform's image; build it with a single --platform", t)
		}
	}
	for _, f := range extra {
		if err := CheckFile(f.Path); err != nil {
			return err
		}
	}
	var outs []*staged
	var made []string // parent directories made, outermost first
	defer func() {
		if err != nil {
			for _, s := range outs {
				s.abort()
			}
			for i := len(made) - 1; i >= 0; i-- {
				os.Remove(made[i])
			}
		}
	}()
	for _, t := range targets {
		var s *staged
		switch t.Transport {
		case TransportOCI:
			var m []string
			m, err = mkdirs(filepath.Dir(t.Path))
			made = append(made, m...)
			if err == nil {
				s, err = stageLayoutDir(t.Path, t.Ref, a)
			}
		case TransportOCIArchive:
			s, err = stageFile(t.Path, 0o644, func(w io.Writer) error { return writeLayoutTar(w, t.Ref, a, o.MTime) })
		case TransportDockerArchive:
			var tag name.Tag
			if tag, err = name.NewTag(t.Ref); err == nil {
				s, err = stageFile(t.Path, 0o644, func(w io.Writer) error { return tarball.Write(tag, a.(*Image), w) })
			}
		case TransportDocker:
			continue
		default:
			err = fmt.Errorf("unknown transport %q", t.Transport)
		}
		if err != nil {
			return err
		}
		outs = append(outs, s)
	}
	for _, f := range extra {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		s, err := stageFile(f.Path, mode, func(w io.Writer) error { _, err := w.Write(f.Data); return err })
		if err != nil {
			return err
		}
		outs = append(outs, s)
	}
	for _, t := range targets {
		if t.Transport == TransportDocker {
			if err = push(ctx, t.Ref, a, o); err != nil {
				return err
			}
		}
	}
	for len(outs) > 0 {
		if err = outs[0].commit(); err != nil {
			return err
		}
		outs = outs[1:]
	}
	return nil
}

// checkDistinct refuses outputs that would overwrite each other: two on
// the same path, or one inside an oci: layout (the layout is replaced
// whole by a rename, so a file written there first would vanish, and one
// written after would be in the new layout). Found before anything is
// staged, so nothing is written.
func checkDistinct(targets []Target, extra []File) error {
	type output struct{ name, path string }
	var outs []output
	var layouts []output
	for _, t := range targets {
		if t.Transport == TransportDocker {
			continue
		}
		// The whole target, tag included: two tags of one layout
		// are still one path.
		o := output{t.String(), canonical(t.Path)}
		outs = append(outs, o)
		if t.Transport == TransportOCI {
			layouts = append(layouts, o)
		}
	}
	for _, f := range extra {
		outs = append(outs, output{f.Path, canonical(f.Path)})
	}
	for i, a := range outs {
		for _, b := range outs[:i] {
			if a.path == b.path {
				return fmt.Errorf("%s and %s are the same path: each output needs its own", b.name, a.name)
			}
		}
		for _, l := range layouts {
			if rel, err := filepath.Rel(l.path, a.path); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") {
				return fmt.Errorf("%s is inside the layout %s, which is replaced whole: write it elsewhere", a.name, l.name)
			}
		}
	}
	return nil
}

// canonical is p absolute and clean, with symbolic links resolved in its
// directory (the nearest existing ancestor of it), so that two spellings
// of a path compare equal. A link in the last component is not followed:
// outputs are renamed over the path, replacing the link, not what it
// points to.
func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	dir, base := filepath.Dir(abs), filepath.Base(abs)
	if dir == abs {
		return abs // the root
	}
	rest := base
	for d := dir; ; d = filepath.Dir(d) {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(d) == d {
			return abs
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

// CheckTarget tells, before anything is built, why t cannot be written:
// its directory (or, for an oci: layout, the nearest existing ancestor)
// does not take new files, or the path is in the way.
func CheckTarget(t Target) error {
	switch t.Transport {
	case TransportOCI:
		if fi, err := os.Lstat(t.Path); err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("cannot write %s: exists and is not a directory", t.Path)
			}
			if _, err := os.Stat(filepath.Join(t.Path, "oci-layout")); err != nil {
				if des, _ := os.ReadDir(t.Path); len(des) > 0 {
					return fmt.Errorf("cannot write %s: exists and is not an OCI layout: refusing to replace it", t.Path)
				}
			}
		}
		d := filepath.Dir(t.Path)
		for {
			if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
				break
			}
			d = filepath.Dir(d)
		}
		if err := checkDir(d); err != nil {
			return err
		}
		return checkReplace(t.Path)
	case TransportOCIArchive, TransportDockerArchive:
		return CheckFile(t.Path)
	}
	return nil
}

// CheckFile tells why the file path cannot be written.
func CheckFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("cannot write %s: is a directory", path)
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return err
	}
	return checkReplace(path)
}

// checkDir probes dir with a file, the only test that sees read-only
// mounts, ACLs and the like as the real write will.
func checkDir(dir string) error {
	f, err := os.CreateTemp(dir, ".moobuild-probe-")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v", dir, unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// checkReplace refuses to replace another user's path in a sticky
// directory (such as /tmp): the final rename would fail with EPERM.
func checkReplace(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || os.Geteuid() == 0 {
		return nil
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode()&fs.ModeSticky == 0 || ownedByMe(fi) || ownedByMe(di) {
		return nil
	}
	return fmt.Errorf("cannot write %s: %v (it belongs to another user, in a sticky directory)", path, syscall.EPERM)
}

func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// unwrap drops the *os.PathError / *os.LinkError wrapping (and so the
// temporary names) from err.
func unwrap(err error) error {
	switch e := err.(type) {
	case *os.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	}
	return err
}

// mkdirs makes dir and its missing parents (0755) and returns the ones
// it made, outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append([]string{d}, missing...)
	}
	var made []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return made, fmt.Errorf("cannot make %s: %v", d, unwrap(err))
		}
		made = append(made, d)
		if err := os.Chmod(d, 0o755); err != nil {
			return made, err
		}
	}
	return made, nil
}

// staged is a file output written under a temporary name in its
// directory: commit renames it into place, abort removes it.
type staged struct {
	path, tmp string
	dir       bool
}

func (s *staged) commit() error {
	if !s.dir {
		if err := os.Rename(s.tmp, s.path); err != nil {
			return fmt.Errorf("cannot write %s: %v", s.path, unwrap(err))
		}
		return nil
	}
	old := ""
	if _, err := os.Lstat(s.path); err == nil {
		old = s.tmp + ".old"
		if err := os.Rename(s.path, old); err != nil {
			return fmt.Errorf("cannot replace %s: %v", s.path, unwrap(err))
		}
	}
	if err := os.Rename(s.tmp, s.path); err != nil {
		if old != "" {
			os.Rename(old, s.path)
		}
		return fmt.Errorf("cannot write %s: %v", s.path, unwrap(err))
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

func (s *staged) abort() { os.RemoveAll(s.tmp) }

// layoutIndex is index.json: a single entry for a (an image, or the
// nested index of several), named by tag. skopeo 1.9 and podman 4.3
// refuse an index.json listing several manifests.
func layoutIndex(tag string, a Artifact) ([]byte, error) {
	d := a.Descriptor()
	d.Annotations = map[string]string{AnnRefName: tag}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json", Manifests: []v1.Descriptor{d}}
	return json.Marshal(idx)
}

const ociLayout = `{"imageLayoutVersion":"1.0.0"}`

type layoutFile struct {
	name string
	data []byte // nil for a directory
}

// layoutFiles lists the layout's files in a fixed order.
func layoutFiles(tag string, a Artifact) ([]layoutFile, error) {
	idx, err := layoutIndex(tag, a)
	if err != nil {
		return nil, err
	}
	bl := blobs(a)
	keys := make([]v1.Hash, 0, len(bl))
	for h := range bl {
		keys = append(keys, h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	files := []layoutFile{{name: "blobs/"}, {name: "blobs/sha256/"}}
	for _, h := range keys {
		files = append(files, layoutFile{name: "blobs/sha256/" + h.Hex, data: bl[h]})
	}
	files = append(files, layoutFile{name: "index.json", data: idx}, layoutFile{name: "oci-layout", data: []byte(ociLayout)})
	return files, nil
}

// writeLayoutTar writes the layout as a deterministic tar.
func writeLayoutTar(w io.Writer, tag string, a Artifact, mtime time.Time) error {
	files, err := layoutFiles(tag, a)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range files {
		h := &tar.Header{Name: f.name, ModTime: mtime.UTC().Truncate(time.Second), Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if f.data == nil {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// stageLayoutDir writes the layout into a fresh sibling directory of dir,
// to replace dir on commit. An existing dir is replaced only if it is an
// OCI layout (has oci-layout) or empty; the layout is not merged into it.
func stageLayoutDir(dir, tag string, a Artifact) (*staged, error) {
	files, err := layoutFiles(tag, a)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %v", parent, unwrap(err))
	}
	s := &staged{path: dir, tmp: tmp, dir: true}
	err = os.Chmod(tmp, 0o755)
	for _, f := range files {
		if err != nil {
			break
		}
		p := filepath.Join(tmp, filepath.FromSlash(strings.TrimSuffix(f.name, "/")))
		if f.data == nil {
			if err = os.Mkdir(p, 0o755); err == nil {
				err = os.Chmod(p, 0o755)
			}
			continue
		}
		err = writeFile(p, f.data)
	}
	if err != nil {
		s.abort()
		return nil, fmt.Errorf("cannot write %s: %v", dir, unwrap(err))
	}
	return s, nil
}

// writeFile creates p with mode 0644 regardless of the umask.
func writeFile(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stageFile writes path's content, from fill, to a temporary file in the
// same directory, to be renamed into place on commit.
func stageFile(path string, mode os.FileMode, fill func(io.Writer) error) (*staged, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("cannot write %s: is a directory", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %v", dir, unwrap(err))
	}
	s := &staged{path: path, tmp: f.Name()}
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		f.Close()
		s.abort()
		return nil, err
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Chmod(mode) // CreateTemp makes 0600, whatever the umask
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.abort()
		return nil, fmt.Errorf("cannot write %s: %v", path, unwrap(err))
	}
	return s, nil
}

// WriteFileAtomic writes data to path (0644) via a temporary file.
func WriteFileAtomic(path string, data []byte) error {
	return WriteAll(context.Background(), nil, nil, WriteOptions{}, File{Path: path, Data: data})
}

// push uploads a with go-containerregistry's remote, authenticating with
// the default keychain (~/.docker/config.json, credential helpers).
// Loopback registries are reached over plain HTTP, as docker does.
func push(ctx context.Context, refStr string, a Artifact, o WriteOptions) error {
	ref, err := name.ParseReference(refStr)
	if err != nil {
		return err
	}
	opts := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, o.Remote...)
	var done chan struct{}
	if o.Progress != nil {
		ch := make(chan v1.Update, 16)
		done = make(chan struct{})
		opts = append(opts, remote.WithProgress(ch))
		go func() {
			defer close(done)
			for u := range ch {
				if u.Total > 0 {
					fmt.Fprintf(o.Progress, "\rpushing %s: %3d%%", ref, u.Complete*100/u.Total)
				}
			}
			fmt.Fprintln(o.Progress)
		}()
	}
	switch a := a.(type) {
	case *Image:
		err = remote.Write(ref, a, opts...)
	case *Index:
		err = remote.WriteIndex(ref, a, opts...)
	default:
		err = fmt.Errorf("cannot push %T", a)
	}
	if done != nil {
		<-done
	}
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}
