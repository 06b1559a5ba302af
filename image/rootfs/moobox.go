package rootfs

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	"github.com/moobox/moobox/cows"
	"github.com/moobox/moobox/fortunes"
	"github.com/moobox/moobox/internal/applets"
	"github.com/moobox/moobox/internal/version"
)

// Standard locations inside the image.
const (
	BusyboxPath = "usr/bin/busybox"
	FortuneDir  = "usr/share/games/fortunes"
	CowDir      = "usr/share/cowsay/cows"
	// PATH covers the merged-/usr links; /usr/local is there so a user
	// extending the image by bind mounts finds their tools.
	PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Options tune Moobox. The zero value gives the standard image content.
type Options struct {
	// Applets names the links to create in /usr/bin; nil means
	// applets.Names(), the applets compiled into this moobuild.
	Applets []string
	// Version goes into /etc/os-release; "" means version.Version.
	Version string
	// Fortunes and Cows replace the embedded data when non-nil.
	Fortunes, Cows fs.FS
}

// Moobox returns moobox's root filesystem around the given busybox
// binary:
//
//   - /usr/bin/busybox (0755) and a symlink /usr/bin/NAME -> busybox per
//     applet. Symlinks rather than hard links: tar and squashfs store them
//     the same way, a hard link in a tar layer must follow its target
//     (layer order rules), and busybox dispatches on basename(argv[0])
//     either way.
//   - merged /usr: /bin -> usr/bin, /sbin -> usr/bin (no /usr/sbin, so the
//     first PATH hit is /usr/bin/NAME, as `which ps` shows in the lab);
//   - the fortunes (with .dat) and the cows;
//   - /etc/passwd, /etc/group (root, nobody), /etc/hosts, /etc/os-release;
//   - empty mount points /dev /proc /sys /home /root /run, and /tmp,
//     /var/tmp with mode 1777.
func Moobox(mtime time.Time, busybox []byte, o Options) (*Tree, error) {
	if len(busybox) == 0 {
		return nil, fmt.Errorf("rootfs: empty busybox binary")
	}
	if o.Applets == nil {
		o.Applets = applets.Names()
	}
	if o.Version == "" {
		o.Version = version.Version
	}
	if o.Fortunes == nil {
		o.Fortunes = fortunes.FS
	}
	if o.Cows == nil {
		o.Cows = cows.FS
	}
	t := New(mtime)
	steps := []func() error{
		func() error { return t.WriteFile(BusyboxPath, busybox, 0o755) },
		func() error { return t.Symlink("usr/bin", "bin") },
		func() error { return t.Symlink("usr/bin", "sbin") },
		func() error { return t.Mkdir("usr/local/bin", 0o755) },
		func() error { return addTop(t, FortuneDir, o.Fortunes, "") },
		func() error { return addTop(t, CowDir, o.Cows, ".cow") },
	}
	for _, d := range []string{"dev", "proc", "sys", "home", "run", "var"} {
		steps = append(steps, func() error { return t.Mkdir(d, 0o755) })
	}
	steps = append(steps,
		func() error { return t.Mkdir("root", 0o700) },
		func() error { return t.Mkdir("tmp", fs.ModeSticky|0o777) },
		func() error { return t.Mkdir("var/tmp", fs.ModeSticky|0o777) },
	)
	for name, data := range etcFiles(o.Version) {
		steps = append(steps, func() error { return t.WriteFile(name, []byte(data), 0o644) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, fmt.Errorf("rootfs: %w", err)
		}
	}
	names := append([]string(nil), o.Applets...)
	sort.Strings(names)
	for _, n := range names {
		if n == "busybox" || n == "" || path.Base(n) != n || n == "." || n == ".." {
			continue
		}
		if err := t.Symlink("busybox", path.Join("usr/bin", n)); err != nil {
			return nil, fmt.Errorf("rootfs: applet link: %w", err)
		}
	}
	return t, nil
}

// addTop copies the regular files at the top level of fsys (those ending
// in suffix when it is not "") into dir, 0644.
func addTop(t *Tree, dir string, fsys fs.FS, suffix string) error {
	if err := t.Mkdir(dir, 0o755); err != nil {
		return err
	}
	des, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return err
	}
	for _, d := range des {
		if !d.Type().IsRegular() || (suffix != "" && path.Ext(d.Name()) != suffix) {
			continue
		}
		data, err := fs.ReadFile(fsys, d.Name())
		if err != nil {
			return err
		}
		if err := t.WriteFile(path.Join(dir, d.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func etcFiles(ver string) map[string]string {
	return map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group": "root:x:0:\n" +
			"nobody:x:65534:\n",
		"etc/hosts": "127.0.0.1\tlocalhost\n" +
			"::1\tlocalhost ip6-localhost ip6-loopback\n",
		"etc/os-release": "NAME=\"moobox\"\n" +
			"ID=moobox\n" +
			"VERSION=\"" + ver + "\"\n" +
			"VERSION_ID=" + ver + "\n" +
			"PRETTY_NAME=\"moobox " + ver + "\"\n" +
			"HOME_URL=\"https://github.com/moobox/moobox\"\n",
	}
}
