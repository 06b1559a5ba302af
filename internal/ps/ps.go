// Package ps is moobox's ps applet: busybox's desktop ps (-o columns,
// -T threads) with Alpine's default layout, PID USER TIME COMMAND.
package ps

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/procfs"
	"github.com/moobox/moobox/internal/users"
	"github.com/moobox/moobox/internal/version"
)

const usage = `Usage: ps [-o COL1,COL2=HEADER] [-T]

List processes (-e, -A, -a, -d, -f, -l are accepted; all are listed)

	-o COL1,COL2=HEADER	Choose the columns (and their headers)
	-T			List threads as well
	--version		Print moobox's version
`

const optVersion = 0x80

var spec = bbopt.Spec{
	Short: "Zo:aAdeflT",
	Long:  []bbopt.Long{{Name: "version", Key: optVersion}},
	Usage: usage,
}

// maxWidth caps an output line, as busybox's MAX_WIDTH.
const maxWidth = 2 * 1024

// proc is what the columns print from.
type proc struct {
	fs         procfs.FS
	st         procfs.Stat
	uid, gid   uint32
	ruid, rgid uint32
	haveReal   bool
	uptime     float64
	hz         uint64
	pageKB     uint64
	db         *users.DB
}

type column struct {
	width  int
	name   string
	header string
	f      func(p *proc, width int) string
}

// columns is busybox's table, in its order (the order of the "supported
// arguments" message). TIME is 5 wide, as Alpine prints it.
func columns() []column {
	return []column{
		{8, "user", "USER", func(p *proc, w int) string { return trunc(p.uname(p.uid), w) }},
		{8, "group", "GROUP", func(p *proc, w int) string { return trunc(p.gname(p.gid), w) }},
		{16, "comm", "COMMAND", func(p *proc, w int) string { return trunc(p.st.Comm, w) }},
		{maxWidth, "args", "COMMAND", func(p *proc, w int) string { return p.args(w) }},
		{5, "pid", "PID", func(p *proc, w int) string { return padNum(uint64(p.st.PID), w) }},
		{5, "ppid", "PPID", func(p *proc, w int) string { return padNum(uint64(p.st.PPID), w) }},
		{5, "pgid", "PGID", func(p *proc, w int) string { return padNum(uint64(p.st.PGRP), w) }},
		{7, "etime", "ELAPSED", func(p *proc, w int) string {
			el := uint64(p.uptime) - p.st.StartTime/p.hz
			if float64(p.st.StartTime/p.hz) > p.uptime {
				el = 0
			}
			return trunc(fmt.Sprintf("%3d:%02d", el/60, el%60), w)
		}},
		{5, "nice", "NI", func(p *proc, w int) string { return fmt.Sprintf("%*d", w, p.st.Nice) }},
		{8, "rgroup", "RGROUP", func(p *proc, w int) string { p.real(); return trunc(p.gname(p.rgid), w) }},
		{8, "ruser", "RUSER", func(p *proc, w int) string { p.real(); return trunc(p.uname(p.ruid), w) }},
		{5, "time", "TIME", func(p *proc, w int) string {
			t := (p.st.UTime + p.st.STime) / p.hz
			return trunc(fmt.Sprintf("%*d:%02d", max(w-3, 0), t/60, t%60), w)
		}},
		{6, "tty", "TT", func(p *proc, w int) string {
			if p.st.TTY == 0 {
				return "?"
			}
			maj := (p.st.TTY >> 8) & 0xfff
			min := (p.st.TTY & 0xff) | ((p.st.TTY >> 12) & 0xfff00)
			return trunc(fmt.Sprintf("%d,%d", maj, min), w)
		}},
		{4, "vsz", "VSZ", func(p *proc, w int) string { return trunc(compact(p.st.VSize>>10), w) }},
		{5, "sid", "SID", func(p *proc, w int) string { return padNum(uint64(p.st.Session), w) }},
		{4, "stat", "STAT", func(p *proc, w int) string { return trunc(p.state(), w) }},
		{4, "rss", "RSS", func(p *proc, w int) string {
			rss := p.st.RSS
			if rss < 0 {
				rss = 0
			}
			return trunc(compact(uint64(rss)*p.pageKB), w)
		}},
	}
}

