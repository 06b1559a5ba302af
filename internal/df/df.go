// Package df is moobox's df applet: file-system usage for every mount in
// /proc/self/mountinfo, in Debian busybox's columns.
package df

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/fsfmt"
	"github.com/moobox/moobox/internal/procfs"
)

const usage = `Usage: df [-PkmhTai] [-B SIZE] [-t TYPE] [FILESYSTEM]...

Show the size, use and free space of mounted file systems

	-P	POSIX layout
	-k	In 1024-byte blocks (the default)
	-m	In MiB blocks
	-h	In K, M, G...
	-T	Show each file system's type
	-t TYPE	Only file systems of TYPE
	-a	Include file systems with no blocks
	-i	Inodes rather than blocks
	-B SIZE	In blocks of SIZE bytes
`

var spec = bbopt.Spec{Short: "kPTaiB:hmt:", Usage: usage}

// Main is the df applet.
func Main(c *applet.Ctx) int {
	if bbopt.Help(c, &spec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &spec)
	if !ok {
		return 1
	}
	unit := uint64(1024)
	// The last of -k, -m, -B wins; -h overrides them all.
	for _, k := range o.Order {
		switch k {
		case 'k':
			unit = 1024
		case 'm':
			unit = 1024 * 1024
		case 'B':
			u, ok := parseSize(o.Val('B', ""))
			if !ok {
				bbopt.Errorf(c, "invalid number '%s'", o.Val('B', ""))
				return 1
			}
			unit = u
		}
	}
	if _, ok := c.LookupEnv("POSIXLY_CORRECT"); ok {
		unit = 512
	}
	posix, showType, all, inodes := o.Has('P'), o.Has('T'), o.Has('a'), o.Has('i')
	var hdr string
	if o.Has('h') {
		unit = 0
		hdr = "     Size"
	}
	if inodes {
		hdr = "   Inodes"
	}
	if hdr == "" {
		var p uint64
		if posix {
			p = 1
		}
		hdr = fsfmt.Human(unit, 0, p) + "-blocks"
	}

	w := bufio.NewWriter(c.Stdout)
	typ := ""
	if showType {
		typ = "Type       "
	}
	capHdr := "Use%"
	if posix {
		capHdr = "Capacity"
	}
	fmt.Fprintf(w, "Filesystem           %s%-15sUsed Available %s Mounted on\n", typ, hdr, capHdr)

	mounts, err := procfs.Default().Mountinfo()
	if err != nil {
		w.Flush()
		bbopt.Errorf(c, "/proc/self/mountinfo: %s", bbopt.ErrText(err))
		return 1
	}
	rc := 0
	onlyType := o.Val('t', "")
	show := func(m procfs.Mount, fromTable bool) {
		if m.Source == "rootfs" {
			return
		}
		if onlyType != "" && m.FSType != onlyType {
			return
		}
		var s unix.Statfs_t
		if err := unix.Statfs(m.Point, &s); err != nil {
			w.Flush()
			bbopt.Errorf(c, "%s: %s", m.Point, bbopt.ErrText(err))
			rc = 1
			return
		}
		if s.Frsize == 0 {
			s.Frsize = s.Bsize
		}
		if !(s.Blocks > 0 || !fromTable || all) {
			return
		}
		frsize := uint64(s.Frsize)
		du := unit
		if inodes {
			s.Blocks = s.Files
			s.Bavail, s.Bfree = s.Ffree, s.Ffree
			frsize = 1
			if du != 0 {
				du = 1
			}
		}
		used := s.Blocks - s.Bfree
		total := used + s.Bavail
		pct := uint64(0)
		if total != 0 {
			u, t := used, total
			for t >= (1<<31-1)/101 {
				t >>= 1
				u >>= 1
			}
			pct = (u*100 + t/2) / t
		}
		dev := printable(m.Source)
		n := utf8.RuneCountInString(dev)
		if n > 20 && !posix {
			fmt.Fprintf(w, "%s\n%20s", dev, "")
		} else {
			fmt.Fprintf(w, "%s%*s", dev, 20-n, "")
		}
		if showType {
			t := printable(m.FSType)
			tn := utf8.RuneCountInString(t)
			if tn > 10 && !posix {
				fmt.Fprintf(w, " %s\n%31s", t, "")
			} else {
				fmt.Fprintf(w, " %s%*s", t, 10-tn, "")
			}
		}
		fmt.Fprintf(w, " %9s ", fsfmt.Human(s.Blocks, frsize, du))
		fmt.Fprintf(w, "%9s ", fsfmt.Human(used, frsize, du))
		fmt.Fprintf(w, "%9s %3d%% %s\n", fsfmt.Human(s.Bavail, frsize, du), pct, m.Point)
	}
	if len(args) == 0 {
		for _, m := range mounts {
			show(m, true)
		}
	} else {
		for _, a := range args {
			m, ok := findMount(c.Path(a), mounts)
			if !ok {
				w.Flush()
				bbopt.Errorf(c, "%s: can't find mount point", a)
				rc = 1
				continue
			}
			show(m, false)
		}
	}
	if err := w.Flush(); err != nil {
		if !bbopt.IsEPIPE(err) {
			bbopt.Errorf(c, "write error: %s", bbopt.ErrText(err))
		}
		return 1
	}
	return rc
}

// findMount finds the mount holding path as busybox's find_mount_point
// does: the first mount table entry (rootfs skipped) whose mount point or
// source is path itself, or whose source is a block device with path's
// device number, or whose mount point is on path's device. The first, not
// the last: a bind mount of the root file system's device made later (as
// container engines make) must not stand for "/".
func findMount(path string, mounts []procfs.Mount) (procfs.Mount, bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return procfs.Mount{}, false
	}
	dev := uint64(st.Dev)
	if f := st.Mode & fsfmt.IFMT; f == fsfmt.IFBLK || f == fsfmt.IFCHR {
		dev = uint64(st.Rdev) // UBI volumes are character devices
	}
	for _, m := range mounts {
		if m.Source == "rootfs" {
			continue
		}
		if m.Point == path || m.Source == path {
			return m, true
		}
		var ms unix.Stat_t
		if strings.HasPrefix(m.Source, "/") && unix.Stat(m.Source, &ms) == nil && uint64(ms.Rdev) == dev {
			return m, true
		}
		if unix.Stat(m.Point, &ms) == nil && uint64(ms.Dev) == dev {
			return m, true
		}
	}
	return procfs.Mount{}, false
}

// printable replaces control bytes and invalid UTF-8 with '?', as
// busybox's unicode_conv_to_printable does.
func printable(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			b.WriteByte('?')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseSize reads a -B SIZE: a number with an optional k/m/g suffix
// (powers of 1024), or a bare suffix.
func parseSize(s string) (uint64, bool) {
	mult := uint64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			s = s[:len(s)-1]
			if s == "" {
				return mult, true
			}
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n * mult, true
}
