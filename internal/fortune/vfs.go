package fortune

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/moobox/moobox/fortunes"
)

// embedRoot names the directory of moobox's own fortunes, compiled into
// the binary. fortune uses it when no fortune directory exists (a scratch
// image, a fresh machine).
const embedRoot = "moobox:fortunes"

// vfs gives fortune one view of the real file system (paths resolved
// against the applet's directory) and the embedded fortunes.
type vfs struct {
	dir string // the applet's working directory
}

func isEmbed(p string) bool { return p == embedRoot || strings.HasPrefix(p, embedRoot+"/") }

// embedName maps an embedded path to its name in fortunes.FS.
func embedName(p string) string {
	if p == embedRoot {
		return "."
	}
	return strings.TrimPrefix(p, embedRoot+"/")
}

func (v vfs) real(p string) string {
	if p == "" || p[0] == '/' || v.dir == "" {
		return p
	}
	return v.dir + "/" + p
}

// stat reports whether p exists and is a directory; err carries an errno.
func (v vfs) stat(p string) (isDir bool, err error) {
	if isEmbed(p) {
		fi, err := fs.Stat(fortunes.FS, embedName(p))
		if err != nil {
			return false, syscall.ENOENT
		}
		return fi.IsDir(), nil
	}
	fi, err := os.Stat(v.real(p))
	if err != nil {
		return false, errnoOf(err)
	}
	return fi.IsDir(), nil
}

// canRead is access(p, R_OK) for files and open(p) for the check fortune
// makes before accepting a path.
func (v vfs) canRead(p string) error {
	if isEmbed(p) {
		_, err := v.stat(p)
		return err
	}
	f, err := os.Open(v.real(p))
	if err != nil {
		return errnoOf(err)
	}
	f.Close()
	return nil
}

// readDir lists a directory in the order the file system returns it, as
// fortune-mod's readdir loop sees it (it does not sort).
func (v vfs) readDir(p string) ([]string, error) {
	if isEmbed(p) {
		ents, err := fs.ReadDir(fortunes.FS, embedName(p))
		if err != nil {
			return nil, syscall.ENOENT
		}
		names := make([]string, len(ents))
		for i, e := range ents {
			names[i] = e.Name()
		}
		return names, nil
	}
	f, err := os.Open(v.real(p))
	if err != nil {
		return nil, errnoOf(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, errnoOf(err)
	}
	return names, nil
}

func (v vfs) readFile(p string) ([]byte, error) {
	if isEmbed(p) {
		b, err := fs.ReadFile(fortunes.FS, embedName(p))
		if err != nil {
			return nil, syscall.ENOENT
		}
		return b, nil
	}
	b, err := os.ReadFile(v.real(p))
	if err != nil {
		return nil, errnoOf(err)
	}
	return b, nil
}

// readAt reads up to n bytes of p from off: enough of a fortune file for
// one fortune without reading all of it.
func (v vfs) readAt(p string, off int64, n int) ([]byte, error) {
	if isEmbed(p) {
		b, err := v.readFile(p)
		if err != nil {
			return nil, err
		}
		if off >= int64(len(b)) {
			return nil, nil
		}
		return b[off:min(int64(len(b)), off+int64(n))], nil
	}
	f, err := os.Open(v.real(p))
	if err != nil {
		return nil, errnoOf(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := f.ReadAt(buf, off)
	if k > 0 || err == nil || errors.Is(err, syscall.EINVAL) {
		return buf[:k], nil
	}
	if k == 0 && err != nil && err.Error() == "EOF" {
		return nil, nil
	}
	return buf[:k], nil
}

func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	if errors.Is(err, fs.ErrNotExist) {
		return syscall.ENOENT
	}
	if errors.Is(err, fs.ErrPermission) {
		return syscall.EACCES
	}
	return syscall.EIO
}
