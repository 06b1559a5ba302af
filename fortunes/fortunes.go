// Package fortunes holds moobox's own fortune files, written for the
// project, and their strfile indexes. fortune falls back to them when no
// fortune directory exists on the machine (the scratch image).
//
// The .dat files are made by moobox's own strfile (go generate); tests in
// internal/fortune check that they match the text files and that Debian's
// strfile makes the same bytes.
package fortunes

import "embed"

//go:generate go run ../cmd/strfile -s containers
//go:generate go run ../cmd/strfile -s cows
//go:generate go run ../cmd/strfile -s golang
//go:generate go run ../cmd/strfile -s reproducible
//go:generate go run ../cmd/strfile -s unix

// FS holds the fortune files and their .dat indexes at its top level.
//
//go:embed containers containers.dat cows cows.dat golang golang.dat reproducible reproducible.dat unix unix.dat
var FS embed.FS

// Names lists the fortune files in FS.
var Names = []string{"containers", "cows", "golang", "reproducible", "unix"}
