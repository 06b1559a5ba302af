package fortune

import (
	"bytes"
	"encoding/binary"
	"os"
	"sort"
	"strings"
	"syscall"
)

// fortune-mod recodes the lines of a file that has a NAME.u8 twin from
// UTF-8 to the locale's codeset with librecode ("UTF-8..CODESET", where
// the C locale's ANSI_X3.4-1968 becomes ISO-8859-1). Measured on Debian's
// 1.99.1 with librecode 3.6:
//
//   - UTF-8..UTF-8 copies every byte, invalid ones included;
//   - UTF-8..ISO-8859-1 turns U+0080..U+00FF into single bytes, a few
//     hundred other characters into ASCII look-alikes (latin1Translit),
//     drops ill-formed sequences (stray, truncated or overlong bytes; a
//     sequence cut off by the end of the line takes the rest with it,
//     newline included),
//     and on any other character (Cyrillic, CJK, emoji, surrogates,
//     U+FFFE) also drops what follows it: whole well-formed characters up
//     to six bytes from the start of that character, stopping early at an
//     ill-formed sequence. fortune recodes a line at a time (a whole
//     fortune with -m), so the loss stays inside one.

// recodeLatin1 converts s as librecode's UTF-8..ISO-8859-1 does.
func recodeLatin1(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			out = append(out, c)
			i++
			continue
		}
		r, n := recodeSeq(s, i)
		switch {
		case n <= 0:
			i += -n // ill-formed: dropped
			continue
		case r < 0x100:
			out = append(out, byte(r))
			i += n
			continue
		}
		if t, ok := latin1Translit(r); ok {
			out = append(out, t...)
			i += n
			continue
		}
		start := i
		for i += n; i < len(s); {
			_, m := recodeSeq(s, i)
			if m <= 0 || i+m-start > 6 {
				break
			}
			i += m
		}
	}
	return out
}

// recodeSeq decodes the sequence at s[i] as librecode's UTF-8 reader
// does: leads up to 0xFD start sequences of up to six bytes. It returns
// the value and the length, or minus the number of bytes of an ill-formed
// sequence (a bad lead, a sequence broken by a non-continuation byte, an
// overlong form, or one cut off by the end of s, which takes the rest).
func recodeSeq(s []byte, i int) (rune, int) {
	c := s[i]
	if c < 0x80 {
		return rune(c), 1
	}
	n := 0
	switch {
	case c < 0xc0:
		return 0, -1
	case c < 0xe0:
		n = 2
	case c < 0xf0:
		n = 3
	case c < 0xf8:
		n = 4
	case c < 0xfc:
		n = 5
	case c < 0xfe:
		n = 6
	default:
		return 0, -1
	}
	if i+n > len(s) {
		// librecode wants the whole sequence before it looks at the
		// bytes: one cut off by the end loses everything to the end.
		return 0, -(len(s) - i)
	}
	k := 1
	for k < n && s[i+k]&0xc0 == 0x80 {
		k++
	}
	if k < n {
		return 0, -k
	}
	v := uint32(c) & (0x7f >> n)
	for j := 1; j < n; j++ {
		v = v<<6 | uint32(s[i+j]&0x3f)
	}
	if v < [...]uint32{2: 0x80, 0x800, 0x10000, 0x200000, 0x4000000}[n] {
		return 0, -n // overlong: dropped alone
	}
	return rune(v), n
}

// latin1Translit is librecode's ASCII fallback for characters that
// ISO-8859-1 lacks, measured over the whole BMP (see translitTable).
func latin1Translit(r rune) (string, bool) {
	if r > 0xffff {
		return "", false
	}
	k := uint16(r)
	i := sort.Search(len(translitTable), func(i int) bool { return translitTable[i].r >= k })
	if i < len(translitTable) && translitTable[i].r == k {
		return translitTable[i].s, true
	}
	return "", false
}

