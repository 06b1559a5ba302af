// Command moobuild builds moobox's container images in pure Go.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "mksquashfs":
			return mksquashfsCmd(args[1:])
		}
	}
	fmt.Fprintln(os.Stderr, "usage: moobuild mksquashfs SRC_DIR OUT [-comp gzip|xz|zstd] [-b BLOCK] [-all-root] [-noappend]")
	return 2
}
