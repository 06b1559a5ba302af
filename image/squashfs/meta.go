package squashfs

import "encoding/binary"

const metaSize = 8192

// metaWriter accumulates a metadata stream (inode, directory or lookup
// table) as a sequence of 8 KiB blocks, each compressed when that saves
// space. Every block but the last holds exactly 8 KiB: the kernel's
// directory index and table lookups compute positions modulo 8 KiB.
type metaWriter struct {
	c      compressor
	buf    []byte
	out    []byte
	starts []uint64 // offset in out of each finished block
	err    error
}

func newMetaWriter(c compressor) *metaWriter {
	return &metaWriter{c: c, buf: make([]byte, 0, metaSize)}
}

// ref returns the position of the next byte: the offset of its block in the
// stream and the offset in the uncompressed block.
func (m *metaWriter) ref() (block uint64, off uint16) {
	return uint64(len(m.out)), uint16(len(m.buf))
}

// abs returns the next byte's position in the uncompressed stream.
func (m *metaWriter) abs() int64 { return int64(len(m.starts))*metaSize + int64(len(m.buf)) }

// blockStart returns the stream offset of uncompressed block i, which must
// be finished or be the current one.
func (m *metaWriter) blockStart(i int64) uint64 {
	if i < int64(len(m.starts)) {
		return m.starts[i]
	}
	return uint64(len(m.out))
}

func (m *metaWriter) write(p []byte) {
	for len(p) > 0 {
		n := min(len(p), metaSize-len(m.buf))
		m.buf = append(m.buf, p[:n]...)
		p = p[n:]
		if len(m.buf) == metaSize {
			m.flush()
		}
	}
}

func (m *metaWriter) flush() {
	m.starts = append(m.starts, uint64(len(m.out)))
	c, err := m.c.compress(m.buf)
	if err != nil && m.err == nil {
		m.err = err
	}
	hdr := uint16(len(c))
	if err != nil || len(c) >= len(m.buf) {
		c, hdr = m.buf, uint16(len(m.buf))|0x8000
	}
	m.out = binary.LittleEndian.AppendUint16(m.out, hdr)
	m.out = append(m.out, c...)
	m.buf = m.buf[:0]
}

func (m *metaWriter) finish() ([]byte, error) {
	if len(m.buf) > 0 {
		m.flush()
	}
	return m.out, m.err
}