func trunc(s string, w int) string {
	if len(s) > w {
		return s[:w]
	}
	return s
}

func padNum(v uint64, w int) string {
	s := strconv.FormatUint(v, 10)
	for len(s) < w {
		s = " " + s
	}
	return s
}

func (p *proc) uname(uid uint32) string { return p.db.UserName(uid) }

func (p *proc) gname(gid uint32) string { return p.db.GroupName(gid) }

func (p *proc) real() {
	if p.haveReal {
		return
	}
	p.haveReal = true
	p.ruid, _, p.rgid, _, _ = p.fs.StatusIDs(p.st.PID)
}

// state is the STAT column: the kernel state, 'W' for a process with no
// memory (kernel threads), '<' or 'N' for priority, as busybox.
func (p *proc) state() string {
	b := []byte{p.st.State, ' ', ' '}
	if p.st.VSize == 0 && p.st.State != 'Z' {
		b[1] = 'W'
	}
	if p.st.Nice < 0 {
		b[2] = '<'
	} else if p.st.Nice > 0 {
		b[2] = 'N'
	}
	return string(b)
}

// args is the command line with NULs as spaces; "[comm]" when there is
// none (kernel threads, zombies); "{comm} args" when the program renamed
// itself so that comm no longer starts argv[0]'s base name.
func (p *proc) args(w int) string {
	buf, err := p.fs.Cmdline(p.st.PID)
	if len(buf) > w {
		buf = buf[:w]
	}
	if err != nil || len(buf) == 0 {
		return trunc("["+p.st.Comm+"]", w)
	}
	buf = bytes.TrimRight(buf, "\x00")
	argv0 := buf
	if i := bytes.IndexAny(argv0, "\x00 "); i >= 0 {
		argv0 = argv0[:i]
	}
	base := argv0
	if i := bytes.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if len(base) > 0 && base[0] == '-' {
		base = base[1:]
	}
	out := make([]byte, len(buf))
	for i, c := range buf {
		if c < ' ' {
			c = ' '
		}
		out[i] = c
	}
	if !bytes.HasPrefix(base, []byte(p.st.Comm)) {
		return trunc("{"+p.st.Comm+"} "+string(out), w)
	}
	return string(out)
}

// compact renders a KiB count in 4 characters as busybox's
// smart_ulltoa4: "1234", "9.2m", " 12m", "123g".
func compact(ul uint64) string {
	const scale = " mgtpezy"
	idx := 0
	if ul > 9999 {
		ul *= 10
		for {
			ul /= 1024
			idx++
			if ul < 10000 {
				break
			}
		}
	}
	v := ul
	u := v / 10
	v %= 10
	var b [4]byte
	fmtc := " 123456789"
	if idx == 0 {
		b[0] = " 123456789"[u/100%10]
		if b[0] != ' ' {
			fmtc = "0123456789"
		}
		b[1] = fmtc[u/10%10]
		if b[1] != ' ' {
			fmtc = "0123456789"
		}
		b[2] = fmtc[u%10]
		b[3] = "0123456789"[v]
		return string(b[:])
	}
	if u >= 10 {
		b[0] = " 123456789"[u/100%10]
		if b[0] != ' ' {
			fmtc = "0123456789"
		}
		v = u % 10
		u /= 10
		b[1] = fmtc[u%10]
	} else {
		b[0] = "0123456789"[u]
		b[1] = '.'
	}
	b[2] = "0123456789"[v]
	b[3] = scale[idx]
	return string(b[:])
}

