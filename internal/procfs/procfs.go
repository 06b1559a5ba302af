// Package procfs reads the Linux /proc files moobox's system applets need:
// process lists and status, mounts, uptime and memory.
package procfs

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
)

// FS is a /proc mount; Root is "/proc" unless a test points it elsewhere.
type FS struct{ Root string }

// Default is the system's /proc.
func Default() FS { return FS{Root: "/proc"} }

func (fs FS) path(parts ...string) string {
	return fs.Root + "/" + strings.Join(parts, "/")
}

// PIDs lists the numeric entries of /proc in ascending order.
func (fs FS) PIDs() ([]int, error) {
	d, err := os.Open(fs.Root)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if p, err := strconv.Atoi(n); err == nil {
			pids = append(pids, p)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// Stat is the part of /proc/PID/stat the applets use.
type Stat struct {
	PID       int
	Comm      string
	State     byte
	PPID      int
	PGRP      int
	Session   int
	TTY       uint64 // tty_nr, the kernel's encoded device number
	UTime     uint64 // clock ticks
	STime     uint64
	Nice      int64
	Threads   int64
	StartTime uint64 // clock ticks after boot
	VSize     uint64 // bytes
	RSS       int64  // pages
}

// ErrFormat reports a /proc file that does not parse.
var ErrFormat = errors.New("unexpected /proc format")

// ReadStat parses /proc/PID/stat (or /proc/PID/task/TID/stat when tid > 0).
func (fs FS) ReadStat(pid int) (Stat, error) {
	data, err := os.ReadFile(fs.path(strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(data)
}

// ParseStat parses the text of a stat file. The command name is between
// the first '(' and the last ')', as it may itself hold both.
func ParseStat(data []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(data, '(')
	cl := bytes.LastIndexByte(data, ')')
	if open < 0 || cl < open {
		return s, ErrFormat
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return s, ErrFormat
	}
	s.PID = pid
	s.Comm = string(data[open+1 : cl])
	f := bytes.Fields(data[cl+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return s, ErrFormat
	}
	if len(f[0]) > 0 {
		s.State = f[0][0]
	}
	u := func(n int) uint64 { v, _ := strconv.ParseUint(string(f[n-3]), 10, 64); return v }
	i := func(n int) int64 { v, _ := strconv.ParseInt(string(f[n-3]), 10, 64); return v }
	s.PPID = int(i(4))
	s.PGRP = int(i(5))
	s.Session = int(i(6))
	s.TTY = u(7)
	s.UTime = u(14)
	s.STime = u(15)
	s.Nice = i(19)
	s.Threads = i(20)
	s.StartTime = u(22)
	if len(f) >= 24-2 {
		s.VSize = u(23)
	}
	if len(f) >= 24-2+1 {
		s.RSS = i(24)
	}
	return s, nil
}

// Cmdline returns /proc/PID/cmdline as read (NUL-separated).
func (fs FS) Cmdline(pid int) ([]byte, error) {
	return os.ReadFile(fs.path(strconv.Itoa(pid), "cmdline"))
}

// StatusIDs returns the real and effective uid and gid from
// /proc/PID/status.
func (fs FS) StatusIDs(pid int) (ruid, euid, rgid, egid uint32, err error) {
	data, err := os.ReadFile(fs.path(strconv.Itoa(pid), "status"))
	if err != nil {
		return
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		switch {
		case bytes.HasPrefix(line, []byte("Uid:")):
			f := bytes.Fields(line[4:])
			if len(f) >= 2 {
				a, _ := strconv.ParseUint(string(f[0]), 10, 32)
				b, _ := strconv.ParseUint(string(f[1]), 10, 32)
				ruid, euid = uint32(a), uint32(b)
			}
		case bytes.HasPrefix(line, []byte("Gid:")):
			f := bytes.Fields(line[4:])
			if len(f) >= 2 {
				a, _ := strconv.ParseUint(string(f[0]), 10, 32)
				b, _ := strconv.ParseUint(string(f[1]), 10, 32)
				rgid, egid = uint32(a), uint32(b)
			}
		}
	}
	return
}

// Uptime returns the seconds since boot from /proc/uptime.
func (fs FS) Uptime() (float64, error) {
	data, err := os.ReadFile(fs.path("uptime"))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data))
	if len(f) < 1 {
		return 0, ErrFormat
	}
	return strconv.ParseFloat(f[0], 64)
}

// Meminfo returns /proc/meminfo as kB values by field name.
func (fs FS) Meminfo() (map[string]uint64, error) {
	data, err := os.ReadFile(fs.path("meminfo"))
	if err != nil {
		return nil, err
	}
	m := make(map[string]uint64)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err == nil {
			m[k] = n
		}
	}
	return m, nil
}

// Loadavg returns the three load averages of /proc/loadavg as text.
func (fs FS) Loadavg() ([3]string, error) {
	var r [3]string
	data, err := os.ReadFile(fs.path("loadavg"))
	if err != nil {
		return r, err
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return r, ErrFormat
	}
	copy(r[:], f[:3])
	return r, nil
}

// Mount is one line of /proc/PID/mountinfo.
type Mount struct {
	ID, Parent   int
	Major, Minor uint32
	Root         string
	Point        string
	Options      string // per-mount options
	FSType       string
	Source       string
	SuperOptions string
}

// Mountinfo reads /proc/self/mountinfo.
func (fs FS) Mountinfo() ([]Mount, error) {
	data, err := os.ReadFile(fs.path("self", "mountinfo"))
	if err != nil {
		return nil, err
	}
	return ParseMountinfo(data)
}

// ParseMountinfo parses mountinfo text; lines that do not parse are an
// error rather than skipped, so a caller never shows a partial table
// silently.
func ParseMountinfo(data []byte) ([]Mount, error) {
	var ms []Mount
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 7 || sep < 0 || len(f) < sep+3 {
			return nil, ErrFormat
		}
		var m Mount
		var err1, err2 error
		m.ID, err1 = strconv.Atoi(f[0])
		m.Parent, err2 = strconv.Atoi(f[1])
		maj, min, ok := strings.Cut(f[2], ":")
		if err1 != nil || err2 != nil || !ok {
			return nil, ErrFormat
		}
		a, err1 := strconv.ParseUint(maj, 10, 32)
		b, err2 := strconv.ParseUint(min, 10, 32)
		if err1 != nil || err2 != nil {
			return nil, ErrFormat
		}
		m.Major, m.Minor = uint32(a), uint32(b)
		m.Root = Unescape(f[3])
		m.Point = Unescape(f[4])
		m.Options = f[5]
		m.FSType = Unescape(f[sep+1])
		m.Source = Unescape(f[sep+2])
		if len(f) > sep+3 {
			m.SuperOptions = f[sep+3]
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Unescape undoes the kernel's octal escapes (\040 for space etc.).
func Unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }
