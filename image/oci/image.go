package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/moobox/moobox/image/rootfs"
	"github.com/moobox/moobox/internal/version"
)

// Annotation keys (OCI image spec, annotations.md).
const (
	AnnRefName     = "org.opencontainers.image.ref.name"
	AnnTitle       = "org.opencontainers.image.title"
	AnnDescription = "org.opencontainers.image.description"
	AnnVersion     = "org.opencontainers.image.version"
	AnnRevision    = "org.opencontainers.image.revision"
	AnnSource      = "org.opencontainers.image.source"
	AnnCreated     = "org.opencontainers.image.created"
	AnnLicenses    = "org.opencontainers.image.licenses"
)

// Defaults for the image metadata.
const (
	Title       = "moobox"
	Description = "fortune, cowsay and lolcat in one static pure-Go multicall busybox, in a scratch image"
	Source      = "https://github.com/moobox/moobox"
	// Licenses is an SPDX expression; NOASSERTION until the project
	// chooses a license.
	Licenses = "NOASSERTION"
	// Demo is the default command, run by /bin/sh -c.
	Demo = "fortune | cowsay | lolcat"
	// Nobody is the default user: the demo needs no privilege.
	Nobody = "65534:65534"
)

// Config is the builder's input besides the root filesystem: what a
// Singularity definition file (%labels, %environment, %runscript) maps onto.
type Config struct {
	// Labels go into the image config; the org.opencontainers.image.*
	// ones are also copied to the manifest and index annotations.
	Labels map[string]string
	// Env holds KEY=VALUE pairs; PATH is added first unless present.
	Env []string
	// Entrypoint and Cmd as in the OCI config; with no Entrypoint,
	// "docker run IMAGE cowsay hi" runs cowsay.
	Entrypoint []string
	Cmd        []string
	// User (default Nobody) and WorkingDir (default "/").
	User       string
	WorkingDir string
	// Created is the image creation time; the zero value means the
	// tree's MTime (SOURCE_DATE_EPOCH).
	Created time.Time
}

// DefaultConfig returns moobox's configuration: the OCI labels, PATH, the
// demo as Cmd, user nobody. revision may be "".
func DefaultConfig(created time.Time, revision string) Config {
	l := map[string]string{
		AnnTitle:       Title,
		AnnDescription: Description,
		AnnVersion:     version.Version,
		AnnSource:      Source,
		AnnCreated:     created.UTC().Format(time.RFC3339),
		AnnLicenses:    Licenses,
	}
	if revision != "" {
		l[AnnRevision] = revision
	}
	return Config{
		Labels:     l,
		Env:        []string{"PATH=" + rootfs.PATH},
		Cmd:        []string{"/bin/sh", "-c", Demo},
		User:       Nobody,
		WorkingDir: "/",
		Created:    created,
	}
}

// annotations returns the org.opencontainers.image.* labels.
func (c *Config) annotations() map[string]string {
	a := map[string]string{}
	for k, v := range c.Labels {
		if strings.HasPrefix(k, "org.opencontainers.image.") && k != AnnRefName {
			a[k] = v
		}
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

// Image is one platform's image; it implements v1.Image.
type Image struct {
	Platform rootfs.Platform
	layer    *Layer
	config   []byte
	manifest []byte
	cfgHash  v1.Hash
	digest   v1.Hash
}

// NewImage builds the image of tree for p.
func NewImage(tree *rootfs.Tree, p rootfs.Platform, cfg Config, c Compression) (*Image, error) {
	l, err := NewLayer(tree, c)
	if err != nil {
		return nil, err
	}
	return ImageFromLayer(l, tree.MTime, p, cfg)
}

// ImageFromLayer builds the config and manifest around a layer.
func ImageFromLayer(l *Layer, mtime time.Time, p rootfs.Platform, cfg Config) (*Image, error) {
	created := cfg.Created
	if created.IsZero() {
		created = mtime
	}
	created = created.UTC().Truncate(time.Second)
	env := cfg.Env
	hasPath := false
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			hasPath = true
		}
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("env %q: want KEY=VALUE", kv)
		}
	}
	if !hasPath {
		env = append([]string{"PATH=" + rootfs.PATH}, env...)
	}
	wd := cfg.WorkingDir
	if wd == "" {
		wd = "/"
	}
	user := cfg.User
	if user == "" {
		user = Nobody
	}
	cf := v1.ConfigFile{
		Architecture: p.Arch,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			Env:        env,
			Entrypoint: cfg.Entrypoint,
			Cmd:        cfg.Cmd,
			User:       user,
			WorkingDir: wd,
			Labels:     cfg.Labels,
		},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{l.diffID}},
		History: []v1.History{{
			Created:   v1.Time{Time: created},
			CreatedBy: "moobuild " + version.Version,
			Comment:   "moobox root filesystem, assembled in Go",
		}},
	}
	raw, err := json.Marshal(cf)
	if err != nil {
		return nil, err
	}
	img := &Image{Platform: p, layer: l, config: raw, cfgHash: sha(raw)}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config: v1.Descriptor{
			MediaType: types.OCIConfigJSON,
			Size:      int64(len(raw)),
			Digest:    img.cfgHash,
		},
		Layers: []v1.Descriptor{{
			MediaType: l.mediaType,
			Size:      int64(len(l.blob)),
			Digest:    l.digest,
		}},
		Annotations: cfg.annotations(),
	}
	if img.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	img.digest = sha(img.manifest)
	return img, nil
}

