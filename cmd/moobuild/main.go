// Command moobuild builds moobox's container images in pure Go.
package main

import (
	"fmt"
	"os"

	"github.com/moobox/moobox/image/build"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// command is one subcommand: its handler and its usage line.
type command struct {
	run   func(args []string) int
	usage string
}

// commands maps each subcommand to its handler; add a line per command.
var commands = map[string]command{
	"oci": {func(a []string) int { return build.Main(a, os.Stdout, os.Stderr) },
		"moobuild oci [--platform P,...|all] [--busybox PATH] [--compression gzip|zstd] [--sbom PATH] [--def FILE|none] [--user U] TARGET..."},
	"mksquashfs": {mksquashfsCmd,
		"moobuild mksquashfs SRC_DIR OUT [-comp gzip|xz|zstd] [-b BLOCK] [-all-root] [-noappend]"},
	"sif": {sifBuildCmd,
		"moobuild [sif] [--platform P] [--busybox PATH] [--comp xz|gzip|zstd] [--test] OUT.sif [DEFFILE]"},
	"push":   {pushCmd, "moobuild push FILE.sif oras://HOST/REPO:TAG"},
	"verify": {verifyCmd, "moobuild verify FILE.sif..."},
}

// order is the order of the usage lines.
var order = []string{"oci", "sif", "push", "verify", "mksquashfs"}

func run(args []string) int {
	if len(args) > 0 {
		if c, ok := commands[args[0]]; ok {
			return c.run(args[1:])
		}
		if isSIFBuild(args) {
			return sifBuildCmd(args)
		}
	}
	fmt.Fprintln(os.Stderr, "usage:")
	for _, n := range order {
		fmt.Fprintln(os.Stderr, "  "+commands[n].usage)
	}
	return 2
}
