// Package stat is moobox's stat applet, printing file and file-system
// status in Debian busybox's layout and -c format language.
package stat

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/fsfmt"
	"github.com/moobox/moobox/internal/users"
)

const usage = `Usage: stat [-ltf] [-c FMT] FILE...

Print the status of FILEs, or of the file systems holding them

	-c FMT	Print FMT for each FILE (sequences below)
	-f	File-system status rather than file status
	-L	Follow symbolic links
	-t	Everything on one terse line

FMT sequences for files:
 %a	Permission bits, octal
 %A	Permission bits, as ls -l shows them
 %b	Allocated blocks (of %B bytes)
 %B	Bytes per block counted in %b
 %d	Device number, decimal
 %D	Device number, hex
 %f	Raw mode, hex
 %F	Type of file
 %g	Owner's group id
 %G	Owner's group name
 %h	Hard link count
 %i	Inode number
 %n	Name
 %N	Name, and the target of a symbolic link
 %o	Preferred I/O block size
 %s	Size in bytes
 %t	Major device number, hex
 %T	Minor device number, hex
 %u	Owner's user id
 %U	Owner's user name
 %x	Last access
 %X	Last access, seconds since the Epoch
 %y	Last modification
 %Y	Last modification, seconds since the Epoch
 %z	Last status change
 %Z	Last status change, seconds since the Epoch

FMT sequences for file systems:
 %a	Blocks free for unprivileged users
 %b	Blocks in all
 %c	Inodes in all
 %d	Inodes free
 %f	Blocks free
 %i	File-system id, hex
 %l	Longest name allowed
 %n	Name
 %s	Preferred transfer block size
 %S	Block size that counts are in
 %t	Type, hex
 %T	Type, by name
`

var spec = bbopt.Spec{Short: "c:fLlt", Usage: usage}

type runner struct {
	c   *applet.Ctx
	w   *bufio.Writer
	loc *time.Location
	db  users.DB
}

// Main is the stat applet.
func Main(c *applet.Ctx) int {
	if bbopt.Help(c, &spec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &spec)
	if !ok {
		return 1
	}
	if len(args) == 0 {
		c.Stderr.Write([]byte(bbopt.HelpHeader + usage))
		return 1
	}
	tz, tzSet := c.LookupEnv("TZ")
	r := &runner{c: c, w: bufio.NewWriter(c.Stdout), loc: fsfmt.Location(tz, tzSet)}
	rc := 0
	format, hasFormat := "", o.Has('c')
	if hasFormat {
		format = o.Val('c', "")
	}
	for _, name := range args {
		var good bool
		if o.Has('f') {
			good = r.statfs(name, format, hasFormat, o.Has('t'))
		} else {
			good = r.stat(name, format, hasFormat, o.Has('t'), o.Has('L'))
		}
		if !good {
			rc = 1
		}
	}
	if err := r.w.Flush(); err != nil {
		if !bbopt.IsEPIPE(err) {
			bbopt.Errorf(c, "write error: %s", bbopt.ErrText(err))
		}
		return 1
	}
	return rc
}

func (r *runner) fail(format string, a ...any) bool {
	r.w.Flush()
	bbopt.Errorf(r.c, format, a...)
	return false
}

// humanTime is "2006-01-02 15:04:05.000000000 -0700" in the applet's zone.
func (r *runner) humanTime(ts unix.Timespec) string {
	return time.Unix(ts.Unix()).In(r.loc).Format("2006-01-02 15:04:05.000000000 -0700")
}

func (r *runner) stat(name, format string, hasFormat, terse, follow bool) bool {
	var st unix.Stat_t
	p := r.c.Path(name)
	var err error
	if follow {
		err = unix.Stat(p, &st)
	} else {
		err = unix.Lstat(p, &st)
	}
	if err != nil {
		return r.fail("can't stat '%s': %s", name, bbopt.ErrText(err))
	}
	w := r.w
	if hasFormat {
		if expand(w, format, func(w *bufio.Writer, flags string, conv byte) {
			r.fileSpec(w, flags, conv, name, &st)
		}) {
			w.WriteByte('\n')
		}
		return true
	}
	if terse {
		fmt.Fprintf(w, "%s %d %d %x %d %d %x %d %d %x %x %d %d %d %d\n",
			name, st.Size, st.Blocks, st.Mode, st.Uid, st.Gid, st.Dev, st.Ino,
			st.Nlink, unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)),
			st.Atim.Sec, st.Mtim.Sec, st.Ctim.Sec, st.Blksize)
		return true
	}
	if st.Mode&fsfmt.IFMT == fsfmt.IFLNK {
		if target, err := os.Readlink(p); err == nil {
			fmt.Fprintf(w, "  File: '%s' -> '%s'\n", name, target)
		} else {
			r.fail("%s: cannot read link: %s", name, bbopt.ErrText(err))
			fmt.Fprintf(w, "  File: %s\n", name)
		}
	} else {
		fmt.Fprintf(w, "  File: %s\n", name)
	}
	fmt.Fprintf(w, "  Size: %-10d\tBlocks: %-10d IO Block: %-6d %s\n",
		st.Size, st.Blocks, st.Blksize, fsfmt.FileType(st.Mode, st.Size))
	fmt.Fprintf(w, "Device: %xh/%dd\tInode: %-10d  Links: %d", st.Dev, st.Dev, st.Ino, st.Nlink)
	if t := st.Mode & fsfmt.IFMT; t == fsfmt.IFBLK || t == fsfmt.IFCHR {
		fmt.Fprintf(w, "     Device type: %x,%x\n", unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)))
	} else {
		w.WriteByte('\n')
	}
	uname, gname := "UNKNOWN", "UNKNOWN"
	if u, ok := r.db.UserByID(st.Uid); ok {
		uname = u.Name
	}
	if g, ok := r.db.GroupByID(st.Gid); ok {
		gname = g.Name
	}
	fmt.Fprintf(w, "Access: (%04o/%10.10s)  Uid: (%5d/%8s)   Gid: (%5d/%8s)\n",
		st.Mode&0o7777, fsfmt.ModeString(st.Mode), st.Uid, uname, st.Gid, gname)
	fmt.Fprintf(w, "Access: %s\nModify: %s\nChange: %s\n",
		r.humanTime(st.Atim), r.humanTime(st.Mtim), r.humanTime(st.Ctim))
	return true
}

