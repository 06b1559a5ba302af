package squashfs

import (
	"bytes"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/moobox/moobox/internal/testutil"
)

// zstdRoundTrip compresses src with our encoder (reused, as the workers
// do) and decodes it with klauspost/compress, an independent decoder.
func zstdRoundTrip(t testing.TB, z *zsEnc, src []byte) []byte {
	t.Helper()
	out := z.frame(src)
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	got, err := dec.DecodeAll(out, nil)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(src), err)
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("%d bytes: round trip differs", len(src))
	}
	return out
}

func TestZstdEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	text := make([]byte, 1<<20)
	fillText(r, text)
	noise := make([]byte, 200000)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	small := make([]byte, 50000)
	for i := range small {
		small[i] = byte(r.IntN(3)) // few symbols: RLE-ish tables
	}
	var z zsEnc
	cases := map[string][]byte{
		"empty": nil, "one": {9}, "short": text[:40], "text8k": text[:8192],
		"text128k": text[:131072], "text1m": text, "noise": noise, "small-alphabet": small,
		"runs":  bytes.Repeat([]byte{0}, 300000),
		"mixed": append(append([]byte{}, text[:70000]...), noise[:90000]...),
	}
	for _, name := range []string{"empty", "one", "short", "text8k", "text128k", "text1m", "noise", "small-alphabet", "runs", "mixed"} {
		out := zstdRoundTrip(t, &z, cases[name])
		t.Logf("%s: %d -> %d", name, len(cases[name]), len(out))
	}
	// The reference decoder agrees too.
	if bin, ok := testutil.FindTool("zstd"); ok {
		cmd := exec.Command(bin, "-dc")
		cmd.Stdin = bytes.NewReader(z.frame(cases["mixed"]))
		got, err := cmd.Output()
		if err != nil || !bytes.Equal(got, cases["mixed"]) {
			t.Errorf("zstd -d: %v", err)
		}
	}
}

// FuzzZstd checks the encoder on arbitrary input against klauspost's
// decoder.
func FuzzZstd(f *testing.F) {
	f.Add([]byte("abcabcabcabdabcabcabc"))
	f.Add(bytes.Repeat([]byte("moo cow "), 2000))
	var z zsEnc
	f.Fuzz(func(t *testing.T, data []byte) {
		zstdRoundTrip(t, &z, data)
	})
}
