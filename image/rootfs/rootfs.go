// Package rootfs assembles moobox's root filesystem as one in-memory tree.
// The OCI layer writer (image/oci) and the SIF's squashfs writer both
// consume the same tree, so the two images hold the same files.
//
// Every entry is owned by uid/gid 0 and carries the tree's single
// timestamp (SOURCE_DATE_EPOCH): nothing of the build machine (its user,
// umask, clock, locale, directories) reaches the tree.
package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Entry is one file, directory or symlink of the tree.
type Entry struct {
	// Path is slash-separated and relative to the root, without a
	// leading "/" or "./" ("usr/bin/sh"). The root itself is not an entry.
	Path string
	// Mode holds the type (0 for a regular file, fs.ModeDir,
	// fs.ModeSymlink) and the permission bits, with fs.ModeSticky for
	// the tmp directories. Symlinks are always 0777.
	Mode fs.FileMode
	// Target is a symlink's target, as stored (relative or absolute).
	Target string
	// Data is a regular file's content.
	Data []byte
}

// IsDir, IsSymlink and IsRegular classify the entry.
func (e *Entry) IsDir() bool     { return e.Mode&fs.ModeDir != 0 }
func (e *Entry) IsSymlink() bool { return e.Mode&fs.ModeSymlink != 0 }
func (e *Entry) IsRegular() bool { return e.Mode.IsRegular() }

// Tree is a root filesystem. The zero value is not usable: call New.
type Tree struct {
	// MTime is the modification time of every entry (and of the root).
	MTime time.Time
	m     map[string]*Entry
}

// New returns an empty tree whose entries will carry mtime.
func New(mtime time.Time) *Tree {
	return &Tree{MTime: mtime.UTC().Truncate(time.Second), m: map[string]*Entry{}}
}

// CleanPath validates p and returns it relative to the root ("/usr/bin/"
// gives "usr/bin"). It refuses "..", empty paths and the root.
func CleanPath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("path %q contains a NUL byte", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", fmt.Errorf("path %q escapes the root with ..", p)
		}
	}
	c := strings.TrimPrefix(path.Clean("/"+p), "/")
	if c == "" {
		return "", fmt.Errorf("path %q names the root", p)
	}
	return c, nil
}

// Add inserts e, creating missing parent directories (0755). Adding a
// path that already exists replaces it if both are regular files or both
// symlinks, or, for two directories, updates the mode; anything else is
// an error, as are setuid/setgid bits and world-writable entries other
// than sticky directories.
func (t *Tree) Add(e Entry) error {
	p, err := CleanPath(e.Path)
	if err != nil {
		return err
	}
	e.Path = p
	switch {
	case e.Mode&fs.ModeSymlink != 0:
		if e.Mode&^(fs.ModeSymlink|fs.ModePerm) != 0 {
			return fmt.Errorf("%s: bad symlink mode %v", p, e.Mode)
		}
		if e.Target == "" {
			return fmt.Errorf("%s: symlink with an empty target", p)
		}
		e.Mode = fs.ModeSymlink | 0o777
		e.Data = nil
	case e.Mode&fs.ModeDir != 0:
		if e.Mode&^(fs.ModeDir|fs.ModeSticky|fs.ModePerm) != 0 {
			return fmt.Errorf("%s: unsupported directory mode %v", p, e.Mode)
		}
		if e.Mode&0o002 != 0 && e.Mode&fs.ModeSticky == 0 {
			return fmt.Errorf("%s: world-writable directory without the sticky bit", p)
		}
		e.Data, e.Target = nil, ""
	case e.Mode.IsRegular():
		if e.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("%s: unsupported file mode %v (no setuid, setgid or sticky files)", p, e.Mode)
		}
		if e.Mode&0o002 != 0 {
			return fmt.Errorf("%s: world-writable file", p)
		}
		e.Target = ""
	default:
		return fmt.Errorf("%s: unsupported file type %v (only files, directories and symlinks)", p, e.Mode.Type())
	}
	if err := t.mkdirs(path.Dir(p)); err != nil {
		return err
	}
	if old, ok := t.m[p]; ok {
		if old.Mode.Type() != e.Mode.Type() {
			return fmt.Errorf("%s: already in the tree as a %s", p, kind(old.Mode))
		}
	}
	t.m[p] = &e
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDir != 0:
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "file"
}

