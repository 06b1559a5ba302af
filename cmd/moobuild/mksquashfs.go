package main

import (
	"fmt"
	"os"
)

// mksquashfsCmd is replaced by the squashfs writer's command.
func mksquashfsCmd(args []string) int {
	fmt.Fprintln(os.Stderr, "moobuild mksquashfs: not built yet")
	return 1
}
