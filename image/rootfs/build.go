package rootfs

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Platform is an OCI platform (os/arch[/variant]).
type Platform struct {
	OS, Arch, Variant string
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// AllPlatforms is what "--platform all" means: every Linux port the
// pure-Go busybox builds for that container runtimes commonly run.
var AllPlatforms = []Platform{
	{"linux", "amd64", ""},
	{"linux", "arm64", ""},
	{"linux", "arm", "v7"},
	{"linux", "386", ""},
	{"linux", "ppc64le", ""},
	{"linux", "s390x", ""},
	{"linux", "riscv64", ""},
}

// ParsePlatform parses "linux/arm64", "linux/arm/v7" ("linux/arm" means
// v7) or "arm64" (linux implied).
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) == 1 {
		parts = append([]string{"linux"}, parts...)
	}
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Arch == "arm" && p.Variant == "" {
		p.Variant = "v7"
	}
	if p.Arch == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	for _, a := range AllPlatforms {
		if a == p {
			return p, nil
		}
	}
	var names []string
	for _, a := range AllPlatforms {
		names = append(names, a.String())
	}
	return Platform{}, fmt.Errorf("platform %q not supported (supported: %s, or all)", s, strings.Join(names, ", "))
}

// ParsePlatforms parses a comma-separated list or "all", dropping duplicates.
func ParsePlatforms(s string) ([]Platform, error) {
	if s == "all" {
		return append([]Platform(nil), AllPlatforms...), nil
	}
	var out []Platform
	seen := map[Platform]bool{}
	for _, f := range strings.Split(s, ",") {
		p, err := ParsePlatform(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// goEnv is the environment for cross-building busybox for p.
func (p Platform) goEnv() []string {
	env := []string{"CGO_ENABLED=0", "GOOS=" + p.OS, "GOARCH=" + p.Arch}
	if p.Arch == "arm" {
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	return env
}

// ELFPlatform tells which platform a Linux ELF executable is for, so a
// --busybox binary is labelled with its real architecture.
func ELFPlatform(data []byte) (Platform, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return Platform{}, fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	p := Platform{OS: "linux"}
	switch f.Machine {
	case elf.EM_X86_64:
		p.Arch = "amd64"
	case elf.EM_AARCH64:
		p.Arch = "arm64"
	case elf.EM_ARM:
		p.Arch, p.Variant = "arm", "v7"
	case elf.EM_386:
		p.Arch = "386"
	case elf.EM_PPC64:
		if f.ByteOrder.String() != "LittleEndian" {
			return Platform{}, fmt.Errorf("big-endian ppc64 is not supported")
		}
		p.Arch = "ppc64le"
	case elf.EM_S390:
		p.Arch = "s390x"
	case elf.EM_RISCV:
		p.Arch = "riscv64"
	default:
		return Platform{}, fmt.Errorf("unsupported ELF machine %v", f.Machine)
	}
	return p, nil
}

// BusyboxMain is the main package path a moobox busybox binary records
// in its Go build info.
const BusyboxMain = "github.com/moobox/moobox/cmd/busybox"

// CheckBusybox checks that data can serve as the image's /usr/bin/busybox:
// a statically linked ELF executable (the image holds no dynamic loader
// nor libc, so a dynamic one fails with "no such file or directory") built
// from moobox's ./cmd/busybox (the image's applet links and SBOM assume
// that program). Its errors read after the file's name ("X is ...").
func CheckBusybox(data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("is not an ELF executable: %w", err)
	}
	defer f.Close()
	dynamic := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		dynamic = true
	}
	if dynamic {
		return errors.New("is dynamically linked; build it with CGO_ENABLED=0")
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("is not a Go program (no Go build info): build moobox's busybox with \"CGO_ENABLED=0 go build ./cmd/busybox\"")
	}
	if bi.Path != BusyboxMain {
		what := bi.Path
		if what == "" {
			what = "an unknown package"
		}
		return fmt.Errorf("is a build of %s, not of moobox's busybox (%s)", what, BusyboxMain)
	}
	return nil
}

// FindSource returns the root of the moobox checkout containing dir (the
// directory holding go.mod for github.com/moobox/moobox), or an error.
func FindSource(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && isMooboxMod(b) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is not inside a moobox checkout (no go.mod for github.com/moobox/moobox): pass --src DIR or --busybox PATH", dir)
		}
		d = parent
	}
}

// isMooboxMod reports whether a go.mod declares moobox's module.
func isMooboxMod(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == "github.com/moobox/moobox"
		}
	}
	return false
}

// BuildBusybox compiles ./cmd/busybox of the checkout at src for p the
// way ko does: CGO_ENABLED=0, -trimpath, no build ID, no symbols, no VCS
// stamp, and the baseline instruction set (GOAMD64 etc. from the caller's
// environment are dropped), so the same source gives the same bytes on
// any machine. It returns the binary.
func BuildBusybox(ctx context.Context, src string, p Platform) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "moobuild-busybox-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "busybox")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, "./cmd/busybox")
	cmd.Dir = src
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CGO_ENABLED", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GOARM64", "GO386",
			"GOPPC64", "GORISCV64", "GOMIPS", "GOMIPS64", "GOWASM", "GOFLAGS":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, p.goEnv()...)
	dirs, cleanup, err := goDirs(os.Stderr)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, dirs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/busybox for %s: %v\n%s", p, err, stderr.Bytes())
	}
	return os.ReadFile(out)
}

