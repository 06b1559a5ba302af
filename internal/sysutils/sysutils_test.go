package sysutils

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

var applets = map[string]applet.Func{
	"date": Date, "free": Free, "hostname": Hostname, "id": ID, "mount": Mount,
	"uname": Uname, "uptime": Uptime, "which": Which, "whoami": Whoami,
}

func ours(dir string, env []string, args ...string) (string, string, int) {
	r := testutil.Applet(applets[args[0]], dir, env, "", args...)
	return r.Stdout, r.Stderr, r.Code
}

func theirs(t *testing.T, bb, dir string, env []string, args ...string) (string, string, int) {
	r := testutil.Exec(t, dir, env, "", append([]string{bb}, args...)...)
	return r.Stdout, r.Stderr, r.Code
}

func first(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestDifferential compares outputs that do not change between two runs.
// Usage texts are moobox's own words, so only the first stderr line (the
// error, or the usage header) is compared, and only when it is an error.
func TestDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "prog"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(bin, "noexec"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(bin, "adir"), 0o755)
	bin2 := filepath.Join(dir, "bin2")
	os.Mkdir(bin2, 0o755)
	os.WriteFile(filepath.Join(bin2, "prog"), []byte("#!/bin/sh\n"), 0o755)
	env := []string{"TZ=UTC", "PATH=" + bin + ":" + bin2 + "/:/usr/bin"}
	// 2020-02-29 12:34:56 UTC, a Saturday in a leap year.
	const ts = "@1582979696"
	cases := [][]string{
		{"uname"}, {"uname", "-s"}, {"uname", "-m"}, {"uname", "-s", "-m"}, {"uname", "-a"},
		{"uname", "-snrvmpio"}, {"uname", "-r", "-n"}, {"uname", "-o"}, {"uname", "-x"},
		{"id"}, {"id", "-u"}, {"id", "-g"}, {"id", "-G"}, {"id", "-un"}, {"id", "-gn"}, {"id", "-Gn"},
		{"id", "-ur"}, {"id", "nobody"}, {"id", "daemon"}, {"id", "-G", "root"}, {"id", "-u", "nobody"},
		{"id", "-Gn", "daemon"}, {"id", "nosuchuser"}, {"id", "-n"},
		{"whoami"},
		{"hostname"}, {"hostname", "-s"}, {"hostname", "-f"},
		{"which", "prog"}, {"which", "-a", "prog"}, {"which", "noexec"}, {"which", "adir"},
		{"which", "prog", "nosuch", "ls"}, {"which", "bin/prog"}, {"which", "./bin/noexec"},
		{"which", "-a", "ls"},
		{"mount"}, {"mount", "-t", "proc"}, {"mount", "-t", "tmpfs"},
		{"date", "-d", ts}, {"date", "-u", "-d", ts}, {"date", "-R", "-d", ts}, {"date", "-I", "-d", ts},
		{"date", "-Ihours", "-d", ts}, {"date", "-Iminutes", "-d", ts}, {"date", "-Iseconds", "-d", ts},
		{"date", "-Ins", "-d", ts}, {"date", "-d", "@0"}, {"date", "-d", "@-86400"},
		{"date", "-d", ts, "+%a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %% %q %N %:z"},
		{"date", "-d", ts, "+%-d %_d %0e %-m %_H %-j"},
		{"date", "-d", "2020-01-02", "+%F %T"}, {"date", "-d", "2020-01-02 03:04", "+%F %T"},
		{"date", "-d", "2020-01-02 03:04:05", "+%F %T"}, {"date", "-d", "2019.12.31-23:59:58", "+%F %T"},
		{"date", "-d", "202001020304.05", "+%F %T"}, {"date", "-d", "garbage"},
		{"date", "-d", "2020-01-02T03:04:05"},
		{"date", "-r", "bin/prog", "+%Y"},
		{"date", "-d", "@1000000000", "+%U %W %V %G %j %u %w"},
		{"date", "-d", "@1609459200", "+%U %W %V %G %g %j"},
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		g, ge, grc := ours(dir, env, args...)
		w, we, wrc := theirs(t, bb, dir, env, args...)
		if g != w || grc != wrc {
			t.Errorf("%s: rc %d want %d\n--- got\n%s--- want\n%s", name, grc, wrc, g, w)
		}
		if !strings.HasPrefix(we, "BusyBox") && first(ge) != first(we) {
			t.Errorf("%s: stderr %q want %q", name, ge, we)
		}
		if strings.HasPrefix(we, "BusyBox") != strings.HasPrefix(ge, "moobox") {
			t.Errorf("%s: usage %q want %q", name, first(ge), first(we))
		}
	}
}

// Memory, load and time move between runs: compare the layout.
func TestLayout(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	num := regexp.MustCompile(` *[0-9][0-9.]*[KMGT]?`)
	for _, args := range [][]string{{"free"}, {"free", "-m"}, {"free", "-h"}, {"free", "-b"}, {"free", "-g"}, {"uptime"}, {"date"}} {
		g, _, grc := ours("/", []string{"TZ=UTC"}, args...)
		w, _, wrc := theirs(t, bb, "/", []string{"TZ=UTC"}, args...)
		if num.ReplaceAllString(g, " N") != num.ReplaceAllString(w, " N") || grc != wrc {
			t.Errorf("%v: rc %d want %d\n--- got\n%s--- want\n%s", args, grc, wrc, g, w)
		}
	}
}

func TestStrftimeZones(t *testing.T) {
	loc, err := time.LoadLocation("America/St_Johns")
	if err != nil {
		t.Skip("no zoneinfo")
	}
	tm := time.Date(2021, 7, 4, 1, 2, 3, 0, loc)
	if got := Strftime("%z %Z %I %p", tm); got != "-0230 NDT 01 AM" {
		t.Errorf("got %q", got)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]string{
		"10:20":            "2026-05-06 10:20:00",
		"10:20:30":         "2026-05-06 10:20:30",
		"01.02-03:04":      "2026-01-02 03:04:00",
		"1999.01.02-03:04": "1999-01-02 03:04:00",
		"0102030405":       "2001-02-03 04:05:00",
		"1530":             "2026-05-06 15:30:00",
	} {
		got, ok := parseTime(in, now, false)
		if !ok || got.Format("2006-01-02 15:04:05") != want {
			t.Errorf("parseTime(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "x", "1:2:3:4", "123", "2020-01-0x", "@x"} {
		if _, ok := parseTime(bad, now, false); ok {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"@0", "10:20", "2020-01-02 03:04:05", "2019.12.31-23:59", "01.02-03:04", "202001020304.05", "1530", "x"} {
		f.Add(s, false)
	}
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string, operand bool) {
		if tm, ok := parseTime(s, now, operand); ok {
			Strftime("%a %b %e %H:%M:%S %Z %Y %s %U %W %V %G %j", tm)
		}
	})
}

func FuzzStrftime(f *testing.F) {
	f.Add("%a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%", int64(0))
	f.Add("%-d %_ %0", int64(-1))
	f.Fuzz(func(t *testing.T, format string, sec int64) {
		Strftime(format, time.Unix(sec%(1<<40), 0).UTC())
	})
}
