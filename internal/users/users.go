// Package users looks up users and groups in /etc/passwd and /etc/group
// without cgo, as a static busybox does with its own parser.
package users

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// User is one /etc/passwd entry.
type User struct {
	Name  string
	UID   uint32
	GID   uint32
	Home  string
	Shell string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     uint32
	Members []string
}

// DB holds the parsed files. It is built per applet run (no global cache)
// so concurrent applets never share mutable state.
type DB struct {
	Root   string // prefix for /etc (tests); "" means "/"
	users  []User
	groups []Group
	uread  bool
	gread  bool
	// Names already looked up: ls -l and ps ask for the same few ids
	// thousands of times, and the files are searched linearly.
	unames, gnames map[uint32]string
}

func (d *DB) path(p string) string { return d.Root + p }

func readLines(path string, fn func(f [][]byte)) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fn(bytes.Split(line, []byte{':'}))
	}
}

func parseID(b []byte) (uint32, bool) {
	n, err := strconv.ParseUint(string(b), 10, 32)
	return uint32(n), err == nil
}

func (d *DB) loadUsers() {
	if d.uread {
		return
	}
	d.uread = true
	readLines(d.path("/etc/passwd"), func(f [][]byte) {
		if len(f) < 7 {
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			return
		}
		d.users = append(d.users, User{Name: string(f[0]), UID: uid, GID: gid, Home: string(f[5]), Shell: string(f[6])})
	})
}

func (d *DB) loadGroups() {
	if d.gread {
		return
	}
	d.gread = true
	readLines(d.path("/etc/group"), func(f [][]byte) {
		if len(f) < 3 {
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			return
		}
		g := Group{Name: string(f[0]), GID: gid}
		if len(f) > 3 && len(f[3]) > 0 {
			for _, m := range bytes.Split(f[3], []byte{','}) {
				g.Members = append(g.Members, string(m))
			}
		}
		d.groups = append(d.groups, g)
	})
}

// UserByID returns the first passwd entry with that uid.
func (d *DB) UserByID(uid uint32) (*User, bool) {
	d.loadUsers()
	for i := range d.users {
		if d.users[i].UID == uid {
			return &d.users[i], true
		}
	}
	return nil, false
}

// UserByName returns the passwd entry of name.
func (d *DB) UserByName(name string) (*User, bool) {
	d.loadUsers()
	for i := range d.users {
		if d.users[i].Name == name {
			return &d.users[i], true
		}
	}
	return nil, false
}

// GroupByID returns the first group entry with that gid.
func (d *DB) GroupByID(gid uint32) (*Group, bool) {
	d.loadGroups()
	for i := range d.groups {
		if d.groups[i].GID == gid {
			return &d.groups[i], true
		}
	}
	return nil, false
}

// UserName is the name of uid, or the number when it has none (as
// busybox's get_cached_username).
func (d *DB) UserName(uid uint32) string {
	if s, ok := d.unames[uid]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(uid), 10)
	if u, ok := d.UserByID(uid); ok {
		s = u.Name
	}
	if d.unames == nil {
		d.unames = map[uint32]string{}
	}
	d.unames[uid] = s
	return s
}

// GroupName is the name of gid, or the number when it has none.
func (d *DB) GroupName(gid uint32) string {
	if s, ok := d.gnames[gid]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(gid), 10)
	if g, ok := d.GroupByID(gid); ok {
		s = g.Name
	}
	if d.gnames == nil {
		d.gnames = map[uint32]string{}
	}
	d.gnames[gid] = s
	return s
}

// GroupsOf lists the gids of user: the primary gid first, then every
// group naming the user as a member, in file order, without repeats (as
// getgrouplist).
func (d *DB) GroupsOf(name string, primary uint32) []uint32 {
	d.loadGroups()
	out := []uint32{primary}
	for _, g := range d.groups {
		for _, m := range g.Members {
			if m == name {
				dup := false
				for _, x := range out {
					if x == g.GID {
						dup = true
					}
				}
				if !dup {
					out = append(out, g.GID)
				}
				break
			}
		}
	}
	return out
}
