package sysutils

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/fsfmt"
	"github.com/moobox/moobox/internal/procfs"
)

var uptimeSpec = bbopt.Spec{Usage: `Usage: uptime

Print the time, how long the system has been up, the number of users
logged in and the load averages
`}

// Uptime is the uptime applet.
func Uptime(c *applet.Ctx) int {
	if bbopt.Help(c, &uptimeSpec) {
		return 0
	}
	_, args, ok := bbopt.Parse(c, &uptimeSpec)
	if !ok {
		return 1
	}
	if len(args) > 0 {
		return usageErr(c, &uptimeSpec)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		bbopt.Errorf(c, "sysinfo: %s", bbopt.ErrText(err))
		return 1
	}
	tz, tzSet := c.LookupEnv("TZ")
	now := time.Now().In(fsfmt.Location(tz, tzSet))
	w := bufio.NewWriter(c.Stdout)
	fmt.Fprintf(w, " %02d:%02d:%02d up ", now.Hour(), now.Minute(), now.Second())
	up := uint64(si.Uptime)
	if days := up / 86400; days != 0 {
		s := "s"
		if days == 1 {
			s = ""
		}
		fmt.Fprintf(w, "%d day%s, ", days, s)
	}
	mins := up / 60
	hours := mins / 60 % 24
	mins %= 60
	if hours != 0 {
		fmt.Fprintf(w, "%2d:%02d", hours, mins)
	} else {
		fmt.Fprintf(w, "%d min", mins)
	}
	fmt.Fprintf(w, ",  %d users", utmpUsers("/var/run/utmp"))
	const fixed1 = 1 << 16
	ld := func(x uint64) (uint64, uint64) { return x >> 16, ((x & (fixed1 - 1)) * 100) >> 16 }
	a, b := ld(uint64(si.Loads[0]))
	c1, d := ld(uint64(si.Loads[1]))
	e, f := ld(uint64(si.Loads[2]))
	fmt.Fprintf(w, ",  load average: %d.%02d, %d.%02d, %d.%02d\n", a, b, c1, d, e, f)
	return finish(c, w, 0)
}

// utmpUsers counts USER_PROCESS records with a user name in a glibc utmp
// file (384-byte records on Linux); no file means nobody logged in.
func utmpUsers(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	const recLen, userProcess = 384, 7
	n := 0
	for off := 0; off+recLen <= len(data); off += recLen {
		rec := data[off : off+recLen]
		if int32(binary.LittleEndian.Uint32(rec[0:4])) == userProcess && rec[44] != 0 {
			n++
		}
	}
	return n
}

var freeSpec = bbopt.Spec{Short: "bkmgh", Usage: `Usage: free [-bkmgh]

Print how much memory is used and free

	-b	In bytes
	-k	In KiB (the default)
	-m	In MiB
	-g	In GiB
	-h	In human-readable units
`}

// Free is the free applet.
func Free(c *applet.Ctx) int {
	if bbopt.Help(c, &freeSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &freeSpec)
	if !ok {
		return 1
	}
	if len(args) > 0 {
		return usageErr(c, &freeSpec)
	}
	unit := uint64(1024)
	switch {
	case o.Has('b'):
		unit = 1
	case o.Has('k'):
	case o.Has('m'):
		unit = 1 << 20
	case o.Has('g'):
		unit = 1 << 30
	case o.Has('h'):
		unit = 0
	}
	m, err := procfs.Default().Meminfo()
	if err != nil {
		bbopt.Errorf(c, "/proc/meminfo: %s", bbopt.ErrText(err))
		return 1
	}
	show := func(kb uint64) string {
		if unit == 1 {
			return fmt.Sprint(kb * 1024)
		}
		return fsfmt.Human(kb, 1024, unit)
	}
	total, free := m["MemTotal"], m["MemFree"]
	cache := m["Buffers"] + m["Cached"] + m["SReclaimable"]
	avail, ok := m["MemAvailable"]
	if !ok {
		avail = free
	}
	used := total - free - cache
	if free+cache > total {
		used = 0
	}
	w := bufio.NewWriter(c.Stdout)
	fmt.Fprintf(w, "       %12s%12s%12s%12s%12s%12s\n", "total", "used", "free", "shared", "buff/cache", "available")
	fmt.Fprintf(w, "Mem:   %12s%12s%12s%12s%12s%12s\n", show(total), show(used), show(free), show(m["Shmem"]), show(cache), show(avail))
	st, sf := m["SwapTotal"], m["SwapFree"]
	fmt.Fprintf(w, "Swap:  %12s%12s%12s\n", show(st), show(st-sf), show(sf))
	return finish(c, w, 0)
}
