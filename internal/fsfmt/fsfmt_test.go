package fsfmt

import (
	"testing"
	"time"
)

func TestModeString(t *testing.T) {
	for mode, want := range map[uint32]string{
		IFREG | 0o644:  "-rw-r--r--",
		IFDIR | 0o1777: "drwxrwxrwt",
		IFDIR | 0o1776: "drwxrwxrwT",
		IFREG | 0o4755: "-rwsr-xr-x",
		IFREG | 0o2644: "-rw-r-Sr--",
		IFLNK | 0o777:  "lrwxrwxrwx",
		IFCHR | 0o666:  "crw-rw-rw-",
		IFBLK | 0o660:  "brw-rw----",
		IFIFO | 0o600:  "prw-------",
		IFSOCK | 0o755: "srwxr-xr-x",
		0o644:          "?rw-r--r--",
	} {
		if got := ModeString(mode); got != want {
			t.Errorf("ModeString(%o) = %s want %s", mode, got, want)
		}
	}
}

func TestHuman(t *testing.T) {
	cases := []struct {
		val, bs, unit uint64
		want          string
	}{
		{0, 1, 0, "0"}, {6, 1, 0, "6"}, {1023, 1, 0, "1023"}, {1024, 1, 0, "1.0K"},
		{5000, 1, 0, "4.9K"}, {2000000, 1, 0, "1.9M"}, {1984 * 1024, 0, 0, "2M"},
		{1048575, 1, 0, "1024.0K"} /* busybox rounds after scaling */, {12334492, 1024, 1024, "12334492"}, {3, 1024, 1 << 20, "0"},
		{24684092, 1024, 1 << 20, "24106"}, {4096, 1, 0, "4.0K"},
	}
	for _, c := range cases {
		if got := Human(c.val, c.bs, c.unit); got != c.want {
			t.Errorf("Human(%d, %d, %d) = %q want %q", c.val, c.bs, c.unit, got, c.want)
		}
	}
}

func TestLocation(t *testing.T) {
	if Location("", true) != time.UTC || Location(":UTC", true) != time.UTC {
		t.Error("empty or :UTC should be UTC")
	}
	if Location("No/Such_Zone", true) != time.UTC {
		t.Error("unknown zone should fall back to UTC")
	}
	if l := Location("Asia/Kolkata", true); l.String() != "Asia/Kolkata" {
		t.Skip("no zoneinfo")
	}
}
