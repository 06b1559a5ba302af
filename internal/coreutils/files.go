package coreutils

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
)

const mkdirUsage = `Usage: mkdir [-m MODE] [-p] DIRECTORY...

Create DIRECTORYs

	-m MODE	Give them MODE (octal)
	-p	Create missing parents; existing directories are no error`

// Mkdir creates directories.
func Mkdir(c *applet.Ctx) int {
	if wantsHelp(c, mkdirUsage) {
		return 0
	}
	o, dirs, ok := parseOpts(c, "m:pv", mkdirUsage)
	if !ok {
		return 1
	}
	if len(dirs) == 0 {
		return usageFail(c, mkdirUsage)
	}
	mode := os.FileMode(0o777)
	explicit := false
	if o.has('m') {
		m, err := strconv.ParseUint(o.val('m', ""), 8, 32)
		if err != nil || m > 0o7777 {
			errorf(c, "invalid mode '%s'", o.val('m', ""))
			return 1
		}
		mode, explicit = unixMode(uint32(m)), true
	}
	rc := 0
	for _, d := range dirs {
		p := c.Path(d)
		var err error
		if o.has('p') {
			err = os.MkdirAll(p, mode)
		} else {
			err = os.Mkdir(p, mode)
		}
		if err == nil && explicit {
			// The umask applied at creation; -m means exactly MODE.
			err = os.Chmod(p, mode)
		}
		if err != nil {
			errorf(c, "can't create directory '%s': %s", d, errText(err))
			rc = 1
		}
	}
	return rc
}

// unixMode converts permission bits including setuid/setgid/sticky.
func unixMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

const rmdirUsage = `Usage: rmdir [-p] DIRECTORY...

Remove empty DIRECTORYs

	-p	Remove their parents too, while they become empty`

// Rmdir removes empty directories.
func Rmdir(c *applet.Ctx) int {
	if wantsHelp(c, rmdirUsage) {
		return 0
	}
	ignore := false
	args := c.Args[:1:1]
	for _, a := range c.Args[1:] {
		if a == "--ignore-fail-on-non-empty" {
			ignore = true
			continue
		}
		args = append(args, a)
	}
	cc := *c
	cc.Args = args
	o, dirs, ok := parseOpts(&cc, "p", rmdirUsage)
	if !ok {
		return 1
	}
	if len(dirs) == 0 {
		return usageFail(c, rmdirUsage)
	}
	rc := 0
	for _, d := range dirs {
		for {
			err := syscall.Rmdir(c.Path(d))
			if err != nil {
				if !(ignore && (err == syscall.ENOTEMPTY || err == syscall.EEXIST)) {
					errorf(c, "'%s': %s", d, errText(err))
					rc = 1
				}
				break
			}
			if !o.has('p') {
				break
			}
			d = strings.TrimRight(d, "/")
			i := strings.LastIndexByte(d, '/')
			if i <= 0 {
				break
			}
			d = strings.TrimRight(d[:i], "/")
		}
	}
	return rc
}

const rmUsage = `Usage: rm [-irf] FILE...

Remove FILEs

	-i	Ask before each removal
	-f	Never ask, ignore missing files
	-R,-r	Remove directories and their contents`