// Main is the ps applet.
func Main(c *applet.Ctx) int {
	if bbopt.Help(c, &spec) {
		return 0
	}
	o, _, ok := bbopt.Parse(c, &spec)
	if !ok {
		return 1
	}
	if o.Has(optVersion) {
		fmt.Fprintf(c.Stdout, "ps from moobox %s\n", version.Version)
		return 0
	}
	all := columns()
	var out []column
	printHeader := false
	find := func(name string) (column, bool) {
		// busybox compares the first 6 characters only.
		for _, col := range all {
			if name == col.name || (len(col.name) == 6 && strings.HasPrefix(name, col.name)) {
				return col, true
			}
		}
		names := make([]string, len(all))
		for i, col := range all {
			names[i] = col.name
		}
		bbopt.Errorf(c, "bad -o argument '%s', supported arguments: %s", name, strings.Join(names, ","))
		return column{}, false
	}
	// Debian's busybox splits -o at every comma; each item may carry its
	// own =HEADER (an empty one hides that header and keeps the width).
	parse := func(opt string) bool {
		for _, item := range strings.Split(opt, ",") {
			name, hdr, hasHdr := strings.Cut(item, "=")
			col, ok := find(name)
			if !ok {
				return false
			}
			if hasHdr {
				col.header = hdr
				if hdr != "" {
					col.width = len(hdr)
					printHeader = true
				}
			} else {
				printHeader = true
			}
			out = append(out, col)
		}
		return true
	}
	if specs := o.Vals('o'); len(specs) > 0 {
		for _, s := range specs {
			if !parse(s) {
				return 1
			}
		}
	} else {
		parse("pid,user,time,args")
	}
	width := maxWidth
	if applet.IsTerminal(c.Stdout) {
		width = 80
		if f, ok := c.Stdin.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 1 {
				width = w
			}
		}
		if s, ok := c.LookupEnv("COLUMNS"); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 1 && n < 30000 {
				width = n
			}
		}
		width--
		if width > maxWidth {
			width = maxWidth
		}
	}
	total := 0
	for i := range out {
		if out[i].header != "" {
			printHeader = true
		}
		total += out[i].width + 1
		if total > width {
			// The rest does not fit on the screen.
			out = out[:i+1]
			break
		}
	}
	w := bufio.NewWriter(c.Stdout)
	if printHeader && len(out) > 0 {
		var b strings.Builder
		for i, col := range out {
			if i == len(out)-1 {
				b.WriteString(col.header)
				break
			}
			fmt.Fprintf(&b, "%-*s ", col.width, col.header)
		}
		writeLine(w, b.String(), width)
	}
	fs := procfs.Default()
	pids, err := fs.PIDs()
	if err != nil {
		w.Flush()
		bbopt.Errorf(c, "/proc: %s", bbopt.ErrText(err))
		return 1
	}
	up, _ := fs.Uptime()
	db := &users.DB{}
	base := proc{fs: fs, uptime: up, hz: 100, pageKB: uint64(os.Getpagesize()) >> 10, db: db}
	for _, pid := range pids {
		ids := []int{pid}
		if o.Has('T') {
			if tids, err := (procfs.FS{Root: fs.Root + "/" + strconv.Itoa(pid) + "/task"}).PIDs(); err == nil && len(tids) > 0 {
				ids = tids
			}
		}
		for _, id := range ids {
			pfs := fs
			if id != pid {
				pfs = procfs.FS{Root: fs.Root + "/" + strconv.Itoa(pid) + "/task"}
			}
			var dst unix.Stat_t
			if unix.Stat(pfs.Root+"/"+strconv.Itoa(id), &dst) != nil {
				continue // exited meanwhile
			}
			st, err := pfs.ReadStat(id)
			if err != nil {
				continue
			}
			p := base
			p.fs = pfs
			// busybox keeps 15 characters of the name (the kernel's old
			// TASK_COMM_LEN); newer kernels report longer worker names.
			if len(st.Comm) > 15 {
				st.Comm = st.Comm[:15]
			}
			p.st = st
			p.uid, p.gid = dst.Uid, dst.Gid
			var b strings.Builder
			for i, col := range out {
				v := col.f(&p, col.width)
				if v == "" {
					v = "-"
				}
				b.WriteString(v)
				if i == len(out)-1 {
					break
				}
				for k := len(v); k < col.width+1; k++ {
					b.WriteByte(' ')
				}
			}
			writeLine(w, b.String(), width)
		}
	}
	if err := w.Flush(); err != nil {
		if !bbopt.IsEPIPE(err) {
			bbopt.Errorf(c, "write error: %s", bbopt.ErrText(err))
		}
		return 1
	}
	return 0
}

func writeLine(w io.StringWriter, s string, width int) {
	if len(s) > width {
		s = s[:width]
	}
	w.WriteString(s)
	w.WriteString("\n")
}
