package sif

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Extract unpacks a SquashFS image into dir (which must exist): files,
// directories (with their permission bits, sticky included) and symlinks,
// verbatim; ownership is not changed. It is what "moobuild --test" runs the
// image's %test in.
func Extract(img []byte, dir string) error {
	sq, err := newSqReader(img)
	if err != nil {
		return err
	}
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	err = sq.walk(func(p string, in *sqInode) error {
		if p == "" {
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		m := in.mode
		switch {
		case m.IsDir():
			if err := os.Mkdir(dst, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirMode{dst, m})
		case m&fs.ModeSymlink != 0:
			return os.Symlink(in.target, dst)
		case m.IsRegular():
			// Copied a block at a time: memory does not grow with
			// the file's size, and holes stay holes.
			f, err := sq.open(in)
			if err != nil {
				return fmt.Errorf("/%s: %v", p, err)
			}
			out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if err := f.writeTo(out); err != nil {
				out.Close()
				return fmt.Errorf("/%s: %v", p, err)
			}
			if err := out.Close(); err != nil {
				return err
			}
			return os.Chmod(dst, m&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
		default:
			return fmt.Errorf("/%s: %v not extracted", p, m.Type())
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Directory modes last, deepest first, so read-only ones can be filled.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i].path, dirs[i].mode&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid)); err != nil {
			return err
		}
	}
	return nil
}