// Layer returns the image's single layer.
func (i *Image) Layer() *Layer { return i.layer }

// Descriptor describes the manifest, with its platform.
func (i *Image) Descriptor() v1.Descriptor {
	return v1.Descriptor{
		MediaType: types.OCIManifestSchema1,
		Size:      int64(len(i.manifest)),
		Digest:    i.digest,
		Platform:  &v1.Platform{OS: i.Platform.OS, Architecture: i.Platform.Arch, Variant: i.Platform.Variant},
	}
}

func (i *Image) Layers() ([]v1.Layer, error)         { return []v1.Layer{i.layer}, nil }
func (i *Image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (i *Image) Size() (int64, error)                { return int64(len(i.manifest)), nil }
func (i *Image) ConfigName() (v1.Hash, error)        { return i.cfgHash, nil }
func (i *Image) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *Image) Digest() (v1.Hash, error)            { return i.digest, nil }
func (i *Image) RawManifest() ([]byte, error)        { return i.manifest, nil }
func (i *Image) ConfigFile() (*v1.ConfigFile, error) {
	return v1.ParseConfigFile(bytes.NewReader(i.config))
}
func (i *Image) Manifest() (*v1.Manifest, error) {
	return v1.ParseManifest(bytes.NewReader(i.manifest))
}
func (i *Image) LayerByDiffID(h v1.Hash) (v1.Layer, error) { return i.LayerByDigest(h) }
func (i *Image) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	switch h {
	case i.layer.digest, i.layer.diffID:
		return i.layer, nil
	case i.cfgHash:
		return &rawBlob{i.config, i.cfgHash, types.OCIConfigJSON}, nil
	}
	return nil, fmt.Errorf("image has no blob %s", h)
}

// rawBlob is a config served as a layer (what remote.Write asks for).
type rawBlob struct {
	b  []byte
	h  v1.Hash
	mt types.MediaType
}

func (r *rawBlob) Digest() (v1.Hash, error)            { return r.h, nil }
func (r *rawBlob) DiffID() (v1.Hash, error)            { return r.h, nil }
func (r *rawBlob) Size() (int64, error)                { return int64(len(r.b)), nil }
func (r *rawBlob) MediaType() (types.MediaType, error) { return r.mt, nil }
func (r *rawBlob) Compressed() (io.ReadCloser, error)  { return io.NopCloser(bytes.NewReader(r.b)), nil }
func (r *rawBlob) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(r.b)), nil
}

// Index is a multi-platform image index; it implements v1.ImageIndex.
type Index struct {
	Images   []*Image
	manifest []byte
	digest   v1.Hash
}

// NewIndex lists images (sorted by platform string, so the order of
// --platform does not change the digest) with their platforms.
func NewIndex(images []*Image, cfg Config) (*Index, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("empty index")
	}
	imgs := append([]*Image(nil), images...)
	sort.SliceStable(imgs, func(a, b int) bool { return platformKey(imgs[a].Platform) < platformKey(imgs[b].Platform) })
	m := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Annotations:   cfg.annotations(),
	}
	for _, im := range imgs {
		m.Manifests = append(m.Manifests, im.Descriptor())
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &Index{Images: imgs, manifest: raw, digest: sha(raw)}, nil
}

// platformKey orders platforms as AllPlatforms does.
func platformKey(p rootfs.Platform) string {
	for i, a := range rootfs.AllPlatforms {
		if a == p {
			return fmt.Sprintf("%02d", i)
		}
	}
	return "99" + p.String()
}

// Descriptor describes the index.
func (x *Index) Descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: types.OCIImageIndex, Size: int64(len(x.manifest)), Digest: x.digest}
}

func (x *Index) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }
func (x *Index) Digest() (v1.Hash, error)            { return x.digest, nil }
func (x *Index) Size() (int64, error)                { return int64(len(x.manifest)), nil }
func (x *Index) RawManifest() ([]byte, error)        { return x.manifest, nil }
func (x *Index) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(x.manifest))
}
func (x *Index) Image(h v1.Hash) (v1.Image, error) {
	for _, im := range x.Images {
		if im.digest == h {
			return im, nil
		}
	}
	return nil, fmt.Errorf("index has no image %s", h)
}
func (x *Index) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return nil, fmt.Errorf("index has no nested index %s", h)
}

var (
	_ v1.Image      = (*Image)(nil)
	_ v1.ImageIndex = (*Index)(nil)
)

// Artifact is what a target receives: an *Image or an *Index.
type Artifact interface {
	Descriptor() v1.Descriptor
	RawManifest() ([]byte, error)
}

// blobs returns every blob of a (manifests, configs, layers) by digest.
func blobs(a Artifact) map[v1.Hash][]byte {
	m := map[v1.Hash][]byte{}
	addImage := func(i *Image) {
		m[i.digest] = i.manifest
		m[i.cfgHash] = i.config
		m[i.layer.digest] = i.layer.blob
	}
	switch a := a.(type) {
	case *Image:
		addImage(a)
	case *Index:
		m[a.digest] = a.manifest
		for _, i := range a.Images {
			addImage(i)
		}
	}
	return m
}
