package applets

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/version"
)

const usage = `moobox %s multi-call binary.

Usage: busybox [function [arguments]...]
   or: busybox --list
   or: busybox --install [-s] DIR
   or: function [arguments]...

	moobox is a multi-call binary that combines fortune, cowsay, lolcat,
	a POSIX shell and the core utilities in one static executable.
	Most people will create a link to busybox for each function they
	wish to use and moobox will act like whatever it was invoked as.

Currently defined functions:
`

// Busybox runs the applet named by basename(argv[0]), or by argv[1] when
// invoked as busybox itself.
func Busybox(c *applet.Ctx) int {
	name := c.Name()
	if !strings.HasPrefix(name, "busybox") {
		return run(c, name, c.Args)
	}
	args := c.Args[1:]
	if len(args) == 0 {
		return list(c)
	}
	switch args[0] {
	case "--list":
		return list(c)
	case "--help", "-h":
		fmt.Fprintf(c.Stdout, usage, version.Version)
		return list(c)
	case "--install":
		return install(c, args[1:])
	}
	return run(c, filepath.Base(args[0]), args)
}

func run(c *applet.Ctx, name string, args []string) int {
	if name == "busybox" {
		// "busybox busybox ls" works like "busybox ls".
		return Busybox(&applet.Ctx{Args: args, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Env: c.Env, Dir: c.Dir})
	}
	f, ok := Lookup(name)
	if !ok {
		fmt.Fprintf(c.Stderr, "%s: applet not found\n", name)
		return 127
	}
	cc := *c
	cc.Args = args
	return f(&cc)
}

func list(c *applet.Ctx) int {
	w := bufio.NewWriter(c.Stdout)
	for _, n := range Names() {
		w.WriteString(n)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	return 0
}

// install links every applet into dir: hard links to the running binary
// by default, symbolic links with -s, like busybox --install.
func install(c *applet.Ctx, args []string) int {
	symlink := false
	if len(args) > 0 && args[0] == "-s" {
		symlink = true
		args = args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintln(c.Stderr, "usage: busybox --install [-s] DIR")
		return 2
	}
	dir := c.Path(args[0])
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(c.Stderr, "busybox: --install: %v\n", err)
		return 1
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		fmt.Fprintf(c.Stderr, "busybox: --install: %v\n", err)
		return 1
	}
	rc := 0
	for _, n := range append(Names(), "busybox") {
		dst := filepath.Join(dir, n)
		if dst == self {
			continue
		}
		if symlink {
			err = os.Symlink(self, dst)
		} else {
			err = os.Link(self, dst)
		}
		if err != nil && !os.IsExist(err) {
			fmt.Fprintf(c.Stderr, "busybox: %v\n", err)
			rc = 1
		}
	}
	return rc
}
