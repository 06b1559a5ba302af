// Package fortunes holds moobox's own fortune files, written for the
// project, and their strfile indexes. fortune falls back to them when no
// fortune directory exists on the machine (the scratch image).
//
// The .dat files are produced by moobox's own strfile (go generate) and a
// test checks they match the source files and Debian's strfile.
package fortunes

import "embed"

//go:generate go run ../cmd/strfile -s unix

// FS holds the fortune files and their .dat indexes at its top level.
//
//go:embed unix unix.dat
var FS embed.FS