// expand walks a -c format: each %[flags][width][.prec]X calls spec; "%%"
// is a percent sign and a lone '%' at the end prints as itself. Backslash
// escapes are not interpreted (busybox does not).
func expand(w *bufio.Writer, format string, spec func(w *bufio.Writer, flags string, conv byte)) (newline bool) {
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			w.WriteByte(ch)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("#-+.I 0123456789", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			// busybox prints a trailing lone '%' and then no newline.
			w.WriteString(format[i:])
			return false
		}
		flags := strings.ReplaceAll(format[i+1:j], "I", "")
		conv := format[j]
		i = j
		if conv == '%' {
			w.WriteByte('%')
			continue
		}
		spec(w, flags, conv)
	}
	return true
}

// The printers below apply the user's flags and width to a C conversion,
// which Go's fmt understands the same way for these verbs. C ignores the
// sign flags on unsigned conversions, and every number here is unsigned.
func unsigned(flags string) string {
	if strings.ContainsAny(flags, " +") {
		flags = strings.NewReplacer(" ", "", "+", "").Replace(flags)
	}
	return flags
}
func pu(w *bufio.Writer, flags string, v uint64) { fmt.Fprintf(w, "%"+unsigned(flags)+"d", v) }
func px(w *bufio.Writer, flags string, v uint64) { fmt.Fprintf(w, "%"+unsigned(flags)+"x", v) }
func po(w *bufio.Writer, flags string, v uint64) { fmt.Fprintf(w, "%"+unsigned(flags)+"o", v) }
func ps(w *bufio.Writer, flags string, v string) {
	fmt.Fprintf(w, "%"+strings.ReplaceAll(strings.ReplaceAll(flags, "#", ""), "+", "")+"s", v)
}
func pc(w *bufio.Writer, flags string, v byte) {
	fmt.Fprintf(w, "%"+strings.ReplaceAll(strings.ReplaceAll(flags, "#", ""), "+", "")+"c", v)
}

func (r *runner) fileSpec(w *bufio.Writer, flags string, conv byte, name string, st *unix.Stat_t) {
	switch conv {
	case 'a':
		po(w, flags, uint64(st.Mode&0o7777))
	case 'A':
		ps(w, flags, fsfmt.ModeString(st.Mode))
	case 'b':
		pu(w, flags, uint64(st.Blocks))
	case 'B':
		pu(w, flags, 512)
	case 'd':
		pu(w, flags, st.Dev)
	case 'D':
		px(w, flags, st.Dev)
	case 'f':
		px(w, flags, uint64(st.Mode))
	case 'F':
		ps(w, flags, fsfmt.FileType(st.Mode, st.Size))
	case 'g':
		pu(w, flags, uint64(st.Gid))
	case 'G':
		g := "UNKNOWN"
		if gr, ok := r.db.GroupByID(st.Gid); ok {
			g = gr.Name
		}
		ps(w, flags, g)
	case 'h':
		pu(w, flags, uint64(st.Nlink))
	case 'i':
		pu(w, flags, st.Ino)
	case 'n':
		ps(w, flags, name)
	case 'N':
		if st.Mode&fsfmt.IFMT == fsfmt.IFLNK {
			t, _ := os.Readlink(r.c.Path(name))
			ps(w, flags, "'"+name+"' -> '"+t+"'")
		} else {
			ps(w, flags, name)
		}
	case 'o':
		pu(w, flags, uint64(st.Blksize))
	case 's':
		pu(w, flags, uint64(st.Size))
	case 't':
		px(w, flags, uint64(unix.Major(uint64(st.Rdev))))
	case 'T':
		px(w, flags, uint64(unix.Minor(uint64(st.Rdev))))
	case 'u':
		pu(w, flags, uint64(st.Uid))
	case 'U':
		u := "UNKNOWN"
		if pw, ok := r.db.UserByID(st.Uid); ok {
			u = pw.Name
		}
		ps(w, flags, u)
	case 'x':
		ps(w, flags, r.humanTime(st.Atim))
	case 'X':
		pu(w, flags, uint64(st.Atim.Sec))
	case 'y':
		ps(w, flags, r.humanTime(st.Mtim))
	case 'Y':
		pu(w, flags, uint64(st.Mtim.Sec))
	case 'z':
		ps(w, flags, r.humanTime(st.Ctim))
	case 'Z':
		pu(w, flags, uint64(st.Ctim.Sec))
	default:
		pc(w, flags, conv)
	}
}

