// Package lolcat implements lolcat.
package lolcat

import (
	"fmt"

	"github.com/moobox/moobox/internal/applet"
)

// Main runs lolcat.
func Main(c *applet.Ctx) int {
	fmt.Fprintln(c.Stderr, "lolcat: not implemented yet")
	return 1
}
