// Package applets is the registry of moobox applets and the multicall
// dispatcher behind cmd/busybox.
package applets

import (
	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/coreutils"
	"github.com/moobox/moobox/internal/cowsay"
	"github.com/moobox/moobox/internal/df"
	"github.com/moobox/moobox/internal/fortune"
	"github.com/moobox/moobox/internal/lolcat"
	"github.com/moobox/moobox/internal/ls"
	"github.com/moobox/moobox/internal/ps"
	"github.com/moobox/moobox/internal/stat"
	"github.com/moobox/moobox/internal/sysutils"
)

// Applet is one entry of the table.
type Applet struct {
	Name string
	Main applet.Func
}

// table lists every applet, sorted by name. It is a static composite
// literal of function values, so the linker lays it out and start-up does
// no work for it.
var table = [...]Applet{
	{"[", coreutils.Test},
	{"basename", coreutils.Basename},
	{"cat", coreutils.Cat},
	{"clear", coreutils.Clear},
	{"cowsay", cowsay.Main},
	{"cowthink", cowsay.Main},
	{"cp", coreutils.Cp},
	{"date", sysutils.Date},
	{"df", df.Main},
	{"dirname", coreutils.Dirname},
	{"echo", coreutils.Echo},
	{"egrep", coreutils.Grep},
	{"env", coreutils.Env},
	{"false", coreutils.False},
	{"fgrep", coreutils.Grep},
	{"fortune", fortune.Main},
	{"free", sysutils.Free},
	{"grep", coreutils.Grep},
	{"head", coreutils.Head},
	{"hostname", sysutils.Hostname},
	{"id", sysutils.ID},
	{"ln", coreutils.Ln},
	{"lolcat", lolcat.Main},
	{"ls", ls.Main},
	{"mkdir", coreutils.Mkdir},
	{"mount", sysutils.Mount},
	{"mv", coreutils.Mv},
	{"printenv", coreutils.Printenv},
	{"printf", coreutils.Printf},
	{"ps", ps.Main},
	{"pwd", coreutils.Pwd},
	{"readlink", coreutils.Readlink},
	{"rm", coreutils.Rm},
	{"rmdir", coreutils.Rmdir},
	{"sh", nil}, // resolved by Lookup (see shMain)
	{"sleep", coreutils.Sleep},
	{"stat", stat.Main},
	{"strfile", fortune.StrfileMain},
	{"tail", coreutils.Tail},
	{"test", coreutils.Test},
	{"touch", coreutils.Touch},
	{"true", coreutils.True},
	{"uname", sysutils.Uname},
	{"unstr", fortune.UnstrMain},
	{"uptime", sysutils.Uptime},
	{"wc", coreutils.Wc},
	{"which", sysutils.Which},
	{"whoami", sysutils.Whoami},
}

// Lookup finds an applet by name.
func Lookup(name string) (applet.Func, bool) {
	// Binary search: the table is sorted (a test checks it).
	lo, hi := 0, len(table)
	for lo < hi {
		m := (lo + hi) / 2
		if table[m].Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(table) && table[lo].Name == name {
		if table[lo].Main == nil {
			return shMain, true
		}
		return table[lo].Main, true
	}
	return nil, false
}

// Names lists the applets in order.
func Names() []string {
	n := make([]string, len(table))
	for i, a := range table {
		n[i] = a.Name
	}
	return n
}
