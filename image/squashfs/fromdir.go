package squashfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
}

// FromDir reads the directory tree at root (not following symlinks) into a
// Tree. Regular files are not read now: their entries open the host file
// when the image is written, and Write fails if a file's size changed. Files
// sharing an inode become hard links to the first of their names in
// bytewise depth-first order.
func FromDir(root string, o DirOptions) (*Tree, error) {
	t := NewTree()
	t.DefaultMtime = o.Mtime
	type devIno struct{ dev, ino uint64 }
	seen := map[devIno]string{}
	var walk func(host, rel string) error
	walk = func(host, rel string) error {
		fi, err := os.Lstat(host)
		if err != nil {
			return err
		}
		st := statOf(fi)
		e := Entry{Path: rel, Mode: fi.Mode() &^ fs.ModeTemporary &^ fs.ModeAppend &^ fs.ModeExclusive, Uid: st.uid, Gid: st.gid, Mtime: fi.ModTime().Unix()}
		if o.AllRoot {
			e.Uid, e.Gid = 0, 0
		}
		if o.SetMtime || o.ClampMtime && e.Mtime > o.Mtime {
			e.Mtime = o.Mtime
		}
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
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", root)
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	return t, nil
}

type hostStat struct {
	uid, gid     uint32
	dev, ino     uint64
	nlink        uint64
	major, minor uint32
}
