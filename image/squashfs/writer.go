package squashfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// Options control Write.
type Options struct {
	// Compression defaults to Gzip.
	Compression Compression
	// BlockSize is the data block size, a power of two from 4 KiB to
	// 1 MiB; 0 means 128 KiB.
	BlockSize int
	// MkfsTime is the superblock's creation time (seconds since the epoch).
	MkfsTime int64
	// Workers is the number of compressing goroutines; 0 means GOMAXPROCS.
	// The output does not depend on it.
	Workers int
}

// Superblock flags mksquashfs sets by default.
const (
	flagDuplicates = 0x0040
	flagExportable = 0x0080
)

// Inode types.
const (
	typeDir      = 1
	typeFile     = 2
	typeSymlink  = 3
	typeBlkDev   = 4
	typeChrDev   = 5
	typeFifo     = 6
	typeSocket   = 7
	extendedBase = 7 // extended type = basic type + 7
)

const invalidXattr = 0xffffffff

type inode struct {
	n       *node
	path    string
	num     uint32
	nlink   uint32
	typ     uint16
	ref     uint64
	written bool
	file    *fileData
}

type writer struct {
	o       Options
	t       *Tree
	sink    *sink
	newComp func() compressor
	nodeIno map[*node]*inode
	inodes  []*inode // by number - 1
	files   []*inode // regular files in data order
	ids     map[uint32]uint16
	idList  []uint32
	frags   []fragEntry
	imeta   *metaWriter
	dmeta   *metaWriter
}

type sink struct {
	w   io.WriterAt
	pos int64
	err error
}

func (s *sink) write(p []byte) {
	if s.err != nil {
		return
	}
	_, s.err = s.w.WriteAt(p, s.pos)
	s.pos += int64(len(p))
}

// memBuf is an in-memory io.WriterAt for writers that cannot seek.
type memBuf struct{ b []byte }