// Rm removes files and, with -r, directory trees.
func Rm(c *applet.Ctx) int {
	if wantsHelp(c, rmUsage) {
		return 0
	}
	o, files, ok := parseOpts(c, "ifrRv", rmUsage)
	if !ok {
		return 1
	}
	force := o.has('f')
	if len(files) == 0 {
		if force {
			return 0
		}
		return usageFail(c, rmUsage)
	}
	recursive := o.has('r') || o.has('R')
	in := bufio.NewReader(c.Stdin)
	ask := func(format string, name string) bool {
		if !o.has('i') || force {
			return true
		}
		io.WriteString(c.Stderr, c.Name()+": "+strings.Replace(format, "%s", "'"+name+"'", 1)+"? ")
		line, _ := in.ReadString('\n')
		return strings.HasPrefix(strings.TrimSpace(line), "y")
	}
	rc := 0
	var remove func(name string) bool
	remove = func(name string) bool {
		p := c.Path(name)
		fi, err := os.Lstat(p)
		if err != nil {
			if force && errors.Is(err, fs.ErrNotExist) {
				return true
			}
			errorf(c, "can't remove '%s': %s", name, errText(err))
			return false
		}
		if fi.IsDir() {
			if !recursive {
				errorf(c, "'%s' is a directory", name)
				return false
			}
			if !ask("descend into directory %s", name) {
				return true
			}
			ents, err := os.ReadDir(p)
			if err != nil {
				errorf(c, "can't remove '%s': %s", name, errText(err))
				return false
			}
			ok := true
			for _, e := range ents {
				if !remove(filepath.Join(name, e.Name())) {
					ok = false
				}
			}
			if !ok {
				return false
			}
			if !ask("remove directory %s", name) {
				return true
			}
			if err := syscall.Rmdir(p); err != nil {
				errorf(c, "can't remove '%s': %s", name, errText(err))
				return false
			}
			return true
		}
		if !ask("remove %s", name) {
			return true
		}
		if err := syscall.Unlink(p); err != nil {
			errorf(c, "can't remove '%s': %s", name, errText(err))
			return false
		}
		return true
	}
	for _, f := range files {
		if b := baseName(f); b == "." || b == ".." {
			errorf(c, "can't remove '%s' or '%s'", ".", "..")
			rc = 1
			continue
		}
		if !remove(f) {
			rc = 1
		}
	}
	return rc
}

const cpUsage = `Usage: cp [-arPLHpfinlsTu] SOURCE DEST
or: cp [-arPLHpfinlsu] SOURCE... { -t DIRECTORY | DIRECTORY }

Copy SOURCEs to DEST, or into DIRECTORY

	-a	Same as -dpR
	-R,-r	Copy directories recursively
	-d,-P	Copy symlinks as symlinks (the default with -R)
	-L	Follow every symlink
	-H	Follow symlinks named on the command line
	-p	Keep mode, owner and times
	-f	Replace destinations that cannot be opened
	-i	Ask before replacing
	-n	Never replace
	-l,-s	Make hard (symbolic) links instead of copying
	-T	DEST is never a directory to copy into
	-t DIR	Copy every SOURCE into DIR
	-u	Copy only over older destinations`

// Cp copies files and trees.
func Cp(c *applet.Ctx) int {
	if wantsHelp(c, cpUsage) {
		return 0
	}
	o, args, ok := parseOpts(c, "arRdPLHpfinlsTt:uv", cpUsage)
	if !ok {
		return 1
	}
	cp := copier{c: c, o: o, in: bufio.NewReader(c.Stdin)}
	cp.recursive = o.has('a') || o.has('r') || o.has('R')
	cp.keepLinks = o.has('a') || o.has('d') || o.has('P') || cp.recursive && !o.has('L')
	cp.preserve = o.has('a') || o.has('p')
	return moveOrCopy(c, o, args, cpUsage, cp.copyTop)
}

// moveOrCopy resolves cp's and mv's operands: SOURCE DEST, or SOURCEs into
// a directory, and calls do for each pair.
func moveOrCopy(c *applet.Ctx, o *opts, args []string, usage string, do func(src, dst, shownDst string) bool) int {
	var dir string
	if o.has('t') {
		dir = o.val('t', "")
	} else {
		if len(args) < 2 {
			return usageFail(c, usage)
		}
		last := args[len(args)-1]
		args = args[:len(args)-1]
		fi, err := os.Stat(c.Path(last))
		isDir := err == nil && fi.IsDir()
		if o.has('T') || len(args) == 1 && !isDir {
			if len(args) != 1 {
				return usageFail(c, usage)
			}
			if do(args[0], c.Path(last), last) {
				return 0
			}
			return 1
		}
		// Several SOURCEs and a DEST that is no directory: busybox tries
		// each anyway and reports the failures one by one.
		dir = last
	}
	rc := 0
	for _, src := range args {
		shown := filepath.Join(dir, baseName(src))
		if !do(src, c.Path(shown), shown) {
			rc = 1
		}
	}
	return rc
}

type copier struct {
	c                              *applet.Ctx
	o                              *opts
	in                             *bufio.Reader
	recursive, keepLinks, preserve bool
}

func (cp *copier) copyTop(src, dst, shownDst string) bool {
	follow := !cp.keepLinks || cp.o.has('H') || cp.o.has('L')
	return cp.copy(src, cp.c.Path(src), dst, shownDst, follow)
}

