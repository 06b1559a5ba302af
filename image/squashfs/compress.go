package squashfs

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/zlib"
)

// Compression selects the compressor of data and metadata blocks.
type Compression uint16

// Compressor ids as stored in the superblock.
const (
	Gzip Compression = 1
	XZ   Compression = 4
	Zstd Compression = 6
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case XZ:
		return "xz"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", uint16(c))
}

// ParseCompression maps mksquashfs's -comp names to a Compression.
func ParseCompression(s string) (Compression, error) {
	switch s {
	case "gzip":
		return Gzip, nil
	case "xz":
		return XZ, nil
	case "zstd":
		return Zstd, nil
	}
	return 0, fmt.Errorf("unsupported compressor %q (want gzip, xz or zstd)", s)
}

// compressor compresses whole blocks; one per goroutine.
type compressor interface {
	compress(src []byte) ([]byte, error)
}

// newCompressorFactory returns a constructor of per-goroutine compressors.
// Every setting keeps the decoder's window within what the kernel
// allocates, max(block size, 8 KiB): a larger xz dictionary or zstd window
// makes the kernel reject the block.
func newCompressorFactory(c Compression, blockSize int) (func() compressor, error) {
	switch c {
	case Gzip:
		// klauspost's zlib rather than the standard library's: at level 9
		// it is about four times faster here and a little smaller, which
		// keeps us ahead of mksquashfs's time.
		return func() compressor { return &zlibComp{} }, nil
	case XZ:
		// Our own LZMA2 encoder (lzma.go): ulikunitz/xz's greedy parser
		// made images 10% larger than mksquashfs's. The kernel allows a
		// dictionary of max(block size, 8 KiB).
		dict := max(blockSize, metaSize)
		return func() compressor { return &xzComp{dict: dict} }, nil
	case Zstd:
		// Our own encoder (zstd.go): klauspost/compress's best level made
		// images 6% larger than mksquashfs's level 15.
		return func() compressor { return &zstdComp{} }, nil
	}
	return nil, fmt.Errorf("unsupported compression %v", c)
}

type zlibComp struct {
	buf bytes.Buffer
	w   *zlib.Writer
}

func (z *zlibComp) compress(src []byte) ([]byte, error) {
	z.buf.Reset()
	if z.w == nil {
		// Level 9 is what mksquashfs's gzip uses by default.
		z.w, _ = zlib.NewWriterLevel(&z.buf, zlib.BestCompression)
	} else {
		z.w.Reset(&z.buf)
	}
	if _, err := z.w.Write(src); err != nil {
		return nil, err
	}
	if err := z.w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(z.buf.Bytes()), nil
}

type xzComp struct {
	dict int
	e    lzEnc
}

func (x *xzComp) compress(src []byte) ([]byte, error) {
	return x.e.xzBlock(src, x.dict), nil
}

type zstdComp struct{ z zsEnc }

func (c *zstdComp) compress(src []byte) ([]byte, error) {
	return c.z.frame(src), nil
}
