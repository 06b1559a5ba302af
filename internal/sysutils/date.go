package sysutils

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/fsfmt"
)

var dateSpec = bbopt.Spec{
	Short: "Rs:ud:r:D:I::",
	Long: []bbopt.Long{
		{Name: "rfc-email", Key: 'R'},
		{Name: "set", Arg: bbopt.Required, Key: 's'},
		{Name: "utc", Key: 'u'},
		{Name: "date", Arg: bbopt.Required, Key: 'd'},
		{Name: "reference", Arg: bbopt.Required, Key: 'r'},
		{Name: "iso-8601", Arg: bbopt.Optional, Key: 'I'},
	},
	Usage: `Usage: date [OPTIONS] [+FMT] [[-s] TIME]

Print the date and time (formatted by +FMT, as strftime), or set it

	-u		In UTC rather than the local zone
	[-s] TIME	Set the clock to TIME
	-d TIME		Show TIME rather than now
	-D FMT		Ignored (TIME is read in the forms below)
	-r FILE		Show FILE's modification time
	-R		RFC 2822 format
	-I[SPEC]	ISO 8601 format; SPEC is date (default), hours,
			minutes, seconds or ns

TIME may be:
	@seconds_since_1970
	hh:mm[:ss]
	[YYYY.]MM.DD-hh:mm[:ss]
	YYYY-MM-DD [hh:mm[:ss]]
	[[[[[YY]YY]MM]DD]hh]mm[.ss]
	and, as an operand, MMDDhhmm[[YY]YY][.ss]
`,
}

// Date is the date applet.
func Date(c *applet.Ctx) int {
	if bbopt.Help(c, &dateSpec) {
		return 0
	}
	// "-I" takes an optional argument glued to it only.
	o, args, ok := bbopt.Parse(c, &dateSpec)
	if !ok {
		return 1
	}
	tz, tzSet := c.LookupEnv("TZ")
	loc := fsfmt.Location(tz, tzSet)
	if o.Has('u') {
		loc = time.UTC
	}
	format := ""
	var setArg string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "+") && format == "":
			format = a[1:]
		case setArg == "" && !o.Has('s'):
			setArg = a
		default:
			return usageErr(c, &dateSpec)
		}
	}
	now := time.Now().In(loc)
	t := now
	switch {
	case o.Has('d'):
		var ok bool
		if t, ok = parseTime(o.Val('d', ""), now, false); !ok {
			bbopt.Errorf(c, "invalid date '%s'", o.Val('d', ""))
			return 1
		}
	case o.Has('r'):
		var st unix.Stat_t
		if err := unix.Stat(c.Path(o.Val('r', "")), &st); err != nil {
			bbopt.Errorf(c, "can't stat '%s': %s", o.Val('r', ""), bbopt.ErrText(err))
			return 1
		}
		t = time.Unix(st.Mtim.Unix()).In(loc)
	}
	if o.Has('s') || setArg != "" {
		s, operand := o.Val('s', ""), false
		if setArg != "" {
			s, operand = setArg, true
		}
		nt, ok := parseTime(s, now, operand)
		if !ok {
			bbopt.Errorf(c, "invalid date '%s'", s)
			return 1
		}
		ts := unix.NsecToTimespec(nt.UnixNano())
		if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); err != nil {
			bbopt.Errorf(c, "can't set date: %s", bbopt.ErrText(err))
			return 1
		}
		t = nt
	}
	var out string
	switch {
	case format != "":
		out = Strftime(format, t)
	case o.Has('R'):
		out = Strftime("%a, %d %b %Y %H:%M:%S %z", t)
	case o.Has('I'):
		spec := o.Val('I', "date")
		var f string
		switch {
		case spec == "" || strings.HasPrefix("date", spec):
			f = "%Y-%m-%d"
		case strings.HasPrefix("hours", spec):
			f = "%Y-%m-%dT%H%z"
		case strings.HasPrefix("minutes", spec):
			f = "%Y-%m-%dT%H:%M%z"
		case strings.HasPrefix("seconds", spec):
			f = "%Y-%m-%dT%H:%M:%S%z"
		case strings.HasPrefix("ns", spec):
			f = "%Y-%m-%dT%H:%M:%S," + fmt.Sprintf("%09d", t.Nanosecond()) + "%z"
		default:
			bbopt.Errorf(c, "invalid argument '%s' for '-I'", spec)
			return 1
		}
		out = Strftime(f, t)
		if strings.Contains(f, "%z") && len(out) >= 5 {
			// ISO wants +hh:mm where %z gives +hhmm.
			out = out[:len(out)-2] + ":" + out[len(out)-2:]
		}
	default:
		out = Strftime("%a %b %e %H:%M:%S %Z %Y", t)
	}
	w := bufio.NewWriter(c.Stdout)
	w.WriteString(out + "\n")
	return finish(c, w, 0)
}

