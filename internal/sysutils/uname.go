package sysutils

import (
	"bufio"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
)

var unameSpec = bbopt.Spec{Short: "amnrspvio", Usage: `Usage: uname [-amnrspvio]

Print facts about the running system (the kernel name by default)

	-a	All of them
	-m	Machine hardware name
	-n	Network node name
	-r	Kernel release
	-s	Kernel name
	-p	Processor type
	-v	Kernel version
	-i	Hardware platform
	-o	Operating system
`}

func cstr(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// Uname is the uname applet.
func Uname(c *applet.Ctx) int {
	if bbopt.Help(c, &unameSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &unameSpec)
	if !ok {
		return 1
	}
	if len(args) > 0 {
		return usageErr(c, &unameSpec)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		bbopt.Errorf(c, "cannot get system name: %s", bbopt.ErrText(err))
		return 1
	}
	fields := []struct {
		opt byte
		val string
	}{
		{'s', cstr(u.Sysname[:])},
		{'n', cstr(u.Nodename[:])},
		{'r', cstr(u.Release[:])},
		{'v', cstr(u.Version[:])},
		{'m', cstr(u.Machine[:])},
		{'p', "unknown"},
		{'i', "unknown"},
		{'o', "GNU/Linux"},
	}
	all := o.Has('a')
	any := false
	for _, f := range fields {
		if o.Has(f.opt) {
			any = true
		}
	}
	var out []string
	for _, f := range fields {
		want := o.Has(f.opt) || (!any && !all && f.opt == 's')
		// -a leaves out the processor and platform busybox cannot tell.
		if all && !(f.opt == 'p' || f.opt == 'i') {
			want = true
		}
		if want {
			out = append(out, f.val)
		}
	}
	w := bufio.NewWriter(c.Stdout)
	w.WriteString(strings.Join(out, " ") + "\n")
	return finish(c, w, 0)
}

var hostnameSpec = bbopt.Spec{Short: "sidfF:", Usage: `Usage: hostname [-sidf] [HOSTNAME | -F FILE]

Print the host name, or set it

	-s	Short name (up to the first dot)
	-i	Addresses of the host name (from /etc/hosts)
	-d	DNS domain (after the first dot)
	-f	Fully qualified name
	-F FILE	Set the host name from FILE
`}

// Hostname is the hostname applet.
func Hostname(c *applet.Ctx) int {
	if bbopt.Help(c, &hostnameSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &hostnameSpec)
	if !ok {
		return 1
	}
	if len(args) > 1 {
		return usageErr(c, &hostnameSpec)
	}
	set := ""
	if o.Has('F') {
		data, err := os.ReadFile(c.Path(o.Val('F', "")))
		if err != nil {
			bbopt.Errorf(c, "can't open '%s': %s", o.Val('F', ""), bbopt.ErrText(err))
			return 1
		}
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && l[0] != '#' {
				set = l
				break
			}
		}
	} else if len(args) == 1 {
		set = args[0]
	}
	if set != "" || o.Has('F') {
		if err := unix.Sethostname([]byte(set)); err != nil {
			bbopt.Errorf(c, "sethostname: %s", bbopt.ErrText(err))
			return 1
		}
		return 0
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		bbopt.Errorf(c, "%s", bbopt.ErrText(err))
		return 1
	}
	name := cstr(u.Nodename[:])
	w := bufio.NewWriter(c.Stdout)
	switch {
	case o.Has('s'):
		short, _, _ := strings.Cut(name, ".")
		w.WriteString(short + "\n")
	case o.Has('d'):
		if _, dom, ok := strings.Cut(name, "."); ok {
			w.WriteString(dom + "\n")
		}
	case o.Has('i'):
		addrs := hostsAddrs(name)
		if len(addrs) == 0 {
			w.Flush()
			bbopt.Errorf(c, "%s: no addresses", name)
			return 1
		}
		w.WriteString(strings.Join(addrs, " ") + "\n")
	default:
		w.WriteString(name + "\n")
	}
	return finish(c, w, 0)
}

// hostsAddrs lists the /etc/hosts addresses of name (no DNS: a static
// binary in an image has no resolver library to ask).
func hostsAddrs(name string) []string {
	data, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		for _, h := range f[min(1, len(f)):] {
			if h == name {
				out = append(out, f[0])
				break
			}
		}
	}
	return out
}
