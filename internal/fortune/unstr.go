package fortune

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/moobox/moobox/internal/applet"
)

// unstrLineMax is unstr's fgets buffer (BUFSIZ) less the NUL.
const unstrLineMax = 8191

// UnstrMain runs unstr [-c C] DATAFILE[.ext] [OUTPUTFILE]: it writes the
// strings of a sorted or shuffled index back out in index order.
//
// Debian's unstr 1.99.1 always stops with "data file corrupted" (it
// compares fread's item count with a byte count); moobox does what the
// program documents instead, with the same arguments and messages. Like
// unstr.c's loop, it writes the delimiter line right after a string's
// last line, so a last line without a newline gets the delimiter glued
// to it ("a%\n"): a file ending without a newline comes back that way.
func UnstrMain(c *applet.Ctx) int {
	usage := "Usage:\n\tunstr [-c C] datafile[.ext] [outputfile]\n"
	opts, args, ok := getopt(c.Args[0], c.Args[1:], "c:", c.Stderr)
	if !ok {
		fmt.Fprint(c.Stderr, usage)
		return 1
	}
	var newDelim byte
	for _, op := range opts {
		if op.arg != "" {
			newDelim = op.arg[0]
		} else {
			newDelim = 0
		}
		if newDelim >= 0x80 {
			fmt.Fprintf(c.Stderr, "Bad delimiting characher: '\\%o'\n", uint32(int32(int8(newDelim))))
		}
	}
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, "No input file name\n"+usage)
		return 1
	}
	input := args[0]
	fmt.Fprintf(c.Stderr, "Input file: %s\n", input)
	var datName string
	if i := strings.LastIndexByte(input, '.'); i < 0 {
		datName = input + ".dat"
	} else {
		// The first name is the index; the strings file is that name
		// without its extension.
		datName = input
		input = input[:i]
	}
	output := ""
	if len(args) > 1 {
		output = args[1]
		fmt.Fprintf(c.Stderr, "Output file: %s\n", output)
	}
	if input == output {
		fmt.Fprintf(c.Stderr, "The input file for strings (%s) must be different from the output file (%s)\n", input, output)
		return 1
	}
	src, err := os.ReadFile(vfs{dir: c.Dir}.real(input))
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %s\n", input, strerror(err))
		return 1
	}
	raw, err := os.ReadFile(vfs{dir: c.Dir}.real(datName))
	if err != nil {
		fmt.Fprintf(c.Stderr, "%s: %s\n", datName, strerror(err))
		return 1
	}
	h, err := parseHeader(raw)
	if err != nil {
		fmt.Fprintln(c.Stderr, "unstr: data file corrupted")
		return 1
	}
	if h.Flags&(flagOrdered|flagRandom) == 0 && newDelim == 0 {
		fmt.Fprintln(c.Stderr, "nothing to do -- table in file order")
		return 1
	}
	delim := h.Delim
	if newDelim != 0 {
		delim = newDelim
	}
	var out strings.Builder
	for i := uint64(0); i <= uint64(h.NumStr); i++ {
		off, ok := offsetAt(raw, i)
		if !ok {
			fmt.Fprintln(c.Stderr, "unstr: data file corrupted")
			return 1
		}
		pos := int(off)
		printed := false
		for {
			line, ok := fgetsAt(src, pos, unstrLineMax)
			if !ok || isDelimLine(line, h.Delim) {
				if ok || printed {
					out.WriteByte(delim)
					out.WriteByte('\n')
				}
				break
			}
			pos += len(line)
			printed = true
			out.Write(line[:cstrlen(line)])
		}
	}
	if output == "" {
		w := bufio.NewWriter(c.Stdout)
		w.WriteString(out.String())
		if err := w.Flush(); err != nil {
			fmt.Fprintf(c.Stderr, "unstr: %v\n", err)
			return 1
		}
		return 0
	}
	if err := writeFileAtomic(vfs{dir: c.Dir}.real(output), []byte(out.String())); err != nil {
		fmt.Fprintf(c.Stderr, "%s: %s\n", output, strerror(err))
		return 1
	}
	return 0
}
