// Package fortune implements fortune, strfile and unstr.
package fortune

import (
	"fmt"

	"github.com/moobox/moobox/internal/applet"
)

// Main runs fortune.
func Main(c *applet.Ctx) int {
	fmt.Fprintln(c.Stderr, "fortune: not implemented yet")
	return 1
}



// UnstrMain runs unstr.
func UnstrMain(c *applet.Ctx) int {
	fmt.Fprintln(c.Stderr, "unstr: not implemented yet")
	return 1
}