// fsid joins f_fsid's two ints most significant first, as busybox does.
func fsid(s *unix.Statfs_t) uint64 {
	return uint64(uint32(s.Fsid.Val[0]))<<32 | uint64(uint32(s.Fsid.Val[1]))
}

func (r *runner) statfs(name, format string, hasFormat, terse bool) bool {
	var s unix.Statfs_t
	if err := unix.Statfs(r.c.Path(name), &s); err != nil {
		return r.fail("can't read file system information for '%s': %s", name, bbopt.ErrText(err))
	}
	w := r.w
	if hasFormat {
		nl := expand(w, format, func(w *bufio.Writer, flags string, conv byte) {
			switch conv {
			case 'a':
				pu(w, flags, s.Bavail)
			case 'b':
				pu(w, flags, s.Blocks)
			case 'c':
				pu(w, flags, s.Files)
			case 'd':
				pu(w, flags, s.Ffree)
			case 'f':
				pu(w, flags, s.Bfree)
			case 'i':
				px(w, flags, fsid(&s))
			case 'l':
				pu(w, flags, uint64(s.Namelen))
			case 'n':
				ps(w, flags, name)
			case 's':
				pu(w, flags, uint64(s.Bsize))
			case 'S':
				pu(w, flags, uint64(s.Frsize))
			case 't':
				px(w, flags, uint64(s.Type))
			case 'T':
				ps(w, flags, FSTypeName(int64(s.Type)))
			default:
				pc(w, flags, conv)
			}
		})
		if nl {
			w.WriteByte('\n')
		}
		return true
	}
	if terse {
		fmt.Fprintf(w, "%s %x %d %x %d %d %d %d %d %d\n", name, fsid(&s), s.Namelen,
			uint64(s.Type), s.Bsize, s.Blocks, s.Bfree, s.Bavail, s.Files, s.Ffree)
		return true
	}
	fmt.Fprintf(w, "  File: \"%s\"\n    ID: %-8x Namelen: %-7d Type: %s\n", name, fsid(&s), s.Namelen, FSTypeName(int64(s.Type)))
	fmt.Fprintf(w, "Block size: %-10d\n", s.Bsize)
	fmt.Fprintf(w, "Blocks: Total: %-10d Free: %-10d Available: %d\n", s.Blocks, s.Bfree, s.Bavail)
	fmt.Fprintf(w, "Inodes: Total: %-10d Free: %d\n", s.Files, s.Ffree)
	return true
}

// FSTypeName names a file-system magic number as busybox's stat does
// (its table, including its choice of names; unknown types print
// UNKNOWN).
func FSTypeName(t int64) string {
	switch uint32(t) {
	case 0xADFF:
		return "affs"
	case 0x1Cd1:
		return "devpts"
	case 0x137D:
		return "ext"
	case 0xEF51:
		return "ext2"
	case 0xEF53:
		return "ext2/ext3"
	case 0x3153464a:
		return "jfs"
	case 0x58465342:
		return "xfs"
	case 0xF995E849:
		return "hpfs"
	case 0x9660, 0x4000, 0x4004:
		return "isofs"
	case 0x137F:
		return "minix"
	case 0x138F:
		return "minix (30 char.)"
	case 0x2468:
		return "minix v2"
	case 0x2478:
		return "minix v2 (30 char.)"
	case 0x4d44:
		return "msdos"
	case 0x4006:
		return "fat"
	case 0x564c:
		return "novell"
	case 0x6969:
		return "nfs"
	case 0x9fa0:
		return "proc"
	case 0x517B:
		return "smb"
	case 0x012FF7B4:
		return "xenix"
	case 0x012FF7B5:
		return "sysv4"
	case 0x012FF7B6:
		return "sysv2"
	case 0x012FF7B7:
		return "coh"
	case 0x00011954:
		return "ufs"
	case 0x012FD16D:
		return "xia"
	case 0x5346544e:
		return "ntfs"
	case 0x1021994:
		return "tmpfs"
	case 0x52654973:
		return "reiserfs"
	case 0x28cd3d45:
		return "cramfs"
	case 0x7275:
		return "romfs"
	case 0x858458f6:
		return "ramfs"
	case 0x73717368:
		return "squashfs"
	case 0x62656572:
		return "sysfs"
	}
	return "UNKNOWN"
}
