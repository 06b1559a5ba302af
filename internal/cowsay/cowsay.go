// Package cowsay implements cowsay and cowthink.
package cowsay

import (
	"fmt"

	"github.com/moobox/moobox/internal/applet"
)

// Main runs cowsay, or cowthink when invoked under a name containing "think".
func Main(c *applet.Ctx) int {
	fmt.Fprintln(c.Stderr, "cowsay: not implemented yet")
	return 1
}
