package squashfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"
)

// DirOptions control FromDir.
type DirOptions struct {
	// AllRoot makes every file owned by 0:0 (mksquashfs -all-root).
	AllRoot bool
	// SetMtime gives every file the mtime Mtime.
	SetMtime bool
	// ClampMtime lowers mtimes later than Mtime to Mtime, which is what
	// mksquashfs does with SOURCE_DATE_EPOCH.
	ClampMtime bool
	Mtime      int64
	// Skip names a file left out of the tree wherever it appears under
	// root, matched by device and inode: the output image, which
	// mksquashfs leaves out of its own input. A Skip that does not exist
	// skips nothing.
	Skip string
}

// FromDir reads the directory tree at root (not following symlinks) into a
// Tree. Regular files are not read now: their entries open the host file
// when the image is written, and Write fails if a file's size changed. Files
// sharing an inode become hard links to the first of their names in
// bytewise depth-first order.
//
// A root that is not a directory, a symlink to one included (unless
// written with a trailing slash), is not followed: as with mksquashfs, the
// image's root is then a directory holding that one file under its base
// name, mode 0777, owned by the calling user (or root with AllRoot) and
// dated now (subject to SetMtime and ClampMtime).
func FromDir(root string, o DirOptions) (*Tree, error) {
	t := NewTree()
	t.DefaultMtime = o.Mtime
	type devIno struct{ dev, ino uint64 }
	seen := map[devIno]string{}
	var skip *devIno
	if o.Skip != "" {
		// Lstat: an output that is a symlink is replaced, not written
		// through, so the file it points at stays in the tree.
		if fi, err := os.Lstat(o.Skip); err == nil && fi.Mode().IsRegular() {
			st := statOf(fi)
			skip = &devIno{st.dev, st.ino}
		}
	}
	var walk func(host, rel string) error
	walk = func(host, rel string) error {
		fi, err := os.Lstat(host)
		if err != nil {
			return err
		}
		st := statOf(fi)
		if skip != nil && fi.Mode().IsRegular() && *skip == (devIno{st.dev, st.ino}) {
			return nil
		}
		e := o.entry(rel, fi.Mode()&^fs.ModeTemporary&^fs.ModeAppend&^fs.ModeExclusive, st.uid, st.gid, fi.ModTime().Unix())
		if !fi.IsDir() && st.nlink > 1 {
			k := devIno{st.dev, st.ino}
			if first, ok := seen[k]; ok {
				return t.Add(Entry{Path: rel, HardLink: first})
			}
			seen[k] = rel
		}
		switch fi.Mode() & modeTypeBits {
		case 0:
			e.Size = fi.Size()
			e.Open = func() (io.ReadCloser, error) { return os.Open(host) }
		case fs.ModeSymlink:
			if e.Target, err = os.Readlink(host); err != nil {
				return err
			}
		case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			e.Major, e.Minor = st.major, st.minor
		case fs.ModeDir, fs.ModeNamedPipe, fs.ModeSocket:
		default:
			return fmt.Errorf("%s: unsupported file type %v", host, fi.Mode())
		}
		if err := t.Add(e); err != nil {
			return fmt.Errorf("%s: %w", host, err)
		}
		if !fi.IsDir() {
			return nil
		}
		f, err := os.Open(host)
		if err != nil {
			return err
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return err
		}
		slices.Sort(names)
		for _, name := range names {
			if err := walk(filepath.Join(host, name), path.Join(rel, name)); err != nil {
				return err
			}
		}
		return nil
	}
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	rel := ""
	if !fi.IsDir() {
		uid, gid := os.Getuid(), os.Getgid()
		if err := t.Add(o.entry("", fs.ModeDir|0o777, uint32(max(uid, 0)), uint32(max(gid, 0)), time.Now().Unix())); err != nil {
			return nil, err
		}
		rel = filepath.Base(root)
	}
	if err := walk(root, rel); err != nil {
		return nil, err
	}
	return t, nil
}

// entry applies o to a file's attributes.
func (o *DirOptions) entry(rel string, mode fs.FileMode, uid, gid uint32, mtime int64) Entry {
	if o.AllRoot {
		uid, gid = 0, 0
	}
	if o.SetMtime || o.ClampMtime && mtime > o.Mtime {
		mtime = o.Mtime
	}
	return Entry{Path: rel, Mode: mode, Uid: uid, Gid: gid, Mtime: mtime}
}

type hostStat struct {
	uid, gid     uint32
	dev, ino     uint64
	nlink        uint64
	major, minor uint32
}