func (m *memBuf) WriteAt(p []byte, off int64) (int, error) {
	end := int(off) + len(p)
	if end > len(m.b) {
		m.b = slices.Grow(m.b, end-len(m.b))[:end]
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// Write writes the SquashFS image of t to w and returns its length (a
// multiple of 4 KiB). When w is an io.WriterAt (an *os.File, say) the image
// is written in place at offsets 0 to n and w is truncated to n if it has a
// Truncate method; otherwise the image is assembled in memory and then
// copied to w. Write reads the content of every regular file exactly once.
func Write(w io.Writer, t *Tree, o Options) (int64, error) {
	wa, direct := w.(io.WriterAt)
	var mem *memBuf
	if !direct {
		mem = &memBuf{}
		wa = mem
	}
	n, err := write(wa, t, o)
	if err != nil {
		return 0, err
	}
	if mem != nil {
		_, err = w.Write(mem.b[:n])
		return n, err
	}
	if tr, ok := w.(interface{ Truncate(int64) error }); ok {
		err = tr.Truncate(n)
	}
	return n, err
}

// WriteFile writes the image of t to the file name, through a temporary
// file in the same directory renamed into place, so that a failure leaves
// no partial image behind.
func WriteFile(name string, t *Tree, o Options) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = Write(f, t, o)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func write(wa io.WriterAt, t *Tree, o Options) (int64, error) {
	if o.Compression == 0 {
		o.Compression = Gzip
	}
	if o.BlockSize == 0 {
		o.BlockSize = 128 << 10
	}
	if o.BlockSize < 4096 || o.BlockSize > 1<<20 || o.BlockSize&(o.BlockSize-1) != 0 {
		return 0, fmt.Errorf("block size %d: must be a power of two from 4096 to 1048576", o.BlockSize)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if t == nil || t.root == nil {
		return 0, errors.New("nil tree")
	}
	nc, err := newCompressorFactory(o.Compression, o.BlockSize)
	if err != nil {
		return 0, err
	}
	w := &writer{o: o, t: t, sink: &sink{w: wa, pos: 96}, newComp: nc, nodeIno: map[*node]*inode{}, ids: map[uint32]uint16{}}
	if err := w.resolve(); err != nil {
		return 0, err
	}
	if err := w.writeData(w.files); err != nil {
		return 0, err
	}
	return w.writeMeta()
}

// resolve numbers the inodes in the order writeMeta writes them (each
// directory after its contents), joins hard links, and collects regular
// files in depth-first name order for the data pass.
func (w *writer) resolve() error {
	rootIno := &inode{n: w.t.root, typ: typeDir, nlink: 2}
	w.nodeIno[w.t.root] = rootIno
	var uids []uint32
	var visit func(n *node, p string) error
	visit = func(n *node, p string) error {
		for _, c := range n.sortedChildren() {
			cp := c.name
			if p != "" {
				cp = p + "/" + c.name
			}
			target, err := w.linkTarget(c, cp)
			if err != nil {
				return err
			}
			ino := w.nodeIno[target]
			if ino == nil {
				ino = &inode{n: target, path: cp, typ: fileType(target.e.Mode)}
				w.nodeIno[target] = ino
				uids = append(uids, target.e.Uid, target.e.Gid)
			}
			w.nodeIno[c] = ino
			if ino.typ == typeDir {
				w.nodeIno[n].nlink++
				ino.nlink = 2
				if err := visit(c, cp); err != nil {
					return err
				}
			} else {
				ino.nlink++
			}
			if ino.num == 0 {
				w.inodes = append(w.inodes, ino)
				ino.num = uint32(len(w.inodes))
				if ino.typ == typeFile {
					w.files = append(w.files, ino)
				}
			}
		}
		return nil
	}
	if err := visit(w.t.root, ""); err != nil {
		return err
	}
	w.inodes = append(w.inodes, rootIno)
	rootIno.num = uint32(len(w.inodes))
	uids = append(uids, w.t.root.e.Uid, w.t.root.e.Gid)
	slices.Sort(uids)
	w.idList = slices.Compact(uids)
	if len(w.idList) > 65536 {
		return fmt.Errorf("%d distinct uids and gids: SquashFS holds at most 65536", len(w.idList))
	}
	for i, id := range w.idList {
		w.ids[id] = uint16(i)
	}
	return nil
}

func (w *writer) linkTarget(c *node, p string) (*node, error) {
	n := c
	for i := 0; n.e.HardLink != ""; i++ {
		if i > 64 {
			return nil, fmt.Errorf("%s: hard link loop", p)
		}
		l := n.e.HardLink
		if n = w.t.lookup(l); n == nil {
			return nil, fmt.Errorf("%s: hard link to missing %q", p, l)
		}
	}
	if n != c && n.children != nil {
		return nil, fmt.Errorf("%s: hard link to a directory", p)
	}
	return n, nil
}

func fileType(m fs.FileMode) uint16 {
	switch m & modeTypeBits {
	case fs.ModeDir:
		return typeDir
	case fs.ModeSymlink:
		return typeSymlink
	case fs.ModeDevice:
		return typeBlkDev
	case fs.ModeDevice | fs.ModeCharDevice:
		return typeChrDev
	case fs.ModeNamedPipe:
		return typeFifo
	case fs.ModeSocket:
		return typeSocket
	}
	return typeFile
}

func (w *writer) writeMeta() (int64, error) {
	mc := w.newComp()
	w.imeta, w.dmeta = newMetaWriter(mc), newMetaWriter(mc)
	if err := w.writeDir(w.t.root, w.nodeIno[w.t.root], uint32(len(w.inodes)+1)); err != nil {
		return 0, err
	}
	root := w.nodeIno[w.t.root].ref
	s := w.sink
	le := binary.LittleEndian

	inodeStart := s.pos
	b, err := w.imeta.finish()
	if err != nil {
		return 0, err
	}
	s.write(b)
	dirStart := s.pos
	if b, err = w.dmeta.finish(); err != nil {
		return 0, err
	}
	s.write(b)

	var ft []byte
	for _, f := range w.frags {
		ft = le.AppendUint64(ft, f.start)
		ft = le.AppendUint32(ft, f.size)
		ft = le.AppendUint32(ft, 0)
	}
	fragStart := w.writeTable(ft, mc)
	var et []byte
	for _, ino := range w.inodes {
		et = le.AppendUint64(et, ino.ref)
	}
	exportStart := w.writeTable(et, mc)
	var it []byte
	for _, id := range w.idList {
		it = le.AppendUint32(it, id)
	}
	idStart := w.writeTable(it, mc)
	used := s.pos

	sb := make([]byte, 0, 96)
	sb = le.AppendUint32(sb, 0x73717368)
	sb = le.AppendUint32(sb, uint32(len(w.inodes)))
	sb = le.AppendUint32(sb, clampTime(w.o.MkfsTime))
	sb = le.AppendUint32(sb, uint32(w.o.BlockSize))
	sb = le.AppendUint32(sb, uint32(len(w.frags)))
	sb = le.AppendUint16(sb, uint16(w.o.Compression))
	sb = le.AppendUint16(sb, uint16(bits.TrailingZeros(uint(w.o.BlockSize))))
	sb = le.AppendUint16(sb, flagDuplicates|flagExportable)
	sb = le.AppendUint16(sb, uint16(len(w.idList)))
	sb = le.AppendUint16(sb, 4)
	sb = le.AppendUint16(sb, 0)
	sb = le.AppendUint64(sb, root)
	sb = le.AppendUint64(sb, uint64(used))
	sb = le.AppendUint64(sb, uint64(idStart))
	sb = le.AppendUint64(sb, ^uint64(0)) // no xattr table
	sb = le.AppendUint64(sb, uint64(inodeStart))
	sb = le.AppendUint64(sb, uint64(dirStart))
	sb = le.AppendUint64(sb, uint64(fragStart))
	sb = le.AppendUint64(sb, uint64(exportStart))
	if pad := (4096 - used%4096) % 4096; pad > 0 {
		s.write(make([]byte, pad))
	}
	end := s.pos
	s.pos = 0
	s.write(sb)
	if s.err != nil {
		return 0, s.err
	}
	return end, nil
}

// writeTable writes a table as metadata blocks followed by the index of
// their positions, and returns the index's position.
func (w *writer) writeTable(data []byte, c compressor) int64 {
	m := newMetaWriter(c)
	m.write(data)
	b, err := m.finish()
	if err != nil && w.sink.err == nil {
		w.sink.err = err
	}
	base := uint64(w.sink.pos)
	w.sink.write(b)
	var idx []byte
	for _, st := range m.starts {
		idx = binary.LittleEndian.AppendUint64(idx, base+st)
	}
	start := w.sink.pos
	w.sink.write(idx)
	return start
}

func clampTime(t int64) uint32 {
	return uint32(max(0, min(t, 1<<32-1)))
}

func (w *writer) header(ino *inode, typ uint16) []byte {
	e := &ino.n.e
	perm := uint16(e.Mode.Perm())
	if e.Mode&fs.ModeSetuid != 0 {
		perm |= 0o4000
	}
	if e.Mode&fs.ModeSetgid != 0 {
		perm |= 0o2000
	}
	if e.Mode&fs.ModeSticky != 0 {
		perm |= 0o1000
	}
	le := binary.LittleEndian
	b := make([]byte, 0, 64)
	b = le.AppendUint16(b, typ)
	b = le.AppendUint16(b, perm)
	b = le.AppendUint16(b, w.ids[e.Uid])
	b = le.AppendUint16(b, w.ids[e.Gid])
	b = le.AppendUint32(b, clampTime(e.Mtime))
	b = le.AppendUint32(b, ino.num)
	return b
}

func (w *writer) setRef(ino *inode) {
	blk, off := w.imeta.ref()
	ino.ref = blk<<16 | uint64(off)
	ino.written = true
}

// writeInode writes a non-directory inode.
func (w *writer) writeInode(ino *inode) {
	e := &ino.n.e
	le := binary.LittleEndian
	w.setRef(ino)
	var b []byte
	switch ino.typ {
	case typeFile:
		f := ino.file
		if ino.nlink == 1 && f.start < 1<<32 && f.size < 1<<32 && f.sparse == 0 {
			b = w.header(ino, typeFile)
			b = le.AppendUint32(b, uint32(f.start))
			b = le.AppendUint32(b, f.frag)
			b = le.AppendUint32(b, f.fragOff)
			b = le.AppendUint32(b, uint32(f.size))
		} else {
			b = w.header(ino, typeFile+extendedBase)
			b = le.AppendUint64(b, f.start)
			b = le.AppendUint64(b, f.size)
			b = le.AppendUint64(b, f.sparse)
			b = le.AppendUint32(b, ino.nlink)
			b = le.AppendUint32(b, f.frag)
			b = le.AppendUint32(b, f.fragOff)
			b = le.AppendUint32(b, invalidXattr)
		}
		for _, s := range f.blocks {
			b = le.AppendUint32(b, s)
		}
	case typeSymlink:
		b = w.header(ino, typeSymlink)
		b = le.AppendUint32(b, ino.nlink)
		b = le.AppendUint32(b, uint32(len(e.Target)))
		b = append(b, e.Target...)
	case typeBlkDev, typeChrDev:
		b = w.header(ino, ino.typ)
		b = le.AppendUint32(b, ino.nlink)
		b = le.AppendUint32(b, e.Minor&0xff|e.Major<<8|(e.Minor&^0xff)<<12)
	case typeFifo, typeSocket:
		b = w.header(ino, ino.typ)
		b = le.AppendUint32(b, ino.nlink)
	}
	w.imeta.write(b)
}

type dirIndex struct {
	pos  uint32
	name string
}

// writeDir writes the inodes below directory n, then its listing, then its
// own inode.
func (w *writer) writeDir(n *node, ino *inode, parent uint32) error {
	kids := n.sortedChildren()
	for _, c := range kids {
		ci := w.nodeIno[c]
		if ci.typ == typeDir {
			if err := w.writeDir(c, ci, ino.num); err != nil {
				return err
			}
		} else if !ci.written {
			w.writeInode(ci)
		}
	}
	le := binary.LittleEndian
	var (
		listing   []byte
		index     []dirIndex
		hdrPos    = -1
		count     int
		hdrBlock  uint32
		hdrBase   uint32
		lastIndex int
	)
	for _, c := range kids {
		ci := w.nodeIno[c]
		blk, off := uint32(ci.ref>>16), uint16(ci.ref)
		size := 8 + len(c.name)
		delta := int64(ci.num) - int64(hdrBase)
		// New header: mksquashfs's rules (the kernel insists on the first
		// three) plus one every 8 KiB of listing, each recorded in the
		// directory index so lookups can skip ahead.
		needIndex := hdrPos >= 0 && len(listing)+size-lastIndex > metaSize
		if hdrPos < 0 || count == 256 || blk != hdrBlock || delta > 32767 || delta < -32768 || needIndex {
			if hdrPos >= 0 {
				le.PutUint32(listing[hdrPos:], uint32(count-1))
			}
			if needIndex {
				index = append(index, dirIndex{uint32(len(listing)), c.name})
				lastIndex = len(listing)
			}
			hdrPos, count, hdrBlock, hdrBase = len(listing), 0, blk, ci.num
			listing = le.AppendUint32(listing, 0)
			listing = le.AppendUint32(listing, blk)
			listing = le.AppendUint32(listing, ci.num)
			delta = 0
		}
		listing = le.AppendUint16(listing, off)
		listing = le.AppendUint16(listing, uint16(int16(delta)))
		listing = le.AppendUint16(listing, ci.typ)
		listing = le.AppendUint16(listing, uint16(len(c.name)-1))
		listing = append(listing, c.name...)
		count++
	}
	if hdrPos >= 0 {
		le.PutUint32(listing[hdrPos:], uint32(count-1))
	}
	start := w.dmeta.abs()
	w.dmeta.write(listing)
	startBlock := w.dmeta.blockStart(start / metaSize)
	startOff := uint16(start % metaSize)
	if startBlock >= 1<<32 {
		return errors.New("directory table larger than 4 GiB")
	}
	fileSize := len(listing) + 3

	w.setRef(ino)
	var b []byte
	if fileSize <= 0xffff && len(index) == 0 {
		b = w.header(ino, typeDir)
		b = le.AppendUint32(b, uint32(startBlock))
		b = le.AppendUint32(b, ino.nlink)
		b = le.AppendUint16(b, uint16(fileSize))
		b = le.AppendUint16(b, startOff)
		b = le.AppendUint32(b, parent)
	} else {
		if len(index) > 0xffff {
			return fmt.Errorf("%s: directory too large", ino.path)
		}
		b = w.header(ino, typeDir+extendedBase)
		b = le.AppendUint32(b, ino.nlink)
		b = le.AppendUint32(b, uint32(fileSize))
		b = le.AppendUint32(b, uint32(startBlock))
		b = le.AppendUint32(b, parent)
		b = le.AppendUint16(b, uint16(len(index)))
		b = le.AppendUint16(b, startOff)
		b = le.AppendUint32(b, invalidXattr)
		for _, x := range index {
			b = le.AppendUint32(b, x.pos)
			b = le.AppendUint32(b, uint32(w.dmeta.blockStart((start+int64(x.pos))/metaSize)))
			b = le.AppendUint32(b, uint32(len(x.name)-1))
			b = append(b, x.name...)
		}
	}
	w.imeta.write(b)
	return nil
}
