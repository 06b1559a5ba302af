package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// Write stores a at t. File outputs are written to a temporary name in
// the destination directory and renamed, so a failure leaves no partial
// output; files are 0644 and directories 0755 whatever the umask.
func Write(ctx context.Context, t Target, a Artifact, o WriteOptions) error {
	switch t.Transport {
	case TransportOCI:
		return writeLayoutDir(t.Path, t.Ref, a)
	case TransportOCIArchive:
		return atomicFile(t.Path, func(w io.Writer) error { return writeLayoutTar(w, t.Ref, a, o.MTime) })
	case TransportDockerArchive:
		img, ok := a.(*Image)
		if !ok {
			return fmt.Errorf("%s: a docker archive holds one platform's image; build it with a single --platform", t)
		}
		tag, err := name.NewTag(t.Ref)
		if err != nil {
			return err
		}
		return atomicFile(t.Path, func(w io.Writer) error { return tarball.Write(tag, img, w) })
	case TransportDocker:
		return push(ctx, t.Ref, a, o)
	}
	return fmt.Errorf("unknown transport %q", t.Transport)
}

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

// writeLayoutDir writes the layout into a fresh sibling directory and
// renames it to dir. An existing dir is replaced only if it is an OCI
// layout (has oci-layout) or empty; the layout is not merged into it.
func writeLayoutDir(dir, tag string, a Artifact) error {
	files, err := layoutFiles(tag, a)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			if des, _ := os.ReadDir(dir); len(des) > 0 {
				return fmt.Errorf("%s exists and is not an OCI layout: refusing to replace it", dir)
			}
		}
	}
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", parent, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(strings.TrimSuffix(f.name, "/")))
		if f.data == nil {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := writeFile(p, f.data); err != nil {
			return err
		}
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	ok = true
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
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

// atomicFile writes path through a temporary file in the same directory,
// renamed into place once fill succeeded.
func atomicFile(path string, fill func(io.Writer) error) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	done = true
	return nil
}

// WriteFileAtomic writes data to path (0644) via a temporary file.
func WriteFileAtomic(path string, data []byte) error {
	return atomicFile(path, func(w io.Writer) error { _, err := w.Write(data); return err })
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
