package squashfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

const (
	noFragment     = 0xffffffff
	dataStoredFlag = 1 << 24
)

// fileData is where a regular file's content went.
type fileData struct {
	size    uint64
	start   uint64
	sparse  uint64
	blocks  []uint32 // on-disk size of each block, dataStoredFlag if stored, 0 if sparse
	frag    uint32
	fragOff uint32
}

type jobKind uint8

const (
	jobBegin jobKind = iota // a file's blocks start here
	jobData                 // one data block of a file
	jobFrag                 // one fragment block
	jobEnd                  // a file's blocks end here: dedup it
)

type job struct {
	kind jobKind
	raw  []byte
	out  []byte
	err  error
	done chan struct{}
	file *fileData
	idx  int
	key  dupKey
}

type dupKey struct {
	size uint64
	sum  [sha256.Size]byte
}

type fragEntry struct {
	start uint64
	size  uint32
}

// dataWriter writes data and fragment blocks from the current sink position.
// Blocks are compressed on Workers goroutines; one goroutine writes them in
// submission order, so the output does not depend on scheduling.
type dataWriter struct {
	w         *writer
	bs        int
	work      chan *job
	order     chan *job
	wg        sync.WaitGroup
	writerErr chan error
	frags     []fragEntry
	fragBuf   []byte
	nfrag     uint32
	smallDup  map[dupKey]*fileData
	zero      []byte
	readBuf   []byte
}

func (w *writer) writeData(files []*inode) (err error) {
	d := &dataWriter{
		w:         w,
		bs:        w.o.BlockSize,
		work:      make(chan *job, 4*w.o.Workers),
		order:     make(chan *job, 8*w.o.Workers+8),
		writerErr: make(chan error, 1),
		smallDup:  map[dupKey]*fileData{},
		zero:      make([]byte, w.o.BlockSize),
		readBuf:   make([]byte, w.o.BlockSize),
	}
	for range w.o.Workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			c := w.newComp()
			for j := range d.work {
				j.out, j.err = c.compress(j.raw)
				close(j.done)
			}
		}()
	}
	go d.writeLoop()
	for _, ino := range files {
		if err = d.file(ino); err != nil {
			break
		}
	}
	if err == nil && len(d.fragBuf) > 0 {
		d.flushFrag()
	}
	close(d.work)
	close(d.order)
	werr := <-d.writerErr
	d.wg.Wait()
	if err == nil {
		err = werr
	}
	w.frags = d.frags
	return err
}

func (d *dataWriter) submit(j *job) {
	j.done = make(chan struct{})
	if j.kind == jobData || j.kind == jobFrag {
		d.work <- j
	} else {
		close(j.done)
	}
	d.order <- j
}

func (d *dataWriter) writeLoop() {
	s := d.w.sink
	bigDup := map[dupKey]*fileData{}
	var firstErr error
	for j := range d.order {
		<-j.done
		if firstErr != nil {
			continue // drain
		}
		switch j.kind {
		case jobBegin:
			j.file.start = uint64(s.pos)
		case jobData, jobFrag:
			if j.err != nil {
				firstErr = j.err
				continue
			}
			size := uint32(len(j.out))
			out := j.out
			if len(out) >= len(j.raw) {
				out, size = j.raw, uint32(len(j.raw))|dataStoredFlag
			}
			if j.kind == jobData {
				j.file.blocks[j.idx] = size
			} else {
				d.frags = append(d.frags, fragEntry{uint64(s.pos), size})
			}
			s.write(out)
		case jobEnd:
			if prev := bigDup[j.key]; prev != nil {
				// Identical content already stored: drop this copy.
				s.pos = int64(j.file.start)
				j.file.start, j.file.blocks = prev.start, prev.blocks
			} else {
				bigDup[j.key] = j.file
			}
		}
		if s.err != nil {
			firstErr = s.err
		}
	}
	d.writerErr <- firstErr
}