// goDirs returns GOCACHE and GOMODCACHE settings for a builder whose
// home is read-only or absent (a student on a shared machine): private
// directories under the temporary directory, used only when the variable
// is unset and Go's default location cannot be written. cleanup removes
// the ones that had to be made fresh.
func goDirs(warn io.Writer) (env []string, cleanup func(), err error) {
	var fresh []string
	cleanup = func() {
		for _, d := range fresh {
			removeAll(d)
		}
	}
	use := func(key, name string) error {
		d, isFresh, err := privateDir(os.TempDir(), fmt.Sprintf("%s-%d", name, os.Geteuid()), warn)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if isFresh {
			fresh = append(fresh, d)
		}
		env = append(env, key+"="+d)
		return nil
	}
	home, _ := os.UserHomeDir()
	cache, _ := os.UserCacheDir()
	if os.Getenv("GOCACHE") == "" && !writable(cache, "go-build") {
		if err := use("GOCACHE", "moobuild-gocache"); err != nil {
			return nil, cleanup, err
		}
	}
	if os.Getenv("GOMODCACHE") == "" && os.Getenv("GOPATH") == "" && !writable(home, "go", "pkg", "mod") {
		if err := use("GOMODCACHE", "moobuild-gomodcache"); err != nil {
			return nil, cleanup, err
		}
	}
	return env, cleanup, nil
}

// privateDir returns base/name, made 0700 if absent, when it is this
// user's own: a real directory (not a symlink) owned by the effective uid
// with mode 0700. The temporary directory is shared, and a directory
// another user made there could feed poisoned objects into the build (or
// a file there could stop it). Otherwise it returns a fresh directory
// from os.MkdirTemp (isFresh), after a line on warn.
func privateDir(base, name string, warn io.Writer) (dir string, isFresh bool, err error) {
	p := filepath.Join(base, name)
	if os.Mkdir(p, 0o700) == nil {
		os.Chmod(p, 0o700) // the umask may have taken bits away
	}
	fi, err := os.Lstat(p)
	if err == nil && fi.IsDir() && fi.Mode()&(fs.ModeType|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) == fs.ModeDir &&
		fi.Mode().Perm() == 0o700 && ownedByMe(fi) {
		return p, false, nil
	}
	if warn != nil {
		fmt.Fprintf(warn, "moobuild: warning: not using %s (not a directory of uid %d with mode 0700): using a fresh one\n", p, os.Geteuid())
	}
	d, err := os.MkdirTemp(base, name+"-")
	if err != nil {
		return "", false, err
	}
	return d, true, nil
}

// ownedByMe reports whether fi belongs to the effective uid.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// removeAll removes dir even where Go made the module cache read-only.
func removeAll(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(dir)
}

// writable reports whether base/elem... exists or can be made, and
// takes files.
func writable(base string, elem ...string) bool {
	if base == "" {
		return false
	}
	d := filepath.Join(append([]string{base}, elem...)...)
	if os.MkdirAll(d, 0o777) != nil {
		return false
	}
	f, err := os.CreateTemp(d, ".moobuild-probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// SourceDate returns the image timestamp: SOURCE_DATE_EPOCH when set
// (an error when malformed), else the commit time of HEAD of the git
// checkout at dir, else the Unix epoch. When dir is in a git checkout
// whose HEAD git cannot read (a .git the builder may not read, no commit
// yet, no git), a warning on stderr says so: the date then silently
// differs from a build that can.
func SourceDate(dir string) (time.Time, error) {
	return sourceDate(dir, os.Stderr)
}

func sourceDate(dir string, warn io.Writer) (time.Time, error) {
	if s, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 253402300799 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 (0 to 253402300799)", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if dir == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	out, err := git(dir, "log", "-1", "--format=%ct", "HEAD")
	if err == nil {
		if n, err := strconv.ParseInt(out, 10, 64); err == nil && n >= 0 {
			return time.Unix(n, 0).UTC(), nil
		}
		err = fmt.Errorf("unexpected output %q", out)
	}
	if !errors.Is(err, errNoRepo) {
		fmt.Fprintf(warn, "moobuild: warning: cannot read the commit time of HEAD in %s (%v): the timestamps are 1970-01-01; set SOURCE_DATE_EPOCH to choose them\n", dir, err)
	}
	return time.Unix(0, 0).UTC(), nil
}

// Revision returns the commit hash of HEAD at dir, or "".
func Revision(dir string) string {
	if dir == "" {
		return ""
	}
	out, _ := git(dir, "rev-parse", "HEAD")
	return out
}

// findDotGit returns the .git nearest to dir, or "".
func findDotGit(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return filepath.Join(d, ".git")
		}
		if filepath.Dir(d) == d {
			return ""
		}
		d = filepath.Dir(d)
	}
}

// errNoRepo is git's answer outside a repository: no warning then.
var errNoRepo = errors.New("not a git repository")

// git runs a read-only git query. safe.directory=* because an
// unprivileged builder reading root's checkout must see the same commit
// as root does, or the two builds would differ.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-c", "safe.directory=*", "-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "TZ=UTC", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		notRepo := strings.Contains(msg, "not a git repository")
		if notRepo || errors.Is(err, exec.ErrNotFound) {
			// git says the same of a .git it may not read: look.
			dotGit := findDotGit(dir)
			switch {
			case dotGit == "":
				return "", errNoRepo
			case notRepo:
				return "", fmt.Errorf("git cannot read %s", dotGit)
			}
			return "", fmt.Errorf("git is not installed")
		}
		if msg != "" {
			return "", fmt.Errorf("git: %s", strings.TrimPrefix(msg, "fatal: "))
		}
		return "", fmt.Errorf("git: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}
