// Package fsfmt formats file metadata the way busybox prints it: mode
// strings, human-readable sizes and times in the applet's time zone.
package fsfmt

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// File type bits of st_mode.
const (
	IFMT   = 0o170000
	IFSOCK = 0o140000
	IFLNK  = 0o120000
	IFREG  = 0o100000
	IFBLK  = 0o060000
	IFDIR  = 0o040000
	IFCHR  = 0o020000
	IFIFO  = 0o010000
)

// typeChars maps (mode>>12)&15 to the first letter of a mode string.
const typeChars = "?pc?d?b?-?l?s???"

// ModeString renders a raw st_mode as "drwxr-xr-x", with s/S, t/T for the
// set-id and sticky bits.
func ModeString(mode uint32) string {
	var b [10]byte
	b[0] = typeChars[(mode>>12)&15]
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	special := func(pos int, bit uint32, set, unset byte) {
		if mode&bit == 0 {
			return
		}
		if b[pos] == 'x' {
			b[pos] = set
		} else {
			b[pos] = unset
		}
	}
	special(3, 0o4000, 's', 'S')
	special(6, 0o2000, 's', 'S')
	special(9, 0o1000, 't', 'T')
	return string(b[:])
}

// FileType names the type of a raw st_mode as stat(1) does.
func FileType(mode uint32, size int64) string {
	switch mode & IFMT {
	case IFREG:
		if size == 0 {
			return "regular empty file"
		}
		return "regular file"
	case IFDIR:
		return "directory"
	case IFLNK:
		return "symbolic link"
	case IFCHR:
		return "character special file"
	case IFBLK:
		return "block special file"
	case IFIFO:
		return "fifo"
	case IFSOCK:
		return "socket"
	}
	return "weird file"
}

// Human renders val*blockSize the way busybox's make_human_readable_str
// does: with displayUnit != 0, as a whole number of those units (rounded);
// otherwise scaled to K, M, G... with one decimal, or with none when
// blockSize is 0.
func Human(val, blockSize, displayUnit uint64) string {
	if val == 0 {
		return "0"
	}
	if blockSize > 1 {
		val *= blockSize
	}
	if displayUnit != 0 {
		val += displayUnit / 2
		val /= displayUnit
		return strconv.FormatUint(val, 10)
	}
	const units = "\x00KMGTPEZY"
	u := 0
	frac := uint64(0)
	for val >= 1024 {
		u++
		frac = ((val%1024)*10 + 1024/2) / 1024
		val /= 1024
	}
	if frac >= 10 {
		val++
		frac = 0
	}
	if u == 0 {
		return strconv.FormatUint(val, 10)
	}
	if blockSize == 0 {
		if frac >= 5 {
			val++
		}
		return strconv.FormatUint(val, 10) + string(units[u])
	}
	return strconv.FormatUint(val, 10) + "." + strconv.FormatUint(frac, 10) + string(units[u])
}

// Location returns the time zone named by a TZ value as the C library reads
// it: unset means the system's local zone, empty means UTC, a leading ':'
// is dropped. Names Go cannot load fall back to UTC, as glibc does.
func Location(tz string, set bool) *time.Location {
	if !set {
		// Read the system zone here rather than use time.Local, which
		// follows the process's TZ, not the applet's environment.
		if data, err := os.ReadFile("/etc/localtime"); err == nil {
			if loc, err := time.LoadLocationFromTZData("Local", data); err == nil {
				return loc
			}
		}
		return time.UTC
	}
	tz = strings.TrimPrefix(tz, ":")
	if tz == "" || tz == "UTC" || tz == "UTC0" || tz == "GMT" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}