func (d *dataWriter) file(ino *inode) error {
	e := &ino.n.e
	f := &fileData{size: uint64(e.Size), frag: noFragment}
	ino.file = f
	if e.Size == 0 {
		return nil
	}
	if e.Size >= int64(d.bs) && e.Data == nil && e.Open == nil {
		return d.holes(f)
	}
	rc, err := e.open()
	if err != nil {
		return fmt.Errorf("%s: %w", ino.path, err)
	}
	defer rc.Close()
	if e.Size < int64(d.bs) {
		buf := make([]byte, e.Size)
		if err := readExact(rc, buf, e.Size, ino.path); err != nil {
			return err
		}
		key := dupKey{uint64(e.Size), sha256.Sum256(buf)}
		if prev := d.smallDup[key]; prev != nil {
			f.frag, f.fragOff = prev.frag, prev.fragOff
			return nil
		}
		d.smallDup[key] = f
		if len(d.fragBuf)+len(buf) > d.bs {
			d.flushFrag()
		}
		if d.fragBuf == nil {
			d.fragBuf = make([]byte, 0, d.bs)
		}
		f.frag, f.fragOff = d.nfrag, uint32(len(d.fragBuf))
		d.fragBuf = append(d.fragBuf, buf...)
		return nil
	}
	n := (e.Size + int64(d.bs) - 1) / int64(d.bs)
	f.blocks = make([]uint32, n)
	d.submit(&job{kind: jobBegin, file: f})
	h := sha256.New()
	var tag [9]byte
	for i := range n {
		l := min(int64(d.bs), e.Size-i*int64(d.bs))
		b := d.readBuf[:l]
		if _, err := io.ReadFull(rc, b); err != nil {
			return fmt.Errorf("%s: reading block %d: %w (file shorter than its size %d?)", ino.path, i, err, e.Size)
		}
		if bytes.Equal(b, d.zero[:l]) {
			f.sparse += uint64(l)
			tag[0] = 0
			binary.LittleEndian.PutUint64(tag[1:], uint64(l))
			h.Write(tag[:])
			continue
		}
		tag[0] = 1
		h.Write(tag[:1])
		h.Write(b)
		d.submit(&job{kind: jobData, raw: bytes.Clone(b), file: f, idx: int(i)})
	}
	if err := checkEOF(rc, ino.path, e.Size); err != nil {
		return err
	}
	j := &job{kind: jobEnd, file: f, key: dupKey{size: uint64(e.Size)}}
	h.Sum(j.key.sum[:0])
	d.submit(j)
	return nil
}

// holes records a file of Size zero bytes without reading it; its dedup key
// is the one file would compute for the same content.
func (d *dataWriter) holes(f *fileData) error {
	n := (int64(f.size) + int64(d.bs) - 1) / int64(d.bs)
	f.blocks = make([]uint32, n)
	f.sparse = f.size
	d.submit(&job{kind: jobBegin, file: f})
	h := sha256.New()
	var tag [9]byte
	for i := range n {
		binary.LittleEndian.PutUint64(tag[1:], uint64(min(int64(d.bs), int64(f.size)-i*int64(d.bs))))
		h.Write(tag[:])
	}
	j := &job{kind: jobEnd, file: f, key: dupKey{size: f.size}}
	h.Sum(j.key.sum[:0])
	d.submit(j)
	return nil
}

func (d *dataWriter) flushFrag() {
	d.submit(&job{kind: jobFrag, raw: d.fragBuf})
	d.fragBuf = nil
	d.nfrag++
}

func readExact(r io.Reader, buf []byte, size int64, path string) error {
	if _, err := io.ReadFull(r, buf); err != nil {
		return fmt.Errorf("%s: %w (file shorter than its size %d?)", path, err, size)
	}
	return checkEOF(r, path, size)
}

func checkEOF(r io.Reader, path string, size int64) error {
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return fmt.Errorf("%s: file longer than its size %d", path, size)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}
