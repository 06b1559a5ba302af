package sif

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// checkFragments validates the SquashFS fragment table before the
// third-party reader sees the image: the reader allocates a buffer of
// whatever size a fragment entry claims (up to 4 GiB), so a corrupted
// entry must be refused here, not by running out of memory.
func checkFragments(img []byte) error {
	le := binary.LittleEndian
	count := le.Uint32(img[16:])
	if count == 0 {
		return nil
	}
	bs := le.Uint32(img[12:])
	comp := le.Uint16(img[20:])
	table := le.Uint64(img[80:])
	nblocks := (uint64(count)*16 + 8191) / 8192
	if table > uint64(len(img)) || nblocks*8 > uint64(len(img))-table {
		return fmt.Errorf("fragment table (%d entries at %d) beyond the image", count, table)
	}
	var entries []byte
	for i := uint64(0); i < nblocks; i++ {
		off := le.Uint64(img[table+8*i:])
		if off > uint64(len(img))-2 {
			return fmt.Errorf("fragment table block %d at %d beyond the image", i, off)
		}
		hdr := le.Uint16(img[off:])
		size := uint64(hdr & 0x7fff)
		if size == 0 || size > 8192 || off+2+size > uint64(len(img)) {
			return fmt.Errorf("fragment table block %d: bad size %d", i, size)
		}
		raw := img[off+2 : off+2+size]
		if hdr&0x8000 == 0 {
			var err error
			if raw, err = decompressMeta(comp, raw); err != nil {
				return fmt.Errorf("fragment table block %d: %v", i, err)
			}
		}
		entries = append(entries, raw...)
	}
	if uint64(len(entries)) < uint64(count)*16 {
		return fmt.Errorf("fragment table: %d bytes for %d entries", len(entries), count)
	}
	for i := uint64(0); i < uint64(count); i++ {
		start := le.Uint64(entries[16*i:])
		size := uint64(le.Uint32(entries[16*i+8:]) &^ (1 << 24))
		if size > uint64(bs) || start > uint64(len(img)) || size > uint64(len(img))-start {
			return fmt.Errorf("fragment %d: %d bytes at %d do not fit", i, size, start)
		}
	}
	return nil
}

// decompressMeta decompresses one metadata block (at most 8 KiB out).
func decompressMeta(comp uint16, b []byte) ([]byte, error) {
	var r io.Reader
	switch comp {
	case 1:
		z, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = z
	case 4:
		x, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = x
	case 6:
		z, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<20))
		if err != nil {
			return nil, err
		}
		defer z.Close()
		r = z
	default:
		return nil, fmt.Errorf("compressor %d not supported", comp)
	}
	out, err := io.ReadAll(io.LimitReader(r, 8193))
	if err != nil {
		return nil, err
	}
	if len(out) > 8192 {
		return nil, fmt.Errorf("metadata block larger than 8 KiB")
	}
	return out, nil
}

// elfArch returns the GOARCH of an ELF executable from its header alone
// (the machine field), so only the first bytes need reading.
func elfArch(h []byte) (string, error) {
	if len(h) < 20 || string(h[:4]) != "\x7fELF" {
		return "", fmt.Errorf("not an ELF executable")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if h[5] == 2 {
		bo = binary.BigEndian
	}
	switch m := bo.Uint16(h[18:]); m {
	case 62:
		return "amd64", nil
	case 183:
		return "arm64", nil
	case 40:
		return "arm", nil
	case 3:
		return "386", nil
	case 21:
		if h[5] == 2 {
			return "ppc64", nil
		}
		return "ppc64le", nil
	case 22:
		return "s390x", nil
	case 243:
		return "riscv64", nil
	default:
		return "", fmt.Errorf("ELF machine %d not supported", m)
	}
}
