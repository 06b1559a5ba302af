package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moobox/moobox/image/squashfs"
)

const mksquashfsUsage = "usage: moobuild mksquashfs SRC_DIR OUT [-comp gzip|xz|zstd] [-b BLOCK] [-all-root] [-noappend]"

// mksquashfsCmd builds a SquashFS image from a directory like squashfs-tools'
// mksquashfs does for the same flags. Without -noappend mksquashfs would
// append to an existing image; moobuild cannot, so it refuses to touch an
// existing OUT instead of silently replacing it.
func mksquashfsCmd(args []string) int {
	var pos []string
	o := squashfs.Options{Compression: squashfs.Gzip}
	var d squashfs.DirOptions
	noappend := false
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "moobuild mksquashfs: "+format+"\n", a...)
		return 1
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "-comp", "-b":
			if i+1 >= len(args) {
				fmt.Fprintf(os.Stderr, "moobuild mksquashfs: %s needs an argument\n%s\n", a, mksquashfsUsage)
				return 2
			}
			i++
			v := args[i]
			if a == "-comp" {
				c, err := squashfs.ParseCompression(v)
				if err != nil {
					return fail("%v", err)
				}
				o.Compression = c
			} else {
				n, err := parseBlockSize(v)
				if err != nil {
					return fail("-b %s: %v", v, err)
				}
				o.BlockSize = n
			}
		case "-all-root", "-root-owned":
			d.AllRoot = true
		case "-noappend":
			noappend = true
		case "-help", "--help", "-h":
			fmt.Println(mksquashfsUsage)
			return 0
		case "-quiet", "-no-progress", "-no-xattrs":
			// Accepted for mksquashfs compatibility; moobuild prints no
			// progress and stores no xattrs.
		default:
			if len(a) > 1 && a[0] == '-' {
				fmt.Fprintf(os.Stderr, "moobuild mksquashfs: unknown option %s\n%s\n", a, mksquashfsUsage)
				return 2
			}
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		fmt.Fprintln(os.Stderr, mksquashfsUsage)
		return 2
	}
	src, out := pos[0], pos[1]
	o.MkfsTime = time.Now().Unix()
	if s, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok {
		t, err := parseEpoch(s)
		if err != nil {
			return fail("SOURCE_DATE_EPOCH=%q: not a time in 0..4294967295", s)
		}
		// As mksquashfs: the creation time, and the latest mtime allowed.
		o.MkfsTime, d.ClampMtime, d.Mtime = t, true, t
	}
	if !noappend {
		if _, err := os.Lstat(out); err == nil {
			return fail("%s exists and appending is not supported: use -noappend to replace it", out)
		}
	}
	// A previous image at OUT inside SRC is not packed into the new one
	// (mksquashfs likewise leaves its output out). The temporary file
	// WriteFile writes is created after the walk, so never seen.
	d.Skip = out
	tree, err := squashfs.FromDir(src, d)
	if err != nil {
		return fail("%v", err)
	}
	if err := squashfs.WriteFile(out, tree, o); err != nil {
		return fail("%v", err)
	}
	return 0
}

// parseEpoch reads SOURCE_DATE_EPOCH as mksquashfs 4.5.1 does (strtoll in
// base 10, the whole string, 0..2^32-1): leading white space and a sign
// are allowed, and the empty string is 0.
func parseEpoch(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := strconv.ParseInt(strings.TrimLeft(s, " \t\n\v\f\r"), 10, 64)
	if err != nil || t < 0 || t > 1<<32-1 {
		return 0, fmt.Errorf("not a time in 0..4294967295")
	}
	return t, nil
}

// parseBlockSize accepts mksquashfs's forms: bytes, or a K/M suffix.
func parseBlockSize(s string) (int, error) {
	mult := 1
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:n-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:n-1]
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("not a block size")
	}
	n *= mult
	if n < 4096 || n > 1<<20 || n&(n-1) != 0 {
		return 0, fmt.Errorf("block size must be a power of two from 4K to 1M")
	}
	return n, nil
}
