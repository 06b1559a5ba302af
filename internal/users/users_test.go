package users

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDB(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("# comment\nroot:x:0:0:root:/root:/bin/sh\nbad line\nlab:x:1000:1000::/home/lab:/bin/sh\nalias:x:1000:5::/:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nlab:x:1000:\nwheel:x:10:root,lab\naudio:x:29:lab\nlab2:x:1000:\n"), 0o644)
	db := &DB{Root: root}
	if u, ok := db.UserByID(1000); !ok || u.Name != "lab" || u.Home != "/home/lab" {
		t.Errorf("UserByID(1000) = %+v %v", u, ok)
	}
	if u, ok := db.UserByName("alias"); !ok || u.GID != 5 {
		t.Errorf("UserByName(alias) = %+v", u)
	}
	if db.UserName(4242) != "4242" || db.GroupName(4343) != "4343" || db.GroupName(1000) != "lab" {
		t.Error("fallback names")
	}
	if g := db.GroupsOf("lab", 1000); len(g) != 3 || g[0] != 1000 || g[1] != 10 || g[2] != 29 {
		t.Errorf("GroupsOf(lab) = %v", g)
	}
	if _, ok := (&DB{Root: "/nonexistent"}).UserByID(0); ok {
		t.Error("missing passwd found a user")
	}
}
