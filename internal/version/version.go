// Package version names the moobox release the binaries belong to.
package version

// Version is moobox's version; images and --version lines print it.
const Version = "0.1.0"
