package sif

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// sqReader is a strict, bounded SquashFS 4.0 reader for Verify and Extract.
// It is moobox's own rather than a third-party one because Verify is fed
// untrusted bytes: every size and offset read from the image is checked
// against the image before it is used to allocate or read, decompressed
// blocks are capped at their nominal size, and reading a file decompresses
// every one of its blocks and its fragment, so a corrupted data block is
// an error here and not only when the file is later read in a container.
// Memory does not grow with what the image describes: block lists are
// streamed, file data is read a block at a time (holes cost nothing), a
// few fragment blocks are kept, and metadata is capped at maxMetaBytes.
type sqReader struct {
	img                             []byte // truncated to bytes_used
	comp                            uint16
	bs                              uint32
	fragCount                       uint32
	rootRef                         uint64
	inodeTable, dirTable, fragTable uint64
	meta                            map[uint64]metaBlock // by absolute offset
	frags                           []fragBlock          // recently used fragment blocks, decompressed
	fragLens                        map[uint32]int       // decompressed lengths of the fragment blocks checked
	metaBytes                       int
	work                            int64 // data decompressed, see decompressData
}

type metaBlock struct {
	data []byte
	next uint64 // offset of the following block
}

// sqInode is the part of an inode the checks need.
type sqInode struct {
	ref  uint64
	mode fs.FileMode
	// Directories: where the listing is and how long it is.
	dirBlock  uint32
	dirOffset uint16
	dirSize   uint32
	// Regular files.
	size        uint64
	blocksStart uint64
	frag        uint32
	fragOffset  uint32
	sizesAt     cursor // the block size list
	nblocks     uint64
	// Symbolic links.
	target string
}

const noFragment = 0xffffffff

// maxMetaBytes bounds the decompressed metadata Verify holds: moo.sif has
// well under 1 MiB.
const maxMetaBytes = 64 << 20

func newSqReader(img []byte) (*sqReader, error) {
	le := binary.LittleEndian
	if len(img) < 96 || string(img[:4]) != "hsqs" {
		return nil, fmt.Errorf("no squashfs superblock")
	}
	if major, minor := le.Uint16(img[28:]), le.Uint16(img[30:]); major != 4 || minor != 0 {
		return nil, fmt.Errorf("squashfs version %d.%d, want 4.0", major, minor)
	}
	bs, blog := le.Uint32(img[12:]), le.Uint16(img[22:])
	if bs < 4096 || bs > 1<<20 || bs&(bs-1) != 0 || uint32(1)<<blog != bs {
		return nil, fmt.Errorf("bad block size %d (log %d)", bs, blog)
	}
	used := le.Uint64(img[40:])
	if used > uint64(len(img)) || used < 96 {
		return nil, fmt.Errorf("bytes_used %d beyond the partition's %d bytes", used, len(img))
	}
	r := &sqReader{
		img: img[:used], comp: le.Uint16(img[20:]), bs: bs, fragCount: le.Uint32(img[16:]),
		rootRef: le.Uint64(img[32:]), inodeTable: le.Uint64(img[64:]), dirTable: le.Uint64(img[72:]),
		fragTable: le.Uint64(img[80:]),
		meta:      map[uint64]metaBlock{},
	}
	switch r.comp {
	case 1, 4, 6:
	default:
		return nil, fmt.Errorf("compressor %d not supported (moobox writes gzip, xz or zstd)", r.comp)
	}
	if r.inodeTable >= used || r.dirTable >= used || r.inodeTable >= r.dirTable {
		return nil, fmt.Errorf("inode table at %d, directory table at %d: not inside the %d-byte image", r.inodeTable, r.dirTable, used)
	}
	return r, nil
}

// metaAt returns the metadata block at absolute offset off.
func (r *sqReader) metaAt(off uint64) (metaBlock, error) {
	if b, ok := r.meta[off]; ok {
		return b, nil
	}
	if off > uint64(len(r.img))-2 {
		return metaBlock{}, fmt.Errorf("metadata block at %d beyond the image", off)
	}
	hdr := binary.LittleEndian.Uint16(r.img[off:])
	size := uint64(hdr & 0x7fff)
	if size == 0 || off+2+size > uint64(len(r.img)) {
		return metaBlock{}, fmt.Errorf("metadata block at %d: bad size %d", off, size)
	}
	data := r.img[off+2 : off+2+size]
	if hdr&0x8000 == 0 {
		var err error
		if data, err = decompress(r.comp, data, 8192); err != nil {
			return metaBlock{}, fmt.Errorf("metadata block at %d: %v", off, err)
		}
	}
	r.metaBytes += len(data)
	if r.metaBytes > maxMetaBytes {
		return metaBlock{}, fmt.Errorf("more than %d MiB of metadata", maxMetaBytes>>20)
	}
	b := metaBlock{data: data, next: off + 2 + size}
	r.meta[off] = b
	return b, nil
}

