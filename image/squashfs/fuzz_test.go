package squashfs

import (
	"bytes"
	"io/fs"
	"testing"
)

// treeFromBytes decodes fuzz input into a tree: each entry takes a kind
// byte, a parent choice, a name and, for files, a size and fill pattern.
func treeFromBytes(data []byte) *Tree {
	t := NewTree()
	t.DefaultMtime = 5
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	dirs := []string{""}
	var files []string
	for n := 0; len(data) > 0 && n < 200; n++ {
		kind, par := next(), next()
		nl := int(next()%12) + 1
		name := make([]byte, 0, nl)
		for range nl {
			c := next()
			if c == 0 || c == '/' {
				c = 'x'
			}
			name = append(name, c)
		}
		if s := string(name); s == "." || s == ".." {
			name = append(name, 'z')
		}
		p := string(name)
		if d := dirs[int(par)%len(dirs)]; d != "" {
			p = d + "/" + p
		}
		e := Entry{Path: p, Mode: fs.FileMode(next()) | fs.FileMode(next()&1)<<8, Uid: uint32(next() % 4), Gid: uint32(next() % 3), Mtime: int64(next()) << 20}
		switch kind % 8 {
		case 0:
			e.Mode |= fs.ModeDir
		case 1, 2, 3:
			size := int(next())<<int(next()%13) + int(next())
			fill := next()
			e.Data = bytes.Repeat([]byte{fill, fill + byte(size)}, size/2)
			if fill%3 == 0 && len(e.Data) > 100 {
				clear(e.Data[len(e.Data)/3:])
			}
		case 4:
			e.Mode |= fs.ModeSymlink
			e.Target = "t" + string(name)
		case 5:
			if len(files) > 0 {
				e = Entry{Path: p, HardLink: files[int(next())%len(files)]}
			} else {
				e.Mode |= fs.ModeNamedPipe
			}
		case 6:
			e.Mode |= fs.ModeDevice | fs.ModeCharDevice
			e.Major, e.Minor = uint32(next()), uint32(next())
		case 7:
			e.Mode |= fs.ModeSocket
		}
		if t.Add(e) != nil {
			continue
		}
		switch {
		case e.Mode.IsDir():
			dirs = append(dirs, p)
		case e.HardLink == "" && e.Mode.IsRegular():
			files = append(files, p)
		}
	}
	return t
}

// FuzzWrite writes trees built from the fuzz input and reads them back
// with the pure-Go sylabs/squashfs reader.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("\x00\x00\x03dir\xed\x01\x00\x00\x01\x01\x00\x04file\xa4\x00\x00\x00\x01\x10\x0c\x05\x41"))
	f.Add([]byte("\x04\x00\x02ln\xff\x01\x00\x00\x00\x02\x00\x01f\xa4\x00\x00\x00\x00\xff\x0c\x00\x03\x05\x00\x01h\x00\x00\x00\x00\x00\x00"))
	f.Add(bytes.Repeat([]byte("\x01\x00\x05abcde\xa4\x00\x01\x01\x07\xff\x04\x03\x06"), 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := treeFromBytes(data)
		comp := allComps[len(data)%3]
		var b bytes.Buffer
		if _, err := Write(&b, tree, Options{Compression: comp, BlockSize: 4096, Workers: 2}); err != nil {
			t.Fatal(err)
		}
		if b.Len()%4096 != 0 {
			t.Fatalf("length %d", b.Len())
		}
		checkSylabs(t, wantsOf(tree), b.Bytes(), true, 0)
	})
}
