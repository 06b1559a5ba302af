package coreutils

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moobox/moobox/internal/applet"
)

const wcUsage = `Usage: wc [-cmlwL] [FILE]...

Count the lines, words and bytes of FILEs (or stdin)

	-c	Bytes
	-m	Characters (UTF-8)
	-l	Lines (newlines)
	-w	Words
	-L	Length of the longest line`

// wc columns in output order.
const (
	wcLines = iota
	wcWords
	wcChars
	wcBytes
	wcLength
	wcN
)

// Wc counts lines, words, characters and bytes. Like busybox, a word is a
// run of printable ASCII; other bytes neither start nor end one.
func Wc(c *applet.Ctx) int {
	if wantsHelp(c, wcUsage) {
		return 0
	}
	o, files, ok := parseOpts(c, "cmlwL", wcUsage)
	if !ok {
		return 1
	}
	var show [wcN]bool
	show[wcLines], show[wcWords], show[wcChars], show[wcBytes], show[wcLength] =
		o.has('l'), o.has('w'), o.has('m'), o.has('c'), o.has('L')
	nshow := 0
	for _, s := range show {
		if s {
			nshow++
		}
	}
	if nshow == 0 {
		show[wcLines], show[wcWords], show[wcBytes] = true, true, true
		nshow = 3
	}
	named := len(files) > 0
	if !named {
		files = []string{"-"}
	}
	padded := nshow > 1 || len(files) > 1
	w := newOut(c)
	rc := 0
	var total [wcN]uint64
	print := func(cnt *[wcN]uint64, name string) {
		first := true
		for i := range cnt {
			if !show[i] {
				continue
			}
			if !first {
				w.WriteByte(' ')
			}
			first = false
			s := strconv.FormatUint(cnt[i], 10)
			if padded {
				s = pad(s, 9)
			}
			w.WriteString(s)
		}
		if named {
			w.WriteByte(' ')
			w.WriteString(name)
		}
		w.WriteByte('\n')
	}
	for _, name := range files {
		r, closer, err := openIn(c, name)
		if err != nil {
			errorf(c, "%s: %s", name, errText(err))
			rc = 1
			continue
		}
		cnt, err := wcCount(r, unicodeLocale(c))
		closer()
		if err != nil {
			errorf(c, "%s: %s", name, errText(err))
			rc = 1
		}
		print(&cnt, name)
		for i := range cnt {
			total[i] += cnt[i]
		}
		if cnt[wcLength] > total[wcLength] {
			total[wcLength] = cnt[wcLength]
		}
	}
	if len(files) > 1 {
		print(&total, "total")
	}
	return w.finish(rc)
}

// unicodeLocale reports whether the locale variables name UTF-8, which is
// when busybox counts -m in characters rather than bytes.
func unicodeLocale(c *applet.Ctx) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := c.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf")
		}
	}
	return false
}

func wcCount(r io.Reader, utf bool) (cnt [wcN]uint64, err error) {
	buf := make([]byte, 32<<10)
	inWord := false
	var linepos uint64
	endLine := func() {
		if linepos > cnt[wcLength] {
			cnt[wcLength] = linepos
		}
	}
	for {
		n, rerr := r.Read(buf)
		for _, b := range buf[:n] {
			if !utf || b&0xc0 != 0x80 {
				cnt[wcChars]++
			}
			switch {
			case b > ' ' && b < 0x7f:
				linepos++
				inWord = true
				continue
			case b == ' ':
				linepos++
			case b == '\t':
				linepos = linepos | 7 + 1
			case b >= '\n' && b <= '\r':
				endLine()
				if b == '\n' {
					cnt[wcLines]++
				}
				if b != '\v' {
					linepos = 0
				}
			default:
				continue
			}
			if inWord {
				cnt[wcWords]++
			}
			inWord = false
		}
		cnt[wcBytes] += uint64(n)
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	endLine()
	if inWord {
		cnt[wcWords]++
	}
	return cnt, err
}

const headUsage = `Usage: head [OPTIONS] [FILE]...

Copy the first 10 lines of each FILE (or stdin) to stdout, with a header
naming each file when there are several

	-n N[bkm]	First N lines
	-n -N[bkm]	All but the last N lines
	-c [-]N[bkm]	First N bytes (all but the last N with -)
			(b:*512 k:*1024 m:*1024^2)
	-q		No headers
	-v		Headers even for one file`

const tailUsage = `Usage: tail [OPTIONS] [FILE]...

Copy the last 10 lines of each FILE (or stdin) to stdout, with a header
naming each file when there are several

	-c [+]N[bkm]	Last N bytes (from byte N on with +)
	-n [+]N[bkm]	Last N lines (from line N on with +)
			(b:*512 k:*1024 m:*1024^2)
	-q		No headers
	-v		Headers even for one file
	-f		Then print what is appended, as it comes
	-F		Likewise, waiting for missing files
	-s SECONDS	Check every SECONDS with -f (default 1)`

// parseCount reads N[bkm] with an optional sign, as head and tail take it.
func parseCount(s string) (n uint64, sign byte, ok bool) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		sign, s = s[0], s[1:]
	}
	mult := uint64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'b':
			mult = 512
		case 'k':
			mult = 1024
		case 'm':
			mult = 1024 * 1024
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return v * mult, sign, true
}