func (cp *copier) copy(shownSrc, src, dst, shownDst string, follow bool) bool {
	c, o := cp.c, cp.o
	var fi os.FileInfo
	var err error
	if follow {
		fi, err = os.Stat(src)
	} else {
		fi, err = os.Lstat(src)
	}
	if err != nil {
		errorf(c, "can't stat '%s': %s", shownSrc, errText(err))
		return false
	}
	dfi, derr := os.Lstat(dst)
	if derr == nil && os.SameFile(fi, dfi) {
		errorf(c, "'%s' and '%s' are the same file", shownSrc, shownDst)
		return false
	}
	if derr == nil && !fi.IsDir() {
		if o.has('n') {
			return true
		}
		if o.has('u') && !dfi.ModTime().Before(fi.ModTime()) {
			return true
		}
		if o.has('i') {
			io.WriteString(c.Stderr, c.Name()+": overwrite '"+shownDst+"'? ")
			line, _ := cp.in.ReadString('\n')
			if !strings.HasPrefix(strings.TrimSpace(line), "y") {
				return true
			}
		}
	}
	switch {
	case fi.IsDir():
		if !cp.recursive {
			errorf(c, "omitting directory '%s'", shownSrc)
			return false
		}
		if derr != nil {
			if err := os.Mkdir(dst, fi.Mode().Perm()|0o700); err != nil {
				errorf(c, "can't create directory '%s': %s", shownDst, errText(err))
				return false
			}
		} else if !dfi.IsDir() {
			errorf(c, "can't create directory '%s': %s", shownDst, "File exists")
			return false
		}
		ents, err := os.ReadDir(src)
		if err != nil {
			errorf(c, "can't open '%s': %s", shownSrc, errText(err))
			return false
		}
		ok := true
		for _, e := range ents {
			n := e.Name()
			if !cp.copy(filepath.Join(shownSrc, n), filepath.Join(src, n), filepath.Join(dst, n), filepath.Join(shownDst, n), o.has('L')) {
				ok = false
			}
		}
		mode := fi.Mode().Perm()
		if cp.preserve {
			mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		}
		os.Chmod(dst, mode)
		cp.keep(dst, fi)
		return ok
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err == nil {
			if derr == nil {
				os.Remove(dst)
			}
			err = os.Symlink(target, dst)
		}
		if err != nil {
			errorf(c, "can't create symlink '%s': %s", shownDst, errText(err))
			return false
		}
		if cp.preserve {
			st := fi.Sys().(*syscall.Stat_t)
			os.Lchown(dst, int(st.Uid), int(st.Gid))
		}
		return true
	}
	if o.has('s') || o.has('l') {
		if derr == nil && o.has('f') {
			os.Remove(dst)
		}
		if o.has('s') {
			err = os.Symlink(src, dst)
		} else {
			err = os.Link(src, dst)
		}
		if err != nil {
			errorf(c, "can't create link '%s': %s", shownDst, errText(err))
			return false
		}
		return true
	}
	if !fi.Mode().IsRegular() {
		// Devices, fifos and sockets are recreated, not read.
		if cp.recursive {
			st := fi.Sys().(*syscall.Stat_t)
			if err := syscall.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
				errorf(c, "can't create '%s': %s", shownDst, errText(err))
				return false
			}
			cp.keep(dst, fi)
			return true
		}
	}
	in, err := os.Open(src)
	if err != nil {
		errorf(c, "can't open '%s': %s", shownSrc, errText(err))
		return false
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil && o.has('f') {
		os.Remove(dst)
		out, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	}
	if err != nil {
		errorf(c, "can't create '%s': %s", shownDst, errText(err))
		return false
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		errorf(c, "error writing to '%s': %s", shownDst, errText(err))
		return false
	}
	if cp.preserve {
		os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	}
	cp.keep(dst, fi)
	return true
}