func (t *Tree) mkdirs(dir string) error {
	if dir == "." || dir == "" {
		return nil
	}
	if old, ok := t.m[dir]; ok {
		if !old.IsDir() {
			return fmt.Errorf("%s: parent is a %s, not a directory", dir, kind(old.Mode))
		}
		return nil
	}
	if err := t.mkdirs(path.Dir(dir)); err != nil {
		return err
	}
	t.m[dir] = &Entry{Path: dir, Mode: fs.ModeDir | 0o755}
	return nil
}

// Mkdir, WriteFile and Symlink are shorthands for Add.
func (t *Tree) Mkdir(p string, perm fs.FileMode) error {
	return t.Add(Entry{Path: p, Mode: fs.ModeDir | perm})
}
func (t *Tree) WriteFile(p string, data []byte, perm fs.FileMode) error {
	return t.Add(Entry{Path: p, Mode: perm, Data: data})
}
func (t *Tree) Symlink(target, p string) error {
	return t.Add(Entry{Path: p, Mode: fs.ModeSymlink | 0o777, Target: target})
}

// Lookup returns the entry at p.
func (t *Tree) Lookup(p string) (Entry, bool) {
	c, err := CleanPath(p)
	if err != nil {
		return Entry{}, false
	}
	e, ok := t.m[c]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Remove deletes p and everything below it.
func (t *Tree) Remove(p string) error {
	c, err := CleanPath(p)
	if err != nil {
		return err
	}
	if _, ok := t.m[c]; !ok {
		return fmt.Errorf("%s: %w", c, fs.ErrNotExist)
	}
	for k := range t.m {
		if k == c || strings.HasPrefix(k, c+"/") {
			delete(t.m, k)
		}
	}
	return nil
}

// Len is the number of entries.
func (t *Tree) Len() int { return len(t.m) }

// Entries returns copies of the entries sorted by path in byte order, so
// a directory always comes before its contents. The Data slices are
// shared with the tree: do not modify them.
func (t *Tree) Entries() []Entry {
	out := make([]Entry, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Walk calls fn for each entry in Entries order, stopping at the first error.
func (t *Tree) Walk(fn func(Entry) error) error {
	for _, e := range t.Entries() {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Clone returns a copy of t sharing the file contents.
func (t *Tree) Clone() *Tree {
	c := &Tree{MTime: t.MTime, m: make(map[string]*Entry, len(t.m))}
	for k, e := range t.m {
		ec := *e
		c.m[k] = &ec
	}
	return c
}

// AddFS copies every file, directory and symlink of fsys under dir.
// Files get 0644 (0755 when any execute bit is set in fsys) and
// directories 0755, so the host's modes and umask do not leak in.
func (t *Tree) AddFS(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := path.Join(dir, p)
		switch {
		case d.IsDir():
			return t.Mkdir(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			rl, ok := fsys.(fs.ReadLinkFS)
			if !ok {
				return fmt.Errorf("%s: symlink in a file system that cannot read links", p)
			}
			tgt, err := rl.ReadLink(p)
			if err != nil {
				return err
			}
			return t.Symlink(tgt, dst)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			perm := fs.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				perm = 0o755
			}
			return t.WriteFile(dst, data, perm)
		}
		return fmt.Errorf("%s: unsupported file type %v", p, d.Type())
	})
}

// ErrEmpty is returned by writers given a tree with no entries.
var ErrEmpty = errors.New("rootfs: empty tree")
