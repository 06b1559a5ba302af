package build_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/moobox/moobox/image/build"
	"github.com/moobox/moobox/image/deffile"
	"github.com/moobox/moobox/image/oci"
	"github.com/moobox/moobox/image/rootfs"
)

// BenchmarkImageFromBinary is the image build from an already-built
// busybox (target <= 0.5 s): tree, gzip layer, config, manifest, SBOM,
// and the three file targets. It reports the compressed layer size, and
// fails when linux/amd64's exceeds its target, 2 MiB.
const maxLayer = 2 << 20

func BenchmarkImageFromBinary(b *testing.B) {
	p := build.HostPlatform()
	bb, err := rootfs.BuildBusybox(context.Background(), srcRoot, p)
	if err != nil {
		b.Fatal(err)
	}
	def, err := deffile.ParseFile(filepath.Join(srcRoot, "image", "moo.def"))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	mtime := time.Unix(1700000000, 0)
	var layer int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := build.Build(build.Input{Busyboxes: map[rootfs.Platform][]byte{p: bb}, Def: def, MTime: mtime, Compression: oci.Gzip})
		if err != nil {
			b.Fatal(err)
		}
		var tgs []oci.Target
		for _, s := range []string{"oci:" + dir + "/layout", "oci-archive:" + dir + "/a.tar", "docker-archive:" + dir + "/d.tar"} {
			tg, _ := oci.ParseTarget(s)
			tgs = append(tgs, tg)
		}
		if err := oci.WriteAll(context.Background(), tgs, res.Artifact, oci.WriteOptions{MTime: mtime}, oci.File{Path: dir + "/sbom.json", Data: res.SBOM}); err != nil {
			b.Fatal(err)
		}
		layer = len(res.Images[0].Layer().Blob())
	}
	b.ReportMetric(float64(layer), "layer-bytes")
	if p.String() == "linux/amd64" && layer > maxLayer {
		b.Errorf("linux/amd64 layer: %d bytes, over the %d-byte (2 MiB) target", layer, maxLayer)
	}
}