// localeCodesetUTF8 reports whether setlocale(LC_ALL, "") would give a
// UTF-8 codeset. glibc fails the whole call, leaving the C locale, when
// any category names a locale that is not installed; fortune then
// recodes to ISO-8859-1. Locales whose codeset is neither UTF-8 nor ASCII
// are treated as ISO-8859-1 too. Relative LOCPATH entries are taken from
// dir, the applet's working directory.
func localeCodesetUTF8(getenv func(string) string, dir string) bool {
	names := map[string]bool{}
	ctype := ""
	if v := getenv("LC_ALL"); v != "" {
		names[v], ctype = true, v
	} else {
		lang := getenv("LANG")
		for _, cat := range []string{"LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY", "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION"} {
			v := getenv(cat)
			if v == "" {
				v = lang
			}
			if cat == "LC_CTYPE" {
				ctype = v
			}
			if v != "" {
				names[v] = true
			}
		}
	}
	utf := false
	for n := range names {
		found, isUTF := findLocale(n, getenv("LOCPATH"), dir)
		if !found {
			return false
		}
		if n == ctype {
			utf = isUTF
		}
	}
	return utf
}

// normCodeset is glibc's _nl_normalize_codeset: letters lowered, digits
// kept, all else dropped, "iso" prefixed to an all-digit name.
func normCodeset(cs string) string {
	var b strings.Builder
	digits := true
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
			digits = false
		case c >= 'a' && c <= 'z':
			b.WriteByte(c)
			digits = false
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	if digits {
		return "iso" + b.String()
	}
	return b.String()
}

// findLocale looks a locale name up as glibc does, cheaply: the built-in
// C and POSIX, the locale archive (name, then with its codeset
// normalised), then directories in LOCPATH or /usr/lib/locale, dropping
// the modifier, codeset and territory in turn. It reports whether the
// locale exists and whether the variant found is a UTF-8 one. Relative
// LOCPATH entries are resolved against cwd.
func findLocale(name, locpath, cwd string) (bool, bool) {
	if name == "C" || name == "POSIX" {
		return true, false
	}
	if strings.Contains(name, "/") {
		return false, false
	}
	lang, mod, _ := strings.Cut(name, "@")
	lang, cs, hasCS := strings.Cut(lang, ".")
	lang, terr, hasTerr := strings.Cut(lang, "_")
	ncs := ""
	if hasCS {
		ncs = normCodeset(cs)
	}
	build := func(t, c, m string) string {
		s := lang
		if t != "" {
			s += "_" + t
		}
		if c != "" {
			s += "." + c
		}
		if m != "" {
			s += "@" + m
		}
		return s
	}
	dirs := []string{"/usr/lib/locale"}
	if locpath != "" {
		dirs = nil
		for _, d := range strings.Split(locpath, ":") {
			if d != "" && d[0] != '/' && cwd != "" {
				d = cwd + "/" + d
			}
			dirs = append(dirs, d)
		}
		// glibc 2.35+ also looks for language C (C.UTF-8 and its
		// variants) in the default directory, whatever LOCPATH says.
		if lang == "C" {
			dirs = append(dirs, "/usr/lib/locale")
		}
	} else {
		// The archive holds names with normalised codesets.
		for _, n := range []string{name, build(terr, ncs, mod)} {
			if inLocaleArchive("/usr/lib/locale/locale-archive", n) {
				return true, ncs == "utf8"
			}
		}
	}
	terrs, css, mods := []string{""}, []string{""}, []string{""}
	if hasTerr {
		terrs = []string{terr, ""}
	}
	if hasCS {
		css = []string{cs, ncs, ""}
	}
	if mod != "" {
		mods = []string{mod, ""}
	}
	for _, t := range terrs {
		for _, c := range css {
			for _, m := range mods {
				n := build(t, c, m)
				for _, d := range dirs {
					var sb syscall.Stat_t
					if d != "" && syscall.Stat(d+"/"+n+"/LC_CTYPE", &sb) == nil {
						return true, c != "" && normCodeset(c) == "utf8"
					}
				}
			}
		}
	}
	return false, false
}

