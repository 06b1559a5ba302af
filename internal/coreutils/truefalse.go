// Package coreutils holds the small core applets of the multicall binary.
package coreutils

import "github.com/moobox/moobox/internal/applet"

// True exits 0 whatever its arguments, like true(1).
func True(*applet.Ctx) int { return 0 }

// False exits 1 whatever its arguments, like false(1).
func False(*applet.Ctx) int { return 1 }
