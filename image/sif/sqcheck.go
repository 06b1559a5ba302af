package sif

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// decompress decompresses one SquashFS block (metadata or data) that must
// give at most limit bytes; more is an error, and the decoders' buffers are
// bounded by limit too, so a corrupted header cannot make them allocate
// gigabytes.
func decompress(comp uint16, b []byte, limit int) ([]byte, error) {
	var r io.Reader
	switch comp {
	case 1:
		z, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = z
	case 4:
		dict, err := xzDictSize(b)
		if err != nil {
			return nil, err
		}
		if dict > max(int64(limit), 1<<20) {
			return nil, fmt.Errorf("xz dictionary of %d bytes for a block of at most %d", dict, limit)
		}
		x, err := xz.ReaderConfig{DictCap: 4096, SingleStream: true}.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = x
	case 6:
		z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)),
			zstd.WithDecoderMaxWindow(max(uint64(limit), zstd.MinWindowSize)))
		if err != nil {
			return nil, err
		}
		defer z.Close()
		return z.DecodeAll(b, make([]byte, 0, limit))
	default:
		return nil, fmt.Errorf("compressor %d not supported", comp)
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, fmt.Errorf("block decompresses to more than %d bytes", limit)
	}
	return out, nil
}

// xzDictSize reads the LZMA2 dictionary size from the first block header
// of an xz stream: the decoder allocates that much before checking
// anything else.
func xzDictSize(b []byte) (int64, error) {
	if len(b) < 14 || string(b[:6]) != "\xfd7zXZ\x00" {
		return 0, errors.New("xz: not an xz stream")
	}
	h := b[12:]
	if h[0] == 0 {
		return 0, nil // no block: an empty stream
	}
	size := (int(h[0]) + 1) * 4
	if len(h) < size {
		return 0, errors.New("xz: block header beyond the block")
	}
	h = h[:size]
	flags := h[1]
	p := 2
	varint := func() (uint64, error) {
		var v uint64
		for i := 0; i < 9 && p < len(h); i++ {
			c := h[p]
			p++
			v |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return v, nil
			}
		}
		return 0, errors.New("xz: bad block header")
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, err := varint(); err != nil {
				return 0, err
			}
		}
	}
	for f := 0; f <= int(flags&3); f++ {
		id, err := varint()
		if err != nil {
			return 0, err
		}
		n, err := varint()
		if err != nil || n > uint64(len(h)-p) {
			return 0, errors.New("xz: bad block header")
		}
		props := h[p : p+int(n)]
		p += int(n)
		if id == 0x21 && n == 1 {
			c := props[0]
			if c > 40 {
				return 0, errors.New("xz: bad LZMA2 dictionary size")
			}
			if c == 40 {
				return 1<<32 - 1, nil
			}
			return int64(2|c&1) << (c/2 + 11), nil
		}
	}
	return 0, errors.New("xz: no LZMA2 filter")
}

// goArch maps an ELF machine to the GOARCH name the SIF partition uses.
func goArch(f *elf.File) (string, error) {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	case elf.EM_ARM:
		return "arm", nil
	case elf.EM_386:
		return "386", nil
	case elf.EM_PPC64:
		if f.Data == elf.ELFDATA2MSB {
			return "ppc64", nil
		}
		return "ppc64le", nil
	case elf.EM_S390:
		return "s390x", nil
	case elf.EM_RISCV:
		return "riscv64", nil
	default:
		return "", fmt.Errorf("ELF machine %v not supported", f.Machine)
	}
}

// checkStatic checks that exe is a statically linked ELF executable for
// arch: the image has no dynamic loader nor libraries, so a dynamically
// linked /bin/sh would fail with "not found" in every container.
func checkStatic(exe io.ReaderAt, arch string) error {
	f, err := elf.NewFile(exe)
	if err != nil {
		return fmt.Errorf("not an ELF executable: %v", err)
	}
	defer f.Close()
	a, err := goArch(f)
	if err != nil {
		return err
	}
	if a != arch {
		return fmt.Errorf("is a %s binary in a %s image", a, arch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(io.LimitReader(p.Open(), 4096))
			return fmt.Errorf("is dynamically linked (interpreter %s) but the image has no libraries: build busybox with CGO_ENABLED=0", bytes.TrimRight(interp, "\x00"))
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v but the image has none: build busybox with CGO_ENABLED=0", libs)
	}
	return nil
}