// inLocaleArchive reports whether glibc's locale archive lists name. It
// reads the header, the name hash table and the string area, not the
// (large) locale data.
func inLocaleArchive(path, name string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var hdr [56]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return false
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(hdr[4*i:]) }
	if u(0) != 0xde020109 {
		return false
	}
	hashOff, hashSize := u(2), u(4)
	if hashSize > 1<<20 {
		return false
	}
	tab := make([]byte, 12*int(hashSize))
	if _, err := f.ReadAt(tab, int64(hashOff)); err != nil {
		return false
	}
	strOff, strUsed := u(5), u(6)
	if strUsed > 1<<24 {
		return false
	}
	strs := make([]byte, strUsed)
	if _, err := f.ReadAt(strs, int64(strOff)); err != nil {
		return false
	}
	for i := 0; i < int(hashSize); i++ {
		off := binary.NativeEndian.Uint32(tab[12*i+4:])
		if off < strOff || off-strOff >= strUsed {
			continue // an empty slot
		}
		rest := strs[off-strOff:]
		if end := bytes.IndexByte(rest, 0); end >= 0 && string(rest[:end]) == name {
			return true
		}
	}
	return false
}

// translitTable is librecode 3.6's fallback for UTF-8..ISO-8859-1, as
// Debian's fortune prints it (measured one character at a time over the
// BMP; TestRecodeMatchesDebian checks it again).
var translitTable = []struct {
	r uint16
	s string
}{
	{0x0100, "A"},
	{0x0101, "a"},
	{0x0102, "A"},
	{0x0103, "a"},
	{0x0104, "A"},
	{0x0105, "a"},
	{0x0106, "\xb4C"},
	{0x0107, "\xb4c"},
	{0x0108, "^C"},
	{0x0109, "^c"},
	{0x010a, "C"},
	{0x010b, "c"},
	{0x010c, "C"},
	{0x010d, "c"},
	{0x010e, "D"},
	{0x010f, "d"},
	{0x0110, "D"},
	{0x0111, "d"},
	{0x0112, "E"},
	{0x0113, "e"},
	{0x0114, "E"},
	{0x0115, "e"},
	{0x0116, "E"},
	{0x0117, "e"},
	{0x0118, "E"},
	{0x0119, "e"},
	{0x011a, "E"},
	{0x011b, "e"},
	{0x011c, "^G"},
	{0x011d, "^g"},
	{0x011e, "G"},
	{0x011f, "g"},
	{0x0120, "G"},
	{0x0121, "g"},
	{0x0122, "G"},
	{0x0123, "g"},
	{0x0124, "^H"},
	{0x0125, "^h"},
	{0x0126, "H"},
	{0x0127, "h"},
	{0x0128, "~I"},
	{0x0129, "~i"},
	{0x012a, "I"},
	{0x012b, "i"},
	{0x012c, "I"},
	{0x012d, "i"},
	{0x012e, "I"},
	{0x012f, "i"},
	{0x0130, "I"},
	{0x0131, "i"},
	{0x0132, "IJ"},
	{0x0133, "ij"},
	{0x0134, "^J"},
	{0x0135, "^j"},
	{0x0136, "K"},
	{0x0137, "k"},
	{0x0139, "L"},
	{0x013a, "l"},
	{0x013b, "L"},
	{0x013c, "l"},
	{0x013d, "L"},
	{0x013e, "l"},
	{0x013f, "L"},
	{0x0140, "l"},
	{0x0141, "L"},
	{0x0142, "l"},
	{0x0143, "\xb4N"},
	{0x0144, "\xb4n"},
	{0x0145, "N"},
	{0x0146, "n"},
	{0x0147, "N"},
	{0x0148, "n"},
	{0x0149, "'n"},
	{0x014c, "O"},
	{0x014d, "o"},
	{0x014e, "O"},
	{0x014f, "o"},
	{0x0150, "\x22O"},
	{0x0151, "\x22o"},
	{0x0152, "OE"},
	{0x0153, "oe"},
	{0x0154, "\xb4R"},
	{0x0155, "\xb4r"},
	{0x0156, "R"},
	{0x0157, "r"},
	{0x0158, "R"},
	{0x0159, "r"},
	{0x015a, "\xb4S"},
	{0x015b, "\xb4s"},
	{0x015c, "^S"},
	{0x015d, "^s"},
	{0x015e, "S"},
	{0x015f, "s"},
	{0x0160, "S"},
	{0x0161, "s"},
	{0x0162, "T"},
	{0x0163, "t"},
	{0x0164, "T"},
	{0x0165, "t"},
	{0x0166, "T"},
	{0x0167, "t"},
	{0x0168, "~U"},
	{0x0169, "~u"},
	{0x016a, "U"},
	{0x016b, "u"},
	{0x016c, "U"},
	{0x016d, "u"},
	{0x016e, "U"},
	{0x016f, "u"},
	{0x0170, "\x22U"},
	{0x0171, "\x22u"},
	{0x0172, "U"},
	{0x0173, "u"},
	{0x0174, "^W"},
	{0x0175, "^w"},
	{0x0176, "^Y"},
	{0x0177, "^y"},
	{0x0178, "\x22Y"},
	{0x0179, "\xb4Z"},
	{0x017a, "\xb4z"},
	{0x017b, "Z"},
	{0x017c, "z"},
	{0x017d, "Z"},
	{0x017e, "z"},
	{0x017f, "S"},
	{0x0192, "f"},
	{0x0218, "S"},
	{0x0219, "s"},
	{0x021a, "T"},
	{0x021b, "t"},
	{0x02c6, "^"},
	{0x02dc, "~"},
	{0x02dd, "\x22"},
	{0x1e02, "B"},
	{0x1e03, "b"},
	{0x1e0a, "D"},
	{0x1e0b, "d"},
	{0x1e1e, "F"},
	{0x1e1f, "f"},
	{0x1e40, "M"},
	{0x1e41, "m"},
	{0x1e56, "P"},
	{0x1e57, "p"},
	{0x1e60, "S"},
	{0x1e61, "s"},
	{0x1e6a, "T"},
	{0x1e6b, "t"},
	{0x1e80, "`W"},
	{0x1e81, "`w"},
	{0x1e82, "\xb4W"},
	{0x1e83, "\xb4w"},
	{0x1e84, "\x22W"},
	{0x1e85, "\x22w"},
	{0x1ef2, "`Y"},
	{0x1ef3, "`y"},
	{0x2010, "-"},
	{0x2011, "-"},
	{0x2012, "-"},
	{0x2013, "-"},
	{0x2014, "-"},
	{0x2015, "-"},
	{0x2018, "`"},
	{0x2019, "\xb4"},
	{0x201a, "`"},
	{0x201c, "\x22"},
	{0x201d, "\x22"},
	{0x201e, "\x22"},
	{0x2020, "+"},
	{0x2022, "o"},
	{0x2026, "..."},
	{0x2030, "o/oo"},
	{0x2032, "\xb4"},
	{0x2033, "\xb4\xb4"},
	{0x2034, "\xb4\xb4\xb4"},
	{0x2039, "<"},
	{0x203a, ">"},
	{0x20ac, "EUR"},
	{0x2116, "No."},
	{0x2122, "TM"},
	{0x2126, "Ohm"},
	{0x215b, "1/8"},
	{0x215c, "3/8"},
	{0x215d, "5/8"},
	{0x215e, "7/8"},
	{0x2190, "<-"},
	{0x2191, "^"},
	{0x2192, "->"},
	{0x2193, "V"},
	{0x21d0, "<="},
	{0x21d2, "=>"},
	{0x2212, "-"},
	{0x2215, "/"},
	{0x2260, "/="},
	{0x2264, "<="},
	{0x2265, ">="},
	{0x226a, "<<"},
	{0x226b, ">>"},
	{0x2500, "-"},
	{0x2502, "|"},
	{0x250c, "+"},
	{0x2510, "+"},
	{0x2514, "+"},
	{0x2518, "+"},
	{0x251c, "+"},
	{0x2524, "+"},
	{0x252c, "+"},
	{0x2534, "+"},
	{0x253c, "+"},
}
