package squashfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
)

// Entry describes one file of a Tree.
//
// Mode carries both the file type (fs.ModeDir, fs.ModeSymlink,
// fs.ModeNamedPipe, fs.ModeSocket, fs.ModeDevice, fs.ModeDevice|
// fs.ModeCharDevice, or no type bit for a regular file) and the permission
// bits including fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky.
type Entry struct {
	// Path is slash-separated and relative to the root ("usr/bin/sh").
	// "" or "." is the root directory itself. Names are arbitrary bytes
	// except "/" and NUL, at most 256 bytes each.
	Path string
	Mode fs.FileMode
	Uid  uint32
	Gid  uint32
	// Mtime is in seconds since the Unix epoch; SquashFS stores 32 unsigned
	// bits, so values outside [0, 2^32-1] are clamped.
	Mtime int64
	// Target is a symlink's target (1 to 4095 bytes, stored verbatim:
	// dangling and absolute targets are fine).
	Target string
	// Major and Minor are a device node's numbers.
	Major, Minor uint32
	// HardLink, when not empty, makes this entry a hard link to the entry
	// at that path (tar's TypeLink semantics): both names share one inode,
	// and every other field of this entry is ignored.
	HardLink string
	// Size is a regular file's length. Content comes from Data when it is
	// not nil (then Size may be 0 and len(Data) is used), else from Open,
	// which must yield exactly Size bytes. With neither, the file holds
	// Size zero bytes (a sparse file).
	Size int64
	Data []byte
	Open func() (io.ReadCloser, error)
}

// Tree is an in-memory file system tree, the writer's input. Build it with
// Add (in any order) or FromDir. A Tree is not safe for concurrent Add.
type Tree struct {
	// DefaultMtime is the mtime of directories created implicitly as
	// parents of added paths (they are also mode 0755, owned by 0:0).
	DefaultMtime int64

	root *node
}

type node struct {
	e        Entry
	name     string
	explicit bool
	children map[string]*node
	sorted   []*node
}

// NewTree returns a tree holding only a root directory (mode 0755, 0:0).
func NewTree() *Tree {
	return &Tree{root: &node{e: Entry{Mode: fs.ModeDir | 0o755}, children: map[string]*node{}}}
}

func splitPath(p string) ([]string, error) {
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	for _, s := range parts {
		switch {
		case s == "" || s == ".":
			return nil, fmt.Errorf("path %q: empty or \".\" component", p)
		case s == "..":
			return nil, fmt.Errorf("path %q: \"..\" component", p)
		case len(s) > 256:
			return nil, fmt.Errorf("path %q: name longer than 256 bytes", p)
		case strings.IndexByte(s, 0) >= 0:
			return nil, fmt.Errorf("path %q: NUL byte in name", p)
		}
	}
	return parts, nil
}

// Add inserts e. Missing parent directories are created implicitly; adding
// a directory that was implicitly created sets its attributes. Adding any
// other path twice is an error.
func (t *Tree) Add(e Entry) error {
	parts, err := splitPath(e.Path)
	if err != nil {
		return err
	}
	if e.HardLink == "" {
		if err := checkEntry(&e); err != nil {
			return fmt.Errorf("%q: %w", e.Path, err)
		}
	} else if _, err := splitPath(e.HardLink); err != nil {
		return err
	}
	if len(parts) == 0 {
		if e.HardLink != "" || !e.Mode.IsDir() {
			return errors.New("root must be a directory")
		}
		if t.root.explicit {
			return errors.New("root added twice")
		}
		t.root.e, t.root.explicit = e, true
		return nil
	}
	dir := t.root
	for _, name := range parts[:len(parts)-1] {
		c := dir.children[name]
		if c == nil {
			c = &node{name: name, e: Entry{Mode: fs.ModeDir | 0o755, Mtime: t.DefaultMtime}, children: map[string]*node{}}
			dir.children[name] = c
			dir.sorted = nil
		} else if c.children == nil {
			return fmt.Errorf("%q: parent %q is not a directory", e.Path, name)
		}
		dir = c
	}
	name := parts[len(parts)-1]
	if c := dir.children[name]; c != nil {
		if c.explicit || c.children == nil || e.HardLink != "" || !e.Mode.IsDir() {
			return fmt.Errorf("%q added twice", e.Path)
		}
		c.e, c.explicit = e, true
		return nil
	}
	n := &node{name: name, e: e, explicit: true}
	if e.HardLink == "" && e.Mode.IsDir() {
		n.children = map[string]*node{}
	}
	dir.children[name] = n
	dir.sorted = nil
	return nil
}

const modeTypeBits = fs.ModeDir | fs.ModeSymlink | fs.ModeNamedPipe | fs.ModeSocket | fs.ModeDevice | fs.ModeCharDevice | fs.ModeIrregular

func checkEntry(e *Entry) error {
	switch e.Mode & modeTypeBits {
	case 0:
		if e.Data != nil {
			if e.Size != 0 && e.Size != int64(len(e.Data)) {
				return fmt.Errorf("Size %d but %d bytes of Data", e.Size, len(e.Data))
			}
			e.Size = int64(len(e.Data))
		}
		if e.Size < 0 {
			return errors.New("negative size")
		}
	case fs.ModeSymlink:
		if e.Target == "" || len(e.Target) > 4095 || strings.IndexByte(e.Target, 0) >= 0 {
			return errors.New("symlink target must be 1 to 4095 bytes without NUL")
		}
	case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
		if e.Major > 0xfff || e.Minor > 0xfffff {
			return fmt.Errorf("device %d:%d out of range (12-bit major, 20-bit minor)", e.Major, e.Minor)
		}
	case fs.ModeDir, fs.ModeNamedPipe, fs.ModeSocket:
	default:
		return fmt.Errorf("unsupported file mode %v", e.Mode)
	}
	return nil
}

func (n *node) sortedChildren() []*node {
	if n.sorted == nil && len(n.children) > 0 {
		n.sorted = make([]*node, 0, len(n.children))
		for _, c := range n.children {
			n.sorted = append(n.sorted, c)
		}
		// Bytewise order: the kernel's lookup stops early relying on it.
		sort.Slice(n.sorted, func(i, j int) bool { return n.sorted[i].name < n.sorted[j].name })
	}
	return n.sorted
}

// Walk calls fn for every entry in a fixed order: a directory before its
// contents, names sorted bytewise. Paths are relative ("" for the root);
// implicitly created directories are included. Hard links appear with
// HardLink set, as added. This is the order an OCI tar layer wants.
func (t *Tree) Walk(fn func(e *Entry) error) error {
	var walk func(n *node, p string) error
	walk = func(n *node, p string) error {
		e := n.e
		e.Path = p
		if err := fn(&e); err != nil {
			return err
		}
		for _, c := range n.sortedChildren() {
			cp := c.name
			if p != "" {
				cp = p + "/" + c.name
			}
			if err := walk(c, cp); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(t.root, "")
}

func (t *Tree) lookup(p string) *node {
	parts, err := splitPath(p)
	if err != nil {
		return nil
	}
	n := t.root
	for _, s := range parts {
		if n.children == nil {
			return nil
		}
		if n = n.children[s]; n == nil {
			return nil
		}
	}
	return n
}

// open returns the content reader of a regular file entry.
func (e *Entry) open() (io.ReadCloser, error) {
	switch {
	case e.Data != nil:
		return io.NopCloser(bytes.NewReader(e.Data)), nil
	case e.Open != nil:
		return e.Open()
	default:
		return io.NopCloser(io.LimitReader(zeroReader{}, e.Size)), nil
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
