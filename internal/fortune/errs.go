package fortune

import (
	"errors"
	"io/fs"
	"syscall"
)

// strerror renders err as glibc's perror would: Go's errno texts are
// glibc's with the first letter lowered.
func strerror(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return errnoText(en)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, fs.ErrInvalid):
		return "Invalid argument"
	}
	return err.Error()
}

func errnoText(en syscall.Errno) string {
	if en == 0 {
		return "Success"
	}
	s := en.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
