package squashfs

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/ulikunitz/xz"
)

// xzRoundTrip compresses src with our encoder and decodes it with
// ulikunitz/xz, an independent decoder.
func xzRoundTrip(t testing.TB, src []byte, dict int) []byte {
	t.Helper()
	var e lzEnc
	out := e.xzBlock(src, dict)
	r, err := xz.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%d bytes: %v", len(src), err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(src), err)
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("%d bytes: round trip differs", len(src))
	}
	return out
}

func TestLZMAEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	text := make([]byte, 1<<20)
	fillText(r, text)
	noise := make([]byte, 300000)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	runs := bytes.Repeat([]byte{7}, 200000)
	mixed := append(append(append([]byte{}, text[:50000]...), noise[:70000]...), runs[:60000]...)
	for _, c := range []struct {
		name string
		src  []byte
		dict int
	}{
		{"empty", nil, 8192}, {"one", []byte{1}, 8192}, {"text8k", text[:8192], 8192},
		{"text128k", text[:131072], 131072}, {"text1m", text, 1 << 20},
		{"noise", noise, 1 << 20}, {"runs", runs, 1 << 18}, {"mixed", mixed, 1 << 18},
		{"text-small-dict", text[:100000], 4096},
	} {
		out := xzRoundTrip(t, c.src, c.dict)
		t.Logf("%s: %d -> %d", c.name, len(c.src), len(out))
	}
}

// FuzzLZMA checks the encoder on arbitrary input against ulikunitz/xz.
func FuzzLZMA(f *testing.F) {
	f.Add([]byte("abcabcabcabd"), uint8(0))
	f.Add(bytes.Repeat([]byte("moo "), 3000), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, d uint8) {
		dict := 4096 << (d % 4)
		xzRoundTrip(t, data, dict)
	})
}
