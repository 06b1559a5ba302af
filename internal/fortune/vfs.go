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
	// Raw system calls: os.File's poller bookkeeping costs more than the
	// work here, and fortune's latency is mostly such calls.
	var sb syscall.Stat_t
	if err := syscall.Stat(v.real(p), &sb); err != nil {
		return false, errnoOf(err)
	}
	return sb.Mode&syscall.S_IFMT == syscall.S_IFDIR, nil
}

// canRead is access(p, R_OK) for files and open(p) for the check fortune
// makes before accepting a path.
func (v vfs) canRead(p string) error {
	if isEmbed(p) {
		_, err := v.stat(p)
		return err
	}
	if err := syscall.Access(v.real(p), 4 /* R_OK */); err != nil {
		return errnoOf(err)
	}
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
	fd, err := syscall.Open(v.real(p), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errnoOf(err)
	}
	defer syscall.Close(fd)
	var sb syscall.Stat_t
	if err := syscall.Fstat(fd, &sb); err != nil {
		return nil, errnoOf(err)
	}
	buf := make([]byte, 0, max(sb.Size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, errnoOf(err)
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// readAt reads up to n bytes of p from off: enough of a fortune file for
// one fortune, or of an index for its header, without reading all of it.
func (v vfs) readAt(p string, off int64, n int) ([]byte, error) {
	if isEmbed(p) {
		b, err := v.readFile(p)
		if err != nil {
			return nil, err
		}
		if off < 0 || off >= int64(len(b)) {
			return nil, nil
		}
		return b[off:min(int64(len(b)), off+int64(n))], nil
	}
	fd, err := syscall.Open(v.real(p), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errnoOf(err)
	}
	defer syscall.Close(fd)
	buf := make([]byte, n)
	k := 0
	for k < n {
		m, err := syscall.Pread(fd, buf[k:], off+int64(k))
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m == 0 {
			break // past the end (or an offset too large): what was read
		}
		k += m
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