// keep copies owner and times with -p.
func (cp *copier) keep(dst string, fi os.FileInfo) {
	if !cp.preserve {
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	os.Lchown(dst, int(st.Uid), int(st.Gid))
	atime := time.Unix(st.Atim.Unix())
	os.Chtimes(dst, atime, fi.ModTime())
}

const mvUsage = `Usage: mv [-fin] SOURCE DEST
or: mv [-fin] SOURCE... DIRECTORY

Rename SOURCE to DEST, or move SOURCEs into DIRECTORY

	-f	Replace without asking
	-i	Ask before replacing
	-n	Never replace
	-T	DEST is never a directory to move into
	-t DIR	Move every SOURCE into DIR`

// Mv renames files, copying across file systems.
func Mv(c *applet.Ctx) int {
	if wantsHelp(c, mvUsage) {
		return 0
	}
	o, args, ok := parseOpts(c, "finvTt:", mvUsage)
	if !ok {
		return 1
	}
	in := bufio.NewReader(c.Stdin)
	return moveOrCopy(c, o, args, mvUsage, func(src, dst, shownDst string) bool {
		if _, err := os.Lstat(dst); err == nil {
			if o.has('n') {
				return true
			}
			if o.has('i') && !o.has('f') {
				io.WriteString(c.Stderr, c.Name()+": overwrite '"+shownDst+"'? ")
				line, _ := in.ReadString('\n')
				if !strings.HasPrefix(strings.TrimSpace(line), "y") {
					return true
				}
			}
		}
		err := os.Rename(c.Path(src), dst)
		if errors.Is(err, syscall.EXDEV) {
			// Another file system: copy everything, then remove.
			cp := copier{c: c, o: &opts{}, recursive: true, keepLinks: true, preserve: true}
			if !cp.copy(src, c.Path(src), dst, shownDst, false) {
				return false
			}
			err = os.RemoveAll(c.Path(src))
		}
		if err != nil {
			errorf(c, "can't rename '%s': %s", src, errText(err))
			return false
		}
		return true
	})
}

const lnUsage = `Usage: ln [-sfnbtv] [-S SUF] TARGET... LINK|DIR

Make a link named LINK (or links in DIR) to TARGET

	-s	Symbolic link
	-f	Replace existing destinations
	-n	Treat a LINK that is a symlink to a directory as a file
	-b	Back existing destinations up (with suffix ~ or SUF)
	-S SUF	Backup suffix
	-T	LINK is never a directory to link into
	-v	Say what is done`

// Ln makes hard or symbolic links.
func Ln(c *applet.Ctx) int {
	if wantsHelp(c, lnUsage) {
		return 0
	}
	o, args, ok := parseOpts(c, "sfnbS:Tv", lnUsage)
	if !ok {
		return 1
	}
	if len(args) == 0 {
		return usageFail(c, lnUsage)
	}
	if len(args) == 1 {
		args = append(args, ".")
	}
	last := args[len(args)-1]
	targets := args[:len(args)-1]
	var fi os.FileInfo
	var err error
	if o.has('n') {
		fi, err = os.Lstat(c.Path(last))
	} else {
		fi, err = os.Stat(c.Path(last))
	}
	// With several TARGETs and a LINK that is no directory, busybox makes
	// LINK for each in turn (the later ones fail, it exists by then).
	intoDir := err == nil && fi.IsDir() && !o.has('T')
	rc := 0
	for _, t := range targets {
		link := last
		if intoDir {
			link = filepath.Join(last, baseName(t))
		}
		lp := c.Path(link)
		if _, err := os.Lstat(lp); err == nil {
			if o.has('b') {
				os.Rename(lp, lp+o.val('S', "~"))
			} else if o.has('f') {
				os.Remove(lp)
			}
		}
		if o.has('s') {
			err = os.Symlink(t, lp)
		} else {
			err = os.Link(c.Path(t), lp)
		}
		if err != nil {
			errorf(c, "%s: %s", link, errText(err))
			rc = 1
			continue
		}
		if o.has('v') {
			io.WriteString(c.Stdout, "'"+link+"' -> '"+t+"'\n")
		}
	}
	return rc
}

const readlinkUsage = `Usage: readlink [-fnv] FILE

Print the target of the symbolic link FILE

	-f	Resolve every link and print the canonical absolute name
	-n	No newline after it
	-v	Explain errors`

// Readlink prints symlink targets.
func Readlink(c *applet.Ctx) int {
	if wantsHelp(c, readlinkUsage) {
		return 0
	}
	o, args, ok := parseOpts(c, "fnvsq", readlinkUsage)
	if !ok {
		return 1
	}
	if len(args) != 1 {
		return usageFail(c, readlinkUsage)
	}
	var s string
	var err error
	if o.has('f') {
		s, err = canonical(c.Path(args[0]))
	} else {
		s, err = os.Readlink(c.Path(args[0]))
	}
	if err != nil {
		if o.has('v') {
			errorf(c, "%s: %s", args[0], errText(err))
		}
		return 1
	}
	if !o.has('n') {
		s += "\n"
	}
	io.WriteString(c.Stdout, s)
	return 0
}

// canonical resolves every symlink of p, which must exist, like
// realpath(3) under busybox's readlink -f.
func canonical(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(r)
}

const touchUsage = `Usage: touch [-c] [-d DATE] [-t DATE] [-r FILE] FILE...

Set the access and modification times of FILEs to now, creating the
missing ones

	-c	Create no file
	-h	Change a symlink itself
	-d DT	Use date/time DT (YYYY-MM-DD [hh:mm[:ss]] or @SECONDS)
	-t DT	Use time [[CC]YY]MMDDhhmm[.ss]
	-r FILE	Use FILE's times
	-a	Change only the access time
	-m	Change only the modification time`

// Touch updates file times.
func Touch(c *applet.Ctx) int {
	if wantsHelp(c, touchUsage) {
		return 0
	}
	o, files, ok := parseOpts(c, "chd:t:r:am", touchUsage)
	if !ok {
		return 1
	}
	if len(files) == 0 {
		return usageFail(c, touchUsage)
	}
	now := time.Now()
	atime, mtime := now, now
	explicit := false
	switch {
	case o.has('r'):
		var st unix.Stat_t
		if err := unix.Stat(c.Path(o.val('r', "")), &st); err != nil {
			errorf(c, "%s: %s", o.val('r', ""), errText(err))
			return 1
		}
		atime = time.Unix(st.Atim.Unix())
		mtime = time.Unix(st.Mtim.Unix())
		explicit = true
	case o.has('d'), o.has('t'):
		var t time.Time
		var err error
		if o.has('t') {
			t, err = parseTouchStamp(o.val('t', ""), now)
		} else {
			t, err = parseTouchDate(o.val('d', ""), now)
		}
		if err != nil {
			errorf(c, "invalid date '%s'", o.val('t', o.val('d', "")))
			return 1
		}
		atime, mtime, explicit = t, t, true
	}
	rc := 0
	for _, f := range files {
		p := c.Path(f)
		ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		if !explicit {
			ts[0] = unix.Timespec{Nsec: unix.UTIME_NOW}
			ts[1] = ts[0]
		}
		if o.has('a') && !o.has('m') {
			ts[1] = unix.Timespec{Nsec: unix.UTIME_OMIT}
		}
		if o.has('m') && !o.has('a') {
			ts[0] = unix.Timespec{Nsec: unix.UTIME_OMIT}
		}
		flags := 0
		if o.has('h') {
			flags = unix.AT_SYMLINK_NOFOLLOW
		}
		err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, flags)
		if errors.Is(err, syscall.ENOENT) && !o.has('c') {
			var fd int
			fd, err = unix.Open(p, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o666)
			if err == nil {
				unix.Close(fd)
				err = unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, flags)
			}
		} else if errors.Is(err, syscall.ENOENT) {
			continue
		}
		if err != nil {
			errorf(c, "%s: %s", f, errText(err))
			rc = 1
		}
	}
	return rc
}