// parseTime reads the TIME forms busybox's date accepts, relative to now
// (whose zone it keeps). operand selects the MMDDhhmm[[YY]YY][.ss] form of
// a bare "date TIME".
func parseTime(s string, now time.Time, operand bool) (time.Time, bool) {
	loc := now.Location()
	y0, m0, d0 := now.Date()
	Y, M, D := y0, int(m0), d0
	h, m, sec := 0, 0, 0
	num := func(x string) (int, bool) {
		if x == "" {
			return 0, false
		}
		for i := 0; i < len(x); i++ {
			if x[i] < '0' || x[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	hms := func(x string) bool {
		p := strings.Split(x, ":")
		if len(p) < 2 || len(p) > 3 {
			return false
		}
		var ok1, ok2, ok3 bool = true, true, true
		h, ok1 = num(p[0])
		m, ok2 = num(p[1])
		sec = 0
		if len(p) == 3 {
			sec, ok3 = num(p[2])
		}
		return ok1 && ok2 && ok3
	}
	mk := func() (time.Time, bool) {
		return time.Date(Y, time.Month(M), D, h, m, sec, 0, loc), true
	}
	switch {
	case strings.HasPrefix(s, "@"):
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).In(loc), true
	case strings.Contains(s, "-") && strings.Contains(s, "."):
		// [YYYY.]MM.DD-hh:mm[:ss]
		d, tm, _ := strings.Cut(s, "-")
		p := strings.Split(d, ".")
		var ok bool
		switch len(p) {
		case 2:
			if M, ok = num(p[0]); !ok {
				return time.Time{}, false
			}
			if D, ok = num(p[1]); !ok {
				return time.Time{}, false
			}
		case 3:
			if Y, ok = num(p[0]); !ok {
				return time.Time{}, false
			}
			if M, ok = num(p[1]); !ok {
				return time.Time{}, false
			}
			if D, ok = num(p[2]); !ok {
				return time.Time{}, false
			}
		default:
			return time.Time{}, false
		}
		if !hms(tm) {
			return time.Time{}, false
		}
		return mk()
	case strings.Count(s, "-") == 2:
		// YYYY-MM-DD [hh:mm[:ss]]
		d, tm, hasTime := strings.Cut(s, " ")
		p := strings.Split(d, "-")
		if len(p) != 3 {
			return time.Time{}, false
		}
		var ok1, ok2, ok3 bool
		Y, ok1 = num(p[0])
		M, ok2 = num(p[1])
		D, ok3 = num(p[2])
		if !ok1 || !ok2 || !ok3 {
			return time.Time{}, false
		}
		if hasTime && !hms(tm) {
			return time.Time{}, false
		}
		return mk()
	case strings.Contains(s, ":"):
		if !hms(s) {
			return time.Time{}, false
		}
		return mk()
	}
	digits, secs, hasSecs := strings.Cut(s, ".")
	if hasSecs {
		var ok bool
		if sec, ok = num(secs); !ok {
			return time.Time{}, false
		}
	}
	if _, ok := num(digits); !ok {
		return time.Time{}, false
	}
	two := func(x string) int { n, _ := strconv.Atoi(x); return n }
	year := func(x string) int {
		n := two(x)
		if len(x) == 2 {
			// POSIX: 69-99 are 19xx, 00-68 are 20xx.
			if n < 69 {
				return 2000 + n
			}
			return 1900 + n
		}
		return n
	}
	if operand {
		// MMDDhhmm[[YY]YY]
		if len(digits) != 8 && len(digits) != 10 && len(digits) != 12 {
			return time.Time{}, false
		}
		M, D, h, m = two(digits[0:2]), two(digits[2:4]), two(digits[4:6]), two(digits[6:8])
		if len(digits) > 8 {
			Y = year(digits[8:])
		}
		return mk()
	}
	// [[[[[YY]YY]MM]DD]hh]mm
	switch len(digits) {
	case 2, 4, 6, 8, 10, 12:
	default:
		return time.Time{}, false
	}
	n := len(digits)
	m = two(digits[n-2:])
	if n >= 4 {
		h = two(digits[n-4 : n-2])
	}
	if n >= 6 {
		D = two(digits[n-6 : n-4])
	}
	if n >= 8 {
		M = two(digits[n-8 : n-6])
	}
	if n >= 10 {
		Y = year(digits[:n-8])
	}
	return mk()
}

var (
	longDays   = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	longMonths = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Strftime formats t as the C library's strftime in the C locale,
// including the '-', '_' and '0' padding flags; unknown conversions are
// copied as written.
func Strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		start := i
		i++
		pad := byte(0)
		if f[i] == '-' || f[i] == '_' || f[i] == '0' {
			pad = f[i]
			if i+1 >= len(f) {
				b.WriteString(f[start:])
				break
			}
			i++
		}
		num := func(v, width int, def byte) {
			p := def
			if pad != 0 {
				p = pad
			}
			s := strconv.Itoa(v)
			switch p {
			case '-':
			case '_':
				for k := len(s); k < width; k++ {
					b.WriteByte(' ')
				}
			default:
				for k := len(s); k < width; k++ {
					b.WriteByte('0')
				}
			}
			b.WriteString(s)
		}
		Y, M, D := t.Date()
		h, mi, s := t.Clock()
		wd := int(t.Weekday())
		yd := t.YearDay() - 1
		switch f[i] {
		case 'a':
			b.WriteString(longDays[wd][:3])
		case 'A':
			b.WriteString(longDays[wd])
		case 'b', 'h':
			b.WriteString(longMonths[M-1][:3])
		case 'B':
			b.WriteString(longMonths[M-1])
		case 'c':
			b.WriteString(Strftime("%a %b %e %H:%M:%S %Y", t))
		case 'C':
			num(Y/100, 2, '0')
		case 'd':
			num(D, 2, '0')
		case 'D', 'x':
			b.WriteString(Strftime("%m/%d/%y", t))
		case 'e':
			num(D, 2, '_')
		case 'F':
			b.WriteString(Strftime("%Y-%m-%d", t))
		case 'g':
			y, _ := t.ISOWeek()
			num(y%100, 2, '0')
		case 'G':
			y, _ := t.ISOWeek()
			num(y, 1, '0')
		case 'H':
			num(h, 2, '0')
		case 'I':
			num((h+11)%12+1, 2, '0')
		case 'j':
			num(yd+1, 3, '0')
		case 'k':
			num(h, 2, '_')
		case 'l':
			num((h+11)%12+1, 2, '_')
		case 'm':
			num(int(M), 2, '0')
		case 'M':
			num(mi, 2, '0')
		case 'n':
			b.WriteByte('\n')
		case 'p':
			if h < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'P':
			if h < 12 {
				b.WriteString("am")
			} else {
				b.WriteString("pm")
			}
		case 'r':
			b.WriteString(Strftime("%I:%M:%S %p", t))
		case 'R':
			b.WriteString(Strftime("%H:%M", t))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'S':
			num(s, 2, '0')
		case 't':
			b.WriteByte('\t')
		case 'T', 'X':
			b.WriteString(Strftime("%H:%M:%S", t))
		case 'u':
			num((wd+6)%7+1, 1, '0')
		case 'U':
			num((yd+7-wd)/7, 2, '0')
		case 'V':
			_, wk := t.ISOWeek()
			num(wk, 2, '0')
		case 'w':
			num(wd, 1, '0')
		case 'W':
			num((yd+7-(wd+6)%7)/7, 2, '0')
		case 'y':
			num(Y%100, 2, '0')
		case 'Y':
			num(Y, 1, '0')
		case 'z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b.WriteByte(sign)
			fmt.Fprintf(&b, "%02d%02d", off/3600, off/60%60)
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(name)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteString(f[start : i+1])
		}
	}
	return b.String()
}
