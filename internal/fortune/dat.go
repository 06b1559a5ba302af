package fortune

import (
	"encoding/binary"
	"errors"
)

// The .dat index written by strfile and read by fortune and unstr: a
// 24-byte header of big-endian uint32s, then one big-endian uint32 offset
// per string plus the end offset.
const (
	datVersion  = 2
	headerSize  = 24
	flagRandom  = 0x1
	flagOrdered = 0x2
	flagRotated = 0x4
)

// header is the fixed part of a .dat file.
type header struct {
	Version  uint32
	NumStr   uint32
	LongLen  uint32
	ShortLen uint32
	Flags    uint32
	Delim    byte
}

var errShortHeader = errors.New("short header")

// parseHeader decodes the first 24 bytes of a .dat file. Like fortune-mod
// it accepts any version number and any counts: what the counts claim is
// checked only where an offset is actually used.
func parseHeader(b []byte) (header, error) {
	if len(b) < headerSize {
		return header{}, errShortHeader
	}
	be := binary.BigEndian
	return header{
		Version:  be.Uint32(b[0:]),
		NumStr:   be.Uint32(b[4:]),
		LongLen:  be.Uint32(b[8:]),
		ShortLen: be.Uint32(b[12:]),
		Flags:    be.Uint32(b[16:]),
		Delim:    b[20],
	}, nil
}

// appendHeader encodes h as strfile writes it (the three bytes after the
// delimiter are zero).
func appendHeader(dst []byte, h header) []byte {
	be := binary.BigEndian
	dst = be.AppendUint32(dst, h.Version)
	dst = be.AppendUint32(dst, h.NumStr)
	dst = be.AppendUint32(dst, h.LongLen)
	dst = be.AppendUint32(dst, h.ShortLen)
	dst = be.AppendUint32(dst, h.Flags)
	return append(dst, h.Delim, 0, 0, 0)
}

// offsetAt returns offset i of a .dat image, or false when the file is too
// short to hold it (a truncated or lying index).
func offsetAt(dat []byte, i uint64) (uint32, bool) {
	p := headerSize + 4*i
	if p+4 > uint64(len(dat)) || p < headerSize {
		return 0, false
	}
	return binary.BigEndian.Uint32(dat[p:]), true
}

// datFile is a parsed .dat image: the header and the raw offsets.
type datFile struct {
	header
	raw []byte
}

// parseDat checks what a reader of the whole index needs: a header and as
// many offsets as the header claims (plus the end offset).
func parseDat(b []byte) (*datFile, error) {
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	need := uint64(headerSize) + 4*(uint64(h.NumStr)+1)
	if uint64(len(b)) < need {
		return nil, errors.New("index holds fewer offsets than its header claims")
	}
	return &datFile{header: h, raw: b}, nil
}

// offset returns offset i (0 <= i <= NumStr) of a parsed index.
func (d *datFile) offset(i int) uint32 {
	v, _ := offsetAt(d.raw, uint64(i))
	return v
}