// cursor reads a metadata stream (a table's blocks one after the other).
type cursor struct {
	r     *sqReader
	block uint64 // absolute offset of the current block
	pos   int    // position in its decompressed data
	limit uint64 // blocks must start before this offset
}

func (r *sqReader) cursor(table, block uint64, offset uint16, limit uint64) (cursor, error) {
	if block > limit || table+block >= limit {
		return cursor{}, fmt.Errorf("metadata reference %d:%d beyond its table", block, offset)
	}
	return cursor{r: r, block: table + block, pos: int(offset), limit: limit}, nil
}

// read returns the next n bytes (copied when they span blocks).
func (c *cursor) read(n int) ([]byte, error) {
	var out []byte
	for {
		b, err := c.r.metaAt(c.block)
		if err != nil {
			return nil, err
		}
		if c.pos > len(b.data) {
			return nil, fmt.Errorf("offset %d beyond a %d-byte metadata block", c.pos, len(b.data))
		}
		avail := b.data[c.pos:]
		if len(avail) >= n && out == nil {
			c.pos += n
			return avail[:n], nil
		}
		take := min(n-len(out), len(avail))
		out = append(out, avail[:take]...)
		c.pos += take
		if len(out) == n {
			return out, nil
		}
		if b.next >= c.limit {
			return nil, fmt.Errorf("metadata ends inside a record")
		}
		c.block, c.pos = b.next, 0
	}
}

