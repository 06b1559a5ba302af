package sif

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ORAS media types Apptainer uses for a SIF pushed to an OCI registry.
const (
	ConfigMediaType types.MediaType = "application/vnd.sylabs.sif.config.v1+json"
	LayerMediaType  types.MediaType = "application/vnd.sylabs.sif.layer.v1.sif"
)

// orasImage is the ORAS artifact: an OCI manifest whose config is "{}" of
// the SIF config type and whose one layer is the SIF file.
type orasImage struct {
	layer    v1.Layer
	config   []byte
	manifest []byte
}

// Artifact returns the ORAS artifact of the SIF bytes sif, named title
// (the layer's org.opencontainers.image.title, the file name a client
// saves it as), created at created: the manifest's
// org.opencontainers.image.created annotation is that time, not the time
// of the push, so pushing is reproducible.
func Artifact(sif []byte, title string, created time.Time) (v1.Image, error) {
	layer := static.NewLayer(sif, LayerMediaType)
	ld, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	config := []byte("{}")
	ch, _, err := v1.SHA256(bytes.NewReader(config))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: ConfigMediaType, Digest: ch, Size: int64(len(config))},
		Layers: []v1.Descriptor{{
			MediaType:   LayerMediaType,
			Digest:      ld,
			Size:        int64(len(sif)),
			Annotations: map[string]string{"org.opencontainers.image.title": title},
		}},
		Annotations: map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&orasImage{layer: layer, config: config, manifest: raw})
}

func (o *orasImage) RawConfigFile() ([]byte, error)      { return o.config, nil }
func (o *orasImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (o *orasImage) RawManifest() ([]byte, error)        { return o.manifest, nil }
func (o *orasImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, _ := o.layer.Digest(); d == h {
		return o.layer, nil
	}
	return nil, fmt.Errorf("no layer %s in the SIF artifact", h)
}

// Push pushes the SIF to ref ("oras://HOST/REPO:TAG" or "HOST/REPO:TAG")
// as Apptainer's "push oras://" does, with the credentials of the default
// keychain (~/.docker/config.json). It returns the manifest digest.
func Push(ctx context.Context, sif []byte, title string, created time.Time, ref string, opts ...name.Option) (v1.Hash, error) {
	ref = strings.TrimPrefix(ref, "oras://")
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := Artifact(sif, title, created)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