// parseTouchStamp reads touch -t's [[CC]YY]MMDDhhmm[.ss] in local time.
func parseTouchStamp(s string, now time.Time) (time.Time, error) {
	sec := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		v, err := strconv.Atoi(s[i+1:])
		if err != nil || len(s[i+1:]) != 2 {
			return time.Time{}, errors.New("bad seconds")
		}
		sec, s = v, s[:i]
	}
	if strings.Trim(s, "0123456789") != "" {
		return time.Time{}, errors.New("bad digits")
	}
	year := now.Year()
	switch len(s) {
	case 8:
	case 10:
		yy, _ := strconv.Atoi(s[:2])
		if yy < 69 {
			year = 2000 + yy
		} else {
			year = 1900 + yy
		}
		s = s[2:]
	case 12:
		year, _ = strconv.Atoi(s[:4])
		s = s[4:]
	default:
		return time.Time{}, errors.New("bad length")
	}
	n := func(i int) int { v, _ := strconv.Atoi(s[i : i+2]); return v }
	return time.Date(year, time.Month(n(0)), n(2), n(4), n(6), sec, 0, time.Local), nil
}

// parseTouchDate reads the common forms of touch -d.
func parseTouchDate(s string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "@") {
		v, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(v, 0), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02", "15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			if strings.HasPrefix(layout, "15") {
				t = time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.Local)
			}
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad date")
}
