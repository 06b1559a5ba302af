// Package oci writes moobox's root filesystem tree as an OCI image: one
// deterministic tar layer, a config, a manifest per platform and, for
// several platforms, an image index, in the forms skopeo names oci:,
// oci-archive:, docker-archive: and docker://.
//
// Manifests, configs and indexes are built here as bytes (so their
// digests depend only on the content and SOURCE_DATE_EPOCH) and exposed
// as go-containerregistry v1.Image/v1.ImageIndex values, which its
// tarball and remote packages write and push.
package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/moobox/moobox/image/rootfs"
)

// Compression of the layer.
type Compression string

const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

// ParseCompression accepts "gzip" and "zstd".
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case Gzip, Zstd:
		return c, nil
	}
	return "", fmt.Errorf("compression %q: want gzip or zstd", s)
}

// Layer is an in-memory layer; it implements v1.Layer.
type Layer struct {
	tar, blob      []byte
	diffID, digest v1.Hash
	mediaType      types.MediaType
}

// Tar writes t as a deterministic tar stream: entries in path order,
// names relative ("usr/bin/", "usr/bin/sh"), uid/gid 0 with no user or
// group names, every timestamp t.MTime, modes as stored in the tree.
func Tar(t *rootfs.Tree) ([]byte, error) {
	if t.Len() == 0 {
		return nil, rootfs.ErrEmpty
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range t.Entries() {
		h := &tar.Header{
			Name:    e.Path,
			ModTime: t.MTime,
			Mode:    int64(e.Mode.Perm()),
		}
		if e.Mode&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		switch {
		case e.IsDir():
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		case e.IsSymlink():
			h.Typeflag = tar.TypeSymlink
			h.Linkname = e.Target
		default:
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar %s: %w", e.Path, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// NewLayer compresses the tar of t.
func NewLayer(t *rootfs.Tree, c Compression) (*Layer, error) {
	raw, err := Tar(t)
	if err != nil {
		return nil, err
	}
	return LayerFromTar(raw, c)
}

// LayerFromTar compresses an uncompressed tar stream. Both compressors
// are run with fixed settings and no timestamps or names in headers, so
// the blob depends only on the tar bytes.
func LayerFromTar(raw []byte, c Compression) (*Layer, error) {
	var buf bytes.Buffer
	l := &Layer{tar: raw}
	switch c {
	case Gzip, "":
		if err := gzipMembers(&buf, raw); err != nil {
			return nil, err
		}
		l.mediaType = types.OCILayer
	case Zstd:
		// One goroutine: the frame layout must not depend on the core count.
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
			zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true))
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(raw); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		l.mediaType = types.OCILayerZStd
	default:
		return nil, fmt.Errorf("unknown compression %q", c)
	}
	l.blob = buf.Bytes()
	l.diffID = sha(raw)
	l.digest = sha(l.blob)
	return l, nil
}

// gzipChunk is the size of the tar slices compressed independently.
const gzipChunk = 1 << 20

// gzipMembers writes raw as a gzip file of one member per gzipChunk bytes
// (RFC 1952 allows several; every gzip reader, Go's included, reads them
// as one stream). The members are compressed in parallel at level 9, so
// the build takes less wall time on several cores, while the boundaries,
// fixed in bytes, keep the output independent of the number of cores.
// The cost is a few hundred bytes per MiB.
func gzipMembers(w io.Writer, raw []byte) error {
	n := (len(raw) + gzipChunk - 1) / gzipChunk
	if n == 0 {
		n = 1
	}
	out := make([][]byte, n)
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			end := min((i+1)*gzipChunk, len(raw))
			var b bytes.Buffer
			zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
			if err == nil {
				_, err = zw.Write(raw[i*gzipChunk : end])
			}
			if err == nil {
				err = zw.Close()
			}
			out[i], errs[i] = b.Bytes(), err
		}()
	}
	wg.Wait()
	for i := range out {
		if errs[i] != nil {
			return errs[i]
		}
		if _, err := w.Write(out[i]); err != nil {
			return err
		}
	}
	return nil
}

func sha(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", s[:])}
}

// Blob returns the compressed bytes.
func (l *Layer) Blob() []byte { return l.blob }

func (l *Layer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *Layer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *Layer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *Layer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *Layer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.tar)), nil
}

var _ v1.Layer = (*Layer)(nil)