// obsoleteCount rewrites head's and tail's old "-N" and tail's "+N" first
// argument into "-n N".
func obsoleteCount(args []string, plus bool) []string {
	if len(args) < 2 {
		return args
	}
	a := args[1]
	if len(a) > 1 && (a[0] == '-' || plus && a[0] == '+') && a[1] >= '0' && a[1] <= '9' {
		v := a[1:]
		if a[0] == '+' {
			v = a
		}
		out := append([]string{args[0], "-n", v}, args[2:]...)
		return out
	}
	return args
}

// Head prints the start of files.
func Head(c *applet.Ctx) int {
	return headTail(c, true)
}

// Tail prints the end of files.
func Tail(c *applet.Ctx) int {
	return headTail(c, false)
}

func headTail(c *applet.Ctx, head bool) int {
	usage := tailUsage
	if head {
		usage = headUsage
	}
	if wantsHelp(c, usage) {
		return 0
	}
	cc := *c
	cc.Args = obsoleteCount(c.Args, !head)
	spec := "n:c:qvfFs:"
	if head {
		spec = "n:c:qv"
	}
	o, files, ok := parseOpts(&cc, spec, usage)
	if !ok {
		return 1
	}
	interval := time.Second
	if o.has('s') {
		f, err := strconv.ParseFloat(o.val('s', ""), 64)
		if err != nil || f < 0 {
			errorf(c, "invalid number '%s'", o.val('s', ""))
			return 1
		}
		interval = time.Duration(f * float64(time.Second))
	}
	bytesMode := false
	arg := o.val('n', "10")
	// The later of -n and -c wins; opts keeps no order, so prefer -c when
	// both appear (a rare mix).
	if o.has('c') {
		bytesMode = true
		arg = o.val('c', "")
	}
	n, sign, ok := parseCount(arg)
	if !ok {
		errorf(c, "invalid number '%s'", arg)
		return 1
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	rc := 0
	type input struct {
		name   string
		r      io.Reader
		closer func()
	}
	var inputs []input
	nfiles := len(files)
	if !head {
		// tail opens every file first and counts only those for headers.
		for _, name := range files {
			r, closer, err := openIn(c, name)
			if err != nil {
				errorf(c, "can't open '%s': %s", name, errText(err))
				rc = 1
				continue
			}
			inputs = append(inputs, input{name, r, closer})
		}
		nfiles = len(inputs)
	} else {
		for _, name := range files {
			inputs = append(inputs, input{name: name})
		}
	}
	headers := (nfiles > 1 || o.has('v')) && !o.has('q')
	w := newOut(c)
	for i, in := range inputs {
		name, r, closer := in.name, in.r, in.closer
		if r == nil {
			var err error
			r, closer, err = openIn(c, name)
			if err != nil {
				errorf(c, "%s: %s", name, errText(err))
				rc = 1
				continue
			}
		}
		if headers {
			if i > 0 {
				w.WriteByte('\n')
			}
			shown := name
			if name == "-" {
				shown = "standard input"
			}
			w.WriteString("==> " + shown + " <==\n")
		}
		var err error
		if head {
			err = headOne(w, r, n, sign == '-', bytesMode)
		} else {
			err = tailOne(w, r, n, sign == '+', bytesMode)
		}
		closer()
		if err != nil {
			if w.failed() {
				return w.finish(1)
			}
			errorf(c, "%s: %s", name, errText(err))
			rc = 1
		}
	}
	if !head && (o.has('f') || o.has('F')) {
		// -f follows the files that opened; -F also waits for the others.
		var names []string
		for _, in := range inputs {
			if in.name != "-" {
				names = append(names, in.name)
			}
		}
		if o.has('F') {
			names = names[:0]
			for _, n := range files {
				if n != "-" {
					names = append(names, n)
				}
			}
		}
		return follow(c, w, names, headers, interval, rc)
	}
	return w.finish(rc)
}

// follow prints what is appended to the files, checking every interval,
// until output fails: the reader went away or, inside the shell, the
// command was interrupted (its closed stdout then refuses even an empty
// write).
func follow(c *applet.Ctx, w outBuf, names []string, headers bool, interval time.Duration, rc int) int {
	offs := make([]int64, len(names))
	for i, n := range names {
		offs[i] = -1
		if fi, err := os.Stat(c.Path(n)); err == nil {
			offs[i] = fi.Size()
		}
	}
	last := len(names) - 1
	if err := w.Flush(); err != nil {
		return w.finish(1)
	}
	for {
		time.Sleep(interval)
		if _, err := c.Stdout.Write(nil); err != nil {
			return rc
		}
		for i, n := range names {
			fi, err := os.Stat(c.Path(n))
			if err != nil {
				continue
			}
			size := fi.Size()
			if offs[i] < 0 {
				offs[i] = 0
			}
			if size < offs[i] {
				errorf(c, "%s: file truncated", n)
				offs[i] = 0
			}
			if size == offs[i] {
				continue
			}
			f, err := os.Open(c.Path(n))
			if err != nil {
				continue
			}
			if headers && i != last {
				w.WriteString("\n==> " + n + " <==\n")
				last = i
			}
			copied, _ := io.Copy(w, io.NewSectionReader(f, offs[i], size-offs[i]))
			f.Close()
			offs[i] += copied
			if err := w.Flush(); err != nil {
				return rc
			}
		}
	}
}

func headOne(w outBuf, r io.Reader, n uint64, allBut, bytesMode bool) error {
	if bytesMode && !allBut {
		_, err := io.Copy(w, io.LimitReader(r, int64(min(n, 1<<62))))
		return err
	}
	if allBut {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if bytesMode {
			if uint64(len(data)) > n {
				w.Write(data[:uint64(len(data))-n])
			}
			return nil
		}
		// busybox reads these lines as C strings: a NUL ends a line too,
		// and vanishes.
		var lines [][]byte
		for len(data) > 0 {
			i := bytes.IndexAny(data, "\n\x00")
			if i < 0 {
				lines = append(lines, data)
				break
			}
			lines = append(lines, data[:i+1])
			data = data[i+1:]
		}
		if uint64(len(lines)) > n {
			for _, l := range lines[:uint64(len(lines))-n] {
				w.Write(bytes.TrimSuffix(l, []byte{0}))
			}
		}
		return nil
	}
	br := bufio.NewReader(r)
	for ; n > 0; n-- {
		line, err := br.ReadSlice('\n')
		w.Write(line)
		if err == bufio.ErrBufferFull {
			n++
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil
}

// splitLines cuts data after each newline; a last unterminated line is a
// line too.
func splitLines(data []byte) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines
}

func tailOne(w outBuf, r io.Reader, n uint64, fromStart, bytesMode bool) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytesMode {
		var start uint64
		switch {
		case fromStart && n > 0:
			start = n - 1
		case fromStart:
			start = 0
		case uint64(len(data)) > n:
			start = uint64(len(data)) - n
		}
		if start < uint64(len(data)) {
			w.Write(data[start:])
		}
		return nil
	}
	lines := splitLines(data)
	var start uint64
	switch {
	case fromStart && n > 0:
		start = n - 1
	case fromStart:
		start = 0
	case uint64(len(lines)) > n:
		start = uint64(len(lines)) - n
	}
	for i := start; i < uint64(len(lines)); i++ {
		w.Write(lines[i])
	}
	return nil
}
