// Package bbopt parses applet options the way busybox's getopt32 does (GNU
// getopt: clustered short options, argument permutation, "--", unique
// prefixes of long options) and prints usage and errors in busybox's
// words, so the system applets share one parser.
package bbopt

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/version"
)

// HelpHeader opens every usage text, in busybox's layout.
const HelpHeader = "moobox v" + version.Version + " multi-call binary.\n\n"

// Arg says whether a long option takes an argument.
type Arg int

const (
	NoArg Arg = iota
	Required
	Optional
)

// Long is a long option; Key is the byte it is counted under (use a
// short letter to alias one, or a value >= 128 for a long-only option).
type Long struct {
	Name string
	Arg  Arg
	Key  byte
}

// Spec describes an applet's options.
type Spec struct {
	Short string // "ab:c::": b takes an argument, c an optional glued one
	Long  []Long
	Usage string // from "Usage:" on, without the header
	// NoPermute stops at the first operand (POSIX order), for applets
	// whose operands may start with '-' after the first.
	NoPermute bool
}

// Opts holds what was given.
type Opts struct {
	n    [256]int
	vals [256][]string
	// Order lists the option keys in the order given, for applets where
	// the last of a conflicting pair wins.
	Order []byte
}

// Has reports whether option k was given.
func (o *Opts) Has(k byte) bool { return o.n[k] > 0 }

// Count is how many times k was given.
func (o *Opts) Count(k byte) int { return o.n[k] }

// Val is the last argument of k, or def.
func (o *Opts) Val(k byte, def string) string {
	if v := o.vals[k]; len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// Vals are all arguments of k in order.
func (o *Opts) Vals(k byte) []string { return o.vals[k] }

// Help prints the usage to stderr and reports true when the first argument
// is --help (where busybox looks for it); the applet then returns 0.
func Help(c *applet.Ctx, s *Spec) bool {
	if len(c.Args) > 1 && c.Args[1] == "--help" {
		io.WriteString(c.Stderr, HelpHeader+s.Usage)
		return true
	}
	return false
}

// Parse parses c.Args[1:]. On a bad option it prints busybox's message and
// the usage to stderr and returns ok=false; the applet then returns 1.
func Parse(c *applet.Ctx, s *Spec) (o *Opts, operands []string, ok bool) {
	o = new(Opts)
	args := c.Args[1:]
	bad := func(format string, a ...any) (*Opts, []string, bool) {
		Errorf(c, format, a...)
		io.WriteString(c.Stderr, HelpHeader+s.Usage)
		return nil, nil, false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if s.NoPermute {
				operands = append(operands, args[i:]...)
				break
			}
			operands = append(operands, a)
			continue
		}
		if a[1] == '-' {
			name, val, hasVal := strings.Cut(a[2:], "=")
			l, amb := findLong(s.Long, name)
			if amb {
				return bad("option '%s' is ambiguous", a)
			}
			if l == nil {
				return bad("unrecognized option '%s'", a)
			}
			switch l.Arg {
			case NoArg:
				if hasVal {
					return bad("option '--%s' doesn't allow an argument", l.Name)
				}
			case Required:
				if !hasVal {
					if i+1 >= len(args) {
						return bad("option '--%s' requires an argument", l.Name)
					}
					i++
					val = args[i]
				}
				o.vals[l.Key] = append(o.vals[l.Key], val)
			case Optional:
				if hasVal {
					o.vals[l.Key] = append(o.vals[l.Key], val)
				}
			}
			o.n[l.Key]++
			o.Order = append(o.Order, l.Key)
			continue
		}
		for j := 1; j < len(a); j++ {
			b := a[j]
			k := strings.IndexByte(s.Short, b)
			if b == ':' || k < 0 {
				return bad("invalid option -- '%c'", b)
			}
			o.n[b]++
			o.Order = append(o.Order, b)
			if k+2 < len(s.Short) && s.Short[k+1] == ':' && s.Short[k+2] == ':' {
				// "x::": an optional argument, only when glued on.
				if j+1 < len(a) {
					o.vals[b] = append(o.vals[b], a[j+1:])
				}
				break
			}
			if k+1 < len(s.Short) && s.Short[k+1] == ':' {
				var v string
				if j+1 < len(a) {
					v = a[j+1:]
				} else if i+1 < len(args) {
					i++
					v = args[i]
				} else {
					return bad("option requires an argument -- '%c'", b)
				}
				o.vals[b] = append(o.vals[b], v)
				break
			}
		}
	}
	return o, operands, true
}

func findLong(ls []Long, name string) (*Long, bool) {
	var hit *Long
	for i := range ls {
		if ls[i].Name == name {
			return &ls[i], false
		}
		if strings.HasPrefix(ls[i].Name, name) && name != "" {
			if hit != nil {
				return nil, true
			}
			hit = &ls[i]
		}
	}
	return hit, false
}

// Errorf prints "applet: message" on stderr.
func Errorf(c *applet.Ctx, format string, a ...any) {
	fmt.Fprintf(c.Stderr, "%s: %s\n", c.Name(), fmt.Sprintf(format, a...))
}

// ErrText is the C library's wording of err's errno ("No such file or
// directory"); Go spells the same text in lower case.
func ErrText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// IsEPIPE reports a write to a closed pipe; applets then stop quietly, as
// a process killed by SIGPIPE would.
func IsEPIPE(err error) bool { return errors.Is(err, syscall.EPIPE) }
