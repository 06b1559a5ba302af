//go:build unix

package squashfs

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

func statOf(fi fs.FileInfo) hostStat {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return hostStat{nlink: 1}
	}
	rdev := uint64(st.Rdev)
	return hostStat{
		uid: st.Uid, gid: st.Gid,
		dev: uint64(st.Dev), ino: uint64(st.Ino), nlink: uint64(st.Nlink),
		major: unix.Major(rdev), minor: unix.Minor(rdev),
	}
}
