package fortune

import (
	"fmt"
	"io"
	"strings"
)

// getopt parses args (without argv[0]) the way glibc's getopt does for the
// fortune-mod tools: options may follow operands (GNU permutation), "--"
// ends them, flags combine ("-so") and an argument may be attached ("-c%")
// or separate. Diagnostics match glibc's, prefixed with prog (argv[0]).
// It returns the options in order and the operands.
type opt struct {
	c   byte
	arg string
}

func getopt(prog string, args []string, spec string, stderr io.Writer) (opts []opt, operands []string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				fmt.Fprintf(stderr, "%s: invalid option -- '%c'\n", prog, c)
				return nil, nil, false
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				if j+1 < len(a) {
					opts = append(opts, opt{c, a[j+1:]})
				} else if i+1 < len(args) {
					i++
					opts = append(opts, opt{c, args[i]})
				} else {
					fmt.Fprintf(stderr, "%s: option requires an argument -- '%c'\n", prog, c)
					return nil, nil, false
				}
				break
			}
			opts = append(opts, opt{c, ""})
		}
	}
	return opts, operands, true
}
