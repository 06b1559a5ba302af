package squashfs

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

type discardAt struct{}

func (discardAt) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }
func (discardAt) Write(p []byte) (int, error)              { return len(p), nil }

// BenchmarkWrite writes Go's net/ sources (about 5 MB) per compressor;
// bench/squashfs.sh compares the command with mksquashfs side by side.
func BenchmarkWrite(b *testing.B) {
	src := filepath.Join(runtime.GOROOT(), "src", "net")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no Go source tree:", err)
	}
	tree, err := FromDir(src, DirOptions{AllRoot: true})
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	tree.Walk(func(e *Entry) error {
		size += e.Size
		return nil
	})
	for _, c := range allComps {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(size)
			var n int64
			for b.Loop() {
				if n, err = Write(discardAt{}, tree, Options{Compression: c}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/float64(size), "ratio")
		})
	}
}