func (c *cursor) u16() (uint16, error) {
	b, err := c.read(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// inode reads the inode at ref (block offset << 16 | offset in block).
func (r *sqReader) inode(ref uint64) (*sqInode, error) {
	c, err := r.cursor(r.inodeTable, ref>>16, uint16(ref), r.dirTable)
	if err != nil {
		return nil, err
	}
	h, err := c.read(16)
	if err != nil {
		return nil, fmt.Errorf("inode %#x: %v", ref, err)
	}
	le := binary.LittleEndian
	typ, perm := le.Uint16(h), le.Uint16(h[2:])
	in := &sqInode{ref: ref, mode: fs.FileMode(perm & 0o777)}
	if perm&0o4000 != 0 {
		in.mode |= fs.ModeSetuid
	}
	if perm&0o2000 != 0 {
		in.mode |= fs.ModeSetgid
	}
	if perm&0o1000 != 0 {
		in.mode |= fs.ModeSticky
	}
	bad := func(err error) (*sqInode, error) { return nil, fmt.Errorf("inode %#x (type %d): %v", ref, typ, err) }
	switch typ {
	case 1, 8: // directory
		in.mode |= fs.ModeDir
		var b []byte
		if typ == 1 {
			if b, err = c.read(16); err != nil {
				return bad(err)
			}
			in.dirBlock, in.dirSize, in.dirOffset = le.Uint32(b), uint32(le.Uint16(b[8:])), le.Uint16(b[10:])
		} else {
			if b, err = c.read(24); err != nil {
				return bad(err)
			}
			in.dirSize, in.dirBlock, in.dirOffset = le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint16(b[18:])
		}
	case 2, 9: // regular file
		var b []byte
		if typ == 2 {
			if b, err = c.read(16); err != nil {
				return bad(err)
			}
			in.blocksStart, in.frag, in.fragOffset, in.size = uint64(le.Uint32(b)), le.Uint32(b[4:]), le.Uint32(b[8:]), uint64(le.Uint32(b[12:]))
		} else {
			if b, err = c.read(40); err != nil {
				return bad(err)
			}
			in.blocksStart, in.size, in.frag, in.fragOffset = le.Uint64(b), le.Uint64(b[8:]), le.Uint32(b[28:]), le.Uint32(b[32:])
		}
		in.nblocks = in.size / uint64(r.bs)
		if in.frag == noFragment && in.size%uint64(r.bs) != 0 {
			in.nblocks++
		}
		// Every block needs a 4-byte entry in the inode table: bound the
		// count by the table's size before anything loops over it.
		if in.nblocks > (r.dirTable-r.inodeTable)*4096 {
			return bad(fmt.Errorf("%d bytes need more block entries than the inode table holds", in.size))
		}
		in.sizesAt = c
	case 3, 10: // symlink
		in.mode |= fs.ModeSymlink
		b, err := c.read(8)
		if err != nil {
			return bad(err)
		}
		n := le.Uint32(b[4:])
		if n == 0 || n > 4096 {
			return bad(fmt.Errorf("symlink target of %d bytes", n))
		}
		t, err := c.read(int(n))
		if err != nil {
			return bad(err)
		}
		in.target = string(t)
	case 4, 11:
		in.mode |= fs.ModeDevice
	case 5, 12:
		in.mode |= fs.ModeDevice | fs.ModeCharDevice
	case 6, 13:
		in.mode |= fs.ModeNamedPipe
	case 7, 14:
		in.mode |= fs.ModeSocket
	default:
		return bad(errors.New("unknown inode type"))
	}
	return in, nil
}

// sqDirent is one directory entry.
type sqDirent struct {
	name string
	ref  uint64
}

// readDir lists a directory inode.
func (r *sqReader) readDir(in *sqInode) ([]sqDirent, error) {
	if !in.mode.IsDir() {
		return nil, fmt.Errorf("not a directory")
	}
	if in.dirSize <= 3 {
		return nil, nil
	}
	c, err := r.cursor(r.dirTable, uint64(in.dirBlock), in.dirOffset, r.fragTableOrEnd())
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	left := int64(in.dirSize) - 3
	var out []sqDirent
	for left > 0 {
		if left < 12 {
			return nil, fmt.Errorf("directory listing: %d stray bytes", left)
		}
		h, err := c.read(12)
		if err != nil {
			return nil, err
		}
		left -= 12
		count, start := uint64(le.Uint32(h))+1, uint64(le.Uint32(h[4:]))
		if count > 256 {
			return nil, fmt.Errorf("directory header claims %d entries (at most 256)", count)
		}
		for i := uint64(0); i < count; i++ {
			e, err := c.read(8)
			if err != nil {
				return nil, err
			}
			n := int(le.Uint16(e[6:])) + 1
			name, err := c.read(n)
			if err != nil {
				return nil, err
			}
			left -= int64(8 + n)
			if left < 0 {
				return nil, fmt.Errorf("directory entry beyond the listing's size")
			}
			s := string(name)
			if s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
				return nil, fmt.Errorf("bad name %q in a directory", s)
			}
			out = append(out, sqDirent{name: s, ref: start<<16 | uint64(le.Uint16(e))})
		}
	}
	return out, nil
}

// fragTableOrEnd is the end of the directory table: the next table, or
// the image's end when there are no fragments.
func (r *sqReader) fragTableOrEnd() uint64 {
	if r.fragCount > 0 && r.fragTable > r.dirTable && r.fragTable < uint64(len(r.img)) {
		return r.fragTable
	}
	return uint64(len(r.img))
}

// lookup finds p (slash-separated, relative to the root) without following
// symlinks in any component: a symlink in the middle is an error.
func (r *sqReader) lookup(p string) (*sqInode, error) {
	in, err := r.inode(r.rootRef)
	if err != nil {
		return nil, err
	}
	if p == "" || p == "." {
		return in, nil
	}
	for _, name := range strings.Split(p, "/") {
		if !in.mode.IsDir() {
			return nil, fmt.Errorf("/%s: %w", p, fs.ErrNotExist)
		}
		des, err := r.readDir(in)
		if err != nil {
			return nil, err
		}
		found := false
		for _, d := range des {
			if d.name == name {
				if in, err = r.inode(d.ref); err != nil {
					return nil, err
				}
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("/%s: %w", p, fs.ErrNotExist)
		}
	}
	return in, nil
}

// sqFile reads one regular file's data. Opening it reads its block list
// once, as a stream, checking every block lies inside the image, and keeps
// only where the list's stored blocks end and a digest of the list: memory
// does not grow with the file's size. Blocks are decompressed one at a
// time; a hole (a block of zeros stored as nothing) costs nothing. Random
// access (ReadAt) indexes the list, and only for files of at most
// maxIndexed bytes.
type sqFile struct {
	r    *sqReader
	in   *sqInode
	tail uint64            // bytes in the fragment
	end  uint64            // where the last stored block ends
	key  [sha256.Size]byte // the blocks read: files with the same key read the same blocks
	// The block list, built by the first ReadAt.
	words  []uint32 // size | 1<<24 when stored uncompressed
	starts []uint64 // where each block starts in the image
	cur    int      // block in buf, -1 for none
	buf    []byte
}

// maxIndexed bounds the files ReadAt reads (the labels and /bin/sh): their
// block lists are held, 12 bytes a block.
const maxIndexed = maxExe

// open reads in's block list and checks every block lies inside the image
// and the fragment is consistent with the size.
func (r *sqReader) open(in *sqInode) (*sqFile, error) {
	if !in.mode.IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	f := &sqFile{r: r, in: in, cur: -1, end: in.blocksStart}
	bs := uint64(r.bs)
	if in.frag != noFragment {
		if f.tail = in.size % bs; f.tail == 0 {
			return nil, fmt.Errorf("fragment for a 0-byte tail")
		}
	}
	// The digest covers what checking the blocks depends on: where they
	// are, their entries and the length the last one must have.
	h := sha256.New()
	var b [8]byte
	le := binary.LittleEndian
	last := uint64(0)
	if in.nblocks > 0 {
		last = min(in.size-(in.nblocks-1)*bs, bs)
	}
	for _, v := range []uint64{in.blocksStart, in.nblocks, last} {
		le.PutUint64(b[:], v)
		h.Write(b[:])
	}
	err := f.blockList(func(_ uint64, w uint32, pos uint64) error {
		le.PutUint32(b[:], w)
		h.Write(b[:4])
		if size := uint64(w &^ (1 << 24)); size > 0 {
			f.end = pos + size
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.key = [sha256.Size]byte(h.Sum(nil))
	return f, nil
}

// blockList streams f's block list, calling fn with each block's index,
// entry and position once the block is known to lie inside the image.
func (f *sqFile) blockList(fn func(i uint64, w uint32, pos uint64) error) error {
	r := f.r
	c := f.in.sizesAt
	pos := f.in.blocksStart
	for i := uint64(0); i < f.in.nblocks; i++ {
		w, err := c.u32()
		if err != nil {
			return fmt.Errorf("block list: %v", err)
		}
		size := uint64(w &^ (1 << 24))
		if size > uint64(r.bs) || pos > uint64(len(r.img)) || size > uint64(len(r.img))-pos {
			return fmt.Errorf("block %d: %d bytes at %d beyond the image", i, size, pos)
		}
		if err := fn(i, w, pos); err != nil {
			return err
		}
		pos += size
	}
	return nil
}

// decode returns block i, entry w at pos, decompressed, or nil for a hole.
func (f *sqFile) decode(i uint64, w uint32, pos uint64) ([]byte, error) {
	r := f.r
	size := uint64(w &^ (1 << 24))
	if size == 0 {
		return nil, nil
	}
	want := min(f.in.size-i*uint64(r.bs), uint64(r.bs))
	data := r.img[pos : pos+size]
	if w&(1<<24) == 0 {
		var err error
		if data, err = r.decompressData(data); err != nil {
			return nil, fmt.Errorf("block %d at %d: %v", i, pos, err)
		}
	}
	if uint64(len(data)) != want {
		return nil, fmt.Errorf("block %d at %d: %d bytes, want %d", i, pos, len(data), want)
	}
	return data, nil
}

// checkBlocks decompresses every block, keeping none.
func (f *sqFile) checkBlocks() error {
	return f.blockList(func(i uint64, w uint32, pos uint64) error {
		_, err := f.decode(i, w, pos)
		return err
	})
}

// checkTail checks the file's tail lies inside its fragment block, which
// is decompressed once for all the files that share it.
func (f *sqFile) checkTail() error {
	if f.tail == 0 {
		return nil
	}
	n, err := f.r.fragLen(f.in.frag)
	if err != nil {
		return err
	}
	return f.tailFits(n)
}

func (f *sqFile) tailFits(n int) error {
	if off := uint64(f.in.fragOffset); off > uint64(n) || f.tail > uint64(n)-off {
		return fmt.Errorf("fragment %d: %d bytes at %d beyond its %d bytes", f.in.frag, f.tail, off, n)
	}
	return nil
}

// fragTail returns the file's bytes stored in its fragment block.
func (f *sqFile) fragTail() ([]byte, error) {
	in := f.in
	fb, err := f.r.fragment(in.frag)
	if err != nil {
		return nil, err
	}
	if err := f.tailFits(len(fb)); err != nil {
		return nil, err
	}
	return fb[in.fragOffset : uint64(in.fragOffset)+f.tail], nil
}

// writeTo writes the file's content to out, a new empty file, seeking
// over holes and setting the size at the end, so a sparse file stays
// sparse (as unsquashfs writes it).
func (f *sqFile) writeTo(out *os.File) error {
	bs := uint64(f.r.bs)
	err := f.blockList(func(i uint64, w uint32, pos uint64) error {
		b, err := f.decode(i, w, pos)
		if err != nil {
			return err
		}
		if b == nil {
			_, err = out.Seek(int64(min(f.in.size-i*bs, bs)), io.SeekCurrent)
		} else {
			_, err = out.Write(b)
		}
		return err
	})
	if err != nil {
		return err
	}
	if f.tail > 0 {
		t, err := f.fragTail()
		if err != nil {
			return err
		}
		if _, err := out.Write(t); err != nil {
			return err
		}
	}
	return out.Truncate(int64(f.in.size))
}

// index builds the block list ReadAt needs.
func (f *sqFile) index() error {
	if f.words != nil || f.in.nblocks == 0 {
		return nil
	}
	if f.in.size > maxIndexed {
		return fmt.Errorf("%d bytes: too large to read at random (at most %d MiB)", f.in.size, maxIndexed>>20)
	}
	words := make([]uint32, 0, f.in.nblocks)
	starts := make([]uint64, 0, f.in.nblocks)
	err := f.blockList(func(_ uint64, w uint32, pos uint64) error {
		words, starts = append(words, w), append(starts, pos)
		return nil
	})
	f.words, f.starts = words, starts
	return err
}

// block returns block i decompressed, or nil for a hole.
func (f *sqFile) block(i int) ([]byte, error) {
	if i == f.cur {
		return f.buf, nil
	}
	data, err := f.decode(uint64(i), f.words[i], f.starts[i])
	if err != nil {
		return nil, err
	}
	f.cur, f.buf = i, data
	return data, nil
}

// ReadAt reads the file's content; holes read as zeros.
func (f *sqFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if err := f.index(); err != nil {
		return 0, err
	}
	size := f.in.size
	n := 0
	for n < len(p) {
		at := uint64(off) + uint64(n)
		if at >= size {
			return n, io.EOF
		}
		var data []byte
		var base uint64
		bi := at / uint64(f.r.bs)
		if bi < uint64(len(f.words)) {
			b, err := f.block(int(bi))
			if err != nil {
				return n, err
			}
			base = bi * uint64(f.r.bs)
			if b == nil { // a hole
				k := min(uint64(len(p)-n), min(size, base+uint64(f.r.bs))-at)
				clear(p[n : n+int(k)])
				n += int(k)
				continue
			}
			data = b
		} else {
			t, err := f.fragTail()
			if err != nil {
				return n, err
			}
			data, base = t, uint64(len(f.words))*uint64(f.r.bs)
		}
		n += copy(p[n:], data[at-base:])
	}
	return n, nil
}

// readFile returns the content of a regular file of at most maxIndexed
// bytes, checking every block and the fragment. Callers bound in.size.
func (r *sqReader) readFile(in *sqInode) ([]byte, error) {
	f, err := r.open(in)
	if err != nil {
		return nil, err
	}
	if in.size > maxIndexed {
		return nil, fmt.Errorf("%d bytes: too large to read whole", in.size)
	}
	out := make([]byte, in.size)
	if _, err := f.ReadAt(out, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return out, nil
}

// decompressData decompresses a data or fragment block. work counts the
// block sizes decompressed, for the tests: Verify decompresses each
// distinct block once, so its work is that of reading the image's data
// once, whatever the number of files sharing it.
func (r *sqReader) decompressData(b []byte) ([]byte, error) {
	r.work += int64(r.bs)
	return decompress(r.comp, b, int(r.bs))
}

// fragCacheBlocks is how many decompressed fragment blocks the reader
// keeps (at most 8 MiB): files sharing a fragment block are mostly next
// to each other in the tables, so Extract and ReadAt rarely decompress one
// twice, and memory does not grow with the number of fragment blocks.
const fragCacheBlocks = 8

// fragLen returns the decompressed length of fragment block i,
// decompressing it the first time only: Verify checks each file's tail
// against it, so every fragment block is decompressed once whatever the
// order of the files that share it.
func (r *sqReader) fragLen(i uint32) (int, error) {
	if n, ok := r.fragLens[i]; ok {
		return n, nil
	}
	fb, err := r.fragment(i)
	if err != nil {
		return 0, err
	}
	if r.fragLens == nil {
		r.fragLens = map[uint32]int{}
	}
	r.fragLens[i] = len(fb)
	return len(fb), nil
}

// fragment returns fragment block i, decompressed, from a small cache of
// the most recently used ones.
func (r *sqReader) fragment(i uint32) ([]byte, error) {
	for k, c := range r.frags {
		if c.i == i {
			// Most recently used last.
			copy(r.frags[k:], r.frags[k+1:])
			r.frags[len(r.frags)-1] = c
			return c.data, nil
		}
	}
	if i >= r.fragCount {
		return nil, fmt.Errorf("fragment %d of %d", i, r.fragCount)
	}
	// 512 16-byte entries per metadata block, located by a list of
	// block offsets at fragTable.
	loc := r.fragTable + 8*uint64(i/512)
	if r.fragTable > uint64(len(r.img)) || loc > uint64(len(r.img))-8 {
		return nil, fmt.Errorf("fragment table beyond the image")
	}
	blk := binary.LittleEndian.Uint64(r.img[loc:])
	c, err := r.cursor(0, blk, uint16((i%512)*16), uint64(len(r.img)))
	if err != nil {
		return nil, fmt.Errorf("fragment %d: %v", i, err)
	}
	e, err := c.read(16)
	if err != nil {
		return nil, fmt.Errorf("fragment %d: %v", i, err)
	}
	start, w := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint32(e[8:])
	size := uint64(w &^ (1 << 24))
	if size == 0 || size > uint64(r.bs) || start > uint64(len(r.img)) || size > uint64(len(r.img))-start {
		return nil, fmt.Errorf("fragment %d: %d bytes at %d do not fit", i, size, start)
	}
	data := r.img[start : start+size]
	if w&(1<<24) == 0 {
		if data, err = r.decompressData(data); err != nil {
			return nil, fmt.Errorf("fragment %d at %d: %v", i, start, err)
		}
	}
	if len(r.frags) == fragCacheBlocks {
		r.frags = append(r.frags[:0], r.frags[1:]...)
	}
	r.frags = append(r.frags, fragBlock{i, data})
	return data, nil
}

type fragBlock struct {
	i    uint32
	data []byte
}

// walk visits every entry under the root, parents first, with its path
// relative to the root ("" for the root). A directory reached twice (a
// cycle or a hard-linked directory) is an error.
func (r *sqReader) walk(fn func(p string, in *sqInode) error) error {
	root, err := r.inode(r.rootRef)
	if err != nil {
		return err
	}
	if !root.mode.IsDir() {
		return fmt.Errorf("the root is not a directory")
	}
	seen := map[uint64]bool{}
	var visit func(p string, in *sqInode, depth int) error
	visit = func(p string, in *sqInode, depth int) error {
		if err := fn(p, in); err != nil {
			return err
		}
		if !in.mode.IsDir() {
			return nil
		}
		if seen[in.ref] || depth > 256 {
			return fmt.Errorf("/%s: directory loop", p)
		}
		seen[in.ref] = true
		des, err := r.readDir(in)
		if err != nil {
			return fmt.Errorf("/%s: %v", p, err)
		}
		for _, d := range des {
			child, err := r.inode(d.ref)
			if err != nil {
				return fmt.Errorf("/%s: %v", path.Join(p, d.name), err)
			}
			if err := visit(path.Join(p, d.name), child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return visit("", root, 0)
}
