package procfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleStat = "1234 (my (odd) prog) S 1 1234 1234 34816 1234 4194560 100 0 0 0 7 3 0 0 20 -5 1 0 4242 10485760 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	s, err := ParseStat([]byte(sampleStat))
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != 1234 || s.Comm != "my (odd) prog" || s.State != 'S' || s.PPID != 1 || s.PGRP != 1234 ||
		s.Session != 1234 || s.TTY != 34816 || s.UTime != 7 || s.STime != 3 || s.Nice != -5 ||
		s.StartTime != 4242 || s.VSize != 10485760 || s.RSS != 300 {
		t.Errorf("%+v", s)
	}
	for _, bad := range []string{"", "x", "12 (a", "12 (a) S 1 2"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("ParseStat(%q) succeeded", bad)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	in := "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n" +
		"28 27 0:25 / /mnt/with\\040space ro,nosuid shared:1 master:2 - tmpfs my\\011dev ro,size=4k\n"
	ms, err := ParseMountinfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Point != "/" || ms[0].FSType != "ext4" || ms[0].Source != "/dev/vda" ||
		ms[0].Major != 254 || ms[1].Point != "/mnt/with space" || ms[1].Source != "my\tdev" ||
		ms[1].FSType != "tmpfs" || ms[1].SuperOptions != "ro,size=4k" || ms[1].Parent != 27 {
		t.Errorf("%+v", ms)
	}
	if _, err := ParseMountinfo([]byte("1 2 3\n")); err == nil {
		t.Error("short line accepted")
	}
}

func TestLive(t *testing.T) {
	fs := Default()
	pids, err := fs.PIDs()
	if err != nil || len(pids) == 0 {
		t.Skip("no /proc")
	}
	self := os.Getpid()
	st, err := fs.ReadStat(self)
	if err != nil || st.PID != self {
		t.Errorf("self stat: %+v %v", st, err)
	}
	if up, err := fs.Uptime(); err != nil || up <= 0 {
		t.Errorf("uptime %v %v", up, err)
	}
	if m, err := fs.Meminfo(); err != nil || m["MemTotal"] == 0 {
		t.Errorf("meminfo %v", err)
	}
	if ms, err := fs.Mountinfo(); err != nil || len(ms) == 0 {
		t.Errorf("mountinfo %v", err)
	}
	if _, err := fs.Loadavg(); err != nil {
		t.Errorf("loadavg %v", err)
	}
}

func TestFakeRoot(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "7"), 0o755)
	os.MkdirAll(filepath.Join(dir, "self"), 0o755)
	os.WriteFile(filepath.Join(dir, "7", "stat"), []byte(strings.Replace(sampleStat, "1234 (", "7 (", 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "7", "status"), []byte("Name:\tx\nUid:\t1\t2\t2\t2\nGid:\t3\t4\t4\t4\n"), 0o644)
	fs := FS{Root: dir}
	pids, _ := fs.PIDs()
	if len(pids) != 1 || pids[0] != 7 {
		t.Errorf("pids %v", pids)
	}
	ru, eu, rg, eg, err := fs.StatusIDs(7)
	if err != nil || ru != 1 || eu != 2 || rg != 3 || eg != 4 {
		t.Errorf("ids %d %d %d %d %v", ru, eu, rg, eg, err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(sampleStat))
	f.Add([]byte("1 (a) R"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseStat(b) })
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"))
	f.Add([]byte("28 27 0:25 / /a\\040b ro shared:1 - tmpfs x ro\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseMountinfo(b)
		if err == nil {
			for _, m := range ms {
				if m.FSType == "" && m.Point == "" && m.Source == "" && m.Root == "" {
					continue
				}
			}
		}
		Unescape(string(b))
	})
}
