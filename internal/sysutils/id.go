package sysutils

import (
	"bufio"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/users"
)

var idSpec = bbopt.Spec{Short: "ugGnr", Usage: `Usage: id [-ugGnr] [USER]

Print the user and group ids of USER, or of this process

	-u	Only the user id
	-g	Only the group id
	-G	Only the list of group ids
	-n	Names rather than numbers (with -u, -g or -G)
	-r	Real ids rather than effective ones (with -u, -g or -G)
`}

// ID is the id applet.
func ID(c *applet.Ctx) int {
	if bbopt.Help(c, &idSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &idSpec)
	if !ok {
		return 1
	}
	justU, justG, justGs := o.Has('u'), o.Has('g'), o.Has('G')
	n := 0
	for _, b := range []bool{justU, justG, justGs} {
		if b {
			n++
		}
	}
	// -n and -r only qualify -u, -g or -G, which exclude each other.
	if n > 1 || n == 0 && (o.Has('n') || o.Has('r')) || len(args) > 1 {
		return usageErr(c, &idSpec)
	}
	db := &users.DB{}
	var ruid, euid, rgid, egid uint32
	var groups []uint32
	name := ""
	if len(args) == 1 {
		name = args[0]
		u, ok := db.UserByName(name)
		if !ok {
			// A number names a user too.
			if v, err := strconv.ParseUint(name, 10, 32); err == nil {
				u, ok = db.UserByID(uint32(v))
			}
		}
		if !ok {
			bbopt.Errorf(c, "unknown user %s", name)
			return 1
		}
		ruid, euid, rgid, egid = u.UID, u.UID, u.GID, u.GID
		groups = db.GroupsOf(u.Name, u.GID)
	} else {
		// Credentials are per process; every goroutine shares them.
		ruid, euid = uint32(unix.Getuid()), uint32(unix.Geteuid())
		rgid, egid = uint32(unix.Getgid()), uint32(unix.Getegid())
		gs, _ := unix.Getgroups()
		for _, g := range gs {
			groups = append(groups, uint32(g))
		}
	}
	uid, gid := euid, egid
	if o.Has('r') {
		uid, gid = ruid, rgid
	}
	w := bufio.NewWriter(c.Stdout)
	rc := 0
	user := func(id uint32) (string, bool) {
		if u, ok := db.UserByID(id); ok {
			return u.Name, true
		}
		return strconv.FormatUint(uint64(id), 10), false
	}
	group := func(id uint32) (string, bool) {
		if g, ok := db.GroupByID(id); ok {
			return g.Name, true
		}
		return strconv.FormatUint(uint64(id), 10), false
	}
	switch {
	case justU || justG:
		id, look := uid, user
		if justG {
			id, look = gid, group
		}
		if o.Has('n') {
			s, ok := look(id)
			if !ok {
				rc = 1
			}
			w.WriteString(s + "\n")
		} else {
			w.WriteString(strconv.FormatUint(uint64(id), 10) + "\n")
		}
	case justGs:
		if len(groups) == 0 {
			groups = []uint32{gid}
		}
		for i, g := range groups {
			if i > 0 {
				w.WriteByte(' ')
			}
			if o.Has('n') {
				s, ok := group(g)
				if !ok {
					rc = 1
				}
				w.WriteString(s)
			} else {
				w.WriteString(strconv.FormatUint(uint64(g), 10))
			}
		}
		w.WriteByte('\n')
	default:
		put := func(prefix string, id uint32, look func(uint32) (string, bool)) {
			w.WriteString(prefix + strconv.FormatUint(uint64(id), 10))
			if s, ok := look(id); ok {
				w.WriteString("(" + s + ")")
			} else {
				rc = 1
			}
		}
		put("uid=", ruid, user)
		put(" gid=", rgid, group)
		if euid != ruid {
			put(" euid=", euid, user)
		}
		if egid != rgid {
			put(" egid=", egid, group)
		}
		msg := " groups="
		for _, g := range groups {
			put(msg, g, group)
			msg = ","
		}
		w.WriteByte('\n')
	}
	return finish(c, w, rc)
}

var whoamiSpec = bbopt.Spec{Usage: `Usage: whoami

Print the name of the effective user
`}

// Whoami is the whoami applet.
func Whoami(c *applet.Ctx) int {
	if bbopt.Help(c, &whoamiSpec) {
		return 0
	}
	_, args, ok := bbopt.Parse(c, &whoamiSpec)
	if !ok {
		return 1
	}
	if len(args) > 0 {
		return usageErr(c, &whoamiSpec)
	}
	db := &users.DB{}
	uid := uint32(unix.Geteuid())
	u, found := db.UserByID(uid)
	if !found {
		bbopt.Errorf(c, "unknown uid %d", uid)
		return 1
	}
	w := bufio.NewWriter(c.Stdout)
	w.WriteString(u.Name + "\n")
	return finish(c, w, 0)
}
