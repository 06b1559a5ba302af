package deffile

import (
	"fmt"
	"strings"
)

// Env maps the %environment script onto a static environment list
// ("NAME=value", in order, later assignments replacing earlier ones) for an
// OCI image config, which cannot run shell code. It understands the lines a
// recipe uses for that: blank lines, comments, "NAME=value" and
// "export NAME=value" (several per line), values quoted with ' or ", and
// $NAME/${NAME} references to variables set earlier in the script or in
// base (the image's defaults, e.g. PATH). Anything else is an error naming
// the line, so the OCI image never silently differs from the SIF.
//
// The SIF's runtime sources %environment, so a plain "NAME=value" reaches
// the container's programs only when NAME is exported (by an export line,
// or being in base, the environment the image starts with). An OCI Env has
// no unexported variables: rather than guess, a variable assigned but never
// exported is an error suggesting "export NAME=value".
func (d *Def) Env(base []string) ([]string, error) {
	line := 0
	if len(d.Sections) > 0 {
		for _, s := range d.Sections {
			if s.Key == "environment" {
				line = s.Line
			}
		}
	}
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	exported := map[string]bool{}
	unexported := map[string]int{} // name -> line of its first assignment
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
		exported[k] = true
	}
	const only = "(only NAME=value and export NAME=value lines map onto an OCI config)"
	// Line numbers: the body starts after the section line, but script()
	// dropped leading blank lines; recount from the raw file instead.
	lines := strings.Split(d.Environment, "\n")
	first := envFirstLine(d, line)
	for n, l := range lines {
		ln := first + n
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		words, err := shellWords(t, vars)
		if err != nil {
			return nil, d.Errorf(ln, "%%environment: %v %s", err, only)
		}
		export := len(words) > 0 && words[0].text == "export" && !words[0].quoted
		if export {
			words = words[1:]
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w.text, "=")
			switch {
			case ok && w.assign && validName(k):
				set(k, v)
				if export {
					exported[k] = true
				} else if _, seen := unexported[k]; !seen {
					unexported[k] = ln
				}
			case export && !ok && validName(w.text):
				// "export NAME": its value is already mapped (or unset,
				// then an OCI Env has nothing to hold either).
				exported[w.text] = true
			default:
				return nil, d.Errorf(ln, "%%environment: %q is not an assignment %s", w.text, only)
			}
		}
	}
	// The earliest assignment never exported is the error.
	bad, badLine := "", 0
	for k, ln := range unexported {
		if !exported[k] && (badLine == 0 || ln < badLine || ln == badLine && k < bad) {
			bad, badLine = k, ln
		}
	}
	if bad != "" {
		return nil, d.Errorf(badLine, "%%environment: %s is set but not exported, so programs in the SIF would not see it while the OCI image's Env would hold it: write \"export %s=...\" (or add \"export %s\")", bad, bad, bad)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out, nil
}

// envFirstLine finds the file line of the first non-blank line of the
// %environment body.
func envFirstLine(d *Def, section int) int {
	if section == 0 {
		return 0
	}
	raw := strings.Split(strings.ReplaceAll(string(d.Raw), "\r\n", "\n"), "\n")
	for i := section; i < len(raw); i++ {
		if strings.TrimSpace(raw[i]) != "" {
			return i + 1
		}
	}
	return section + 1
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

type word struct {
	text   string
	quoted bool // the NAME part was quoted: not an assignment
	assign bool
}

// shellWords splits a simple shell command line into words, applying
// quotes and expanding $NAME and ${NAME} from vars. It refuses what a static
// environment cannot express: command substitution, unknown variables,
// operators.
func shellWords(s string, vars map[string]string) ([]word, error) {
	var out []word
	var cur strings.Builder
	in := false
	quotedName := false
	sawEq := false
	flush := func() {
		if in {
			out = append(out, word{text: cur.String(), quoted: quotedName, assign: sawEq && !quotedName})
		}
		cur.Reset()
		in, quotedName, sawEq = false, false, false
	}
	expand := func(i int) (int, error) {
		// s[i] == '$'
		j := i + 1
		var name string
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return 0, fmt.Errorf("unterminated ${")
			}
			name = s[j+1 : j+end]
			j += end + 1
		} else {
			k := j
			for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || k > j && s[k] >= '0' && s[k] <= '9') {
				k++
			}
			name = s[j:k]
			j = k
		}
		if !validName(name) {
			return 0, fmt.Errorf("unsupported expansion at %q", s[i:])
		}
		v, ok := vars[name]
		if !ok {
			return 0, fmt.Errorf("$%s is not set earlier in %%environment", name)
		}
		cur.WriteString(v)
		return j, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '#' && !in:
			return out, nil
		case c == '\'':
			in = true
			if !sawEq {
				quotedName = true
			}
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case c == '"':
			in = true
			if !sawEq {
				quotedName = true
			}
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated \" quote")
				}
				if s[i] == '"' {
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					cur.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '`' {
					return nil, fmt.Errorf("command substitution is not supported")
				}
				if s[i] == '$' {
					if i+1 < len(s) && s[i+1] == '(' {
						return nil, fmt.Errorf("command substitution is not supported")
					}
					j, err := expand(i)
					if err != nil {
						return nil, err
					}
					i = j
					continue
				}
				cur.WriteByte(s[i])
				i++
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("line continuation is not supported")
			}
			in = true
			cur.WriteByte(s[i+1])
			i += 2
		case c == '$':
			if i+1 < len(s) && s[i+1] == '(' {
				return nil, fmt.Errorf("command substitution is not supported")
			}
			in = true
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			i = j
		case strings.IndexByte(";&|<>()`*?[~", c) >= 0:
			return nil, fmt.Errorf("shell syntax %q is not supported", string(c))
		default:
			if c == '=' && !sawEq {
				sawEq = true
			}
			in = true
			cur.WriteByte(c)
			i++
		}
	}
	flush()
	return out, nil
}
