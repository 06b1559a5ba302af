// Package cows holds moobox's own cow files, embedded so cowsay works in a
// scratch image with no /usr/share/cowsay. The files are written in the
// subset of Perl that cowsay 3.03 cow files use (see internal/cowsay).
package cows

import "embed"

// FS holds the *.cow files at its top level.
//
//go:embed *.cow
var FS embed.FS
