package sif

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/apptainer/sif/v2/pkg/sif"
	sqfs "github.com/sylabs/squashfs"
)

// Report is what Verify found in a SIF.
type Report struct {
	ID, Launch, Arch  string
	Created, Modified int64
	Descriptors       []DescInfo
	// PartOffset and PartSize locate the system partition in the file
	// (the offset for "mount -o loop,offset=N").
	PartOffset, PartSize int64
	Labels               map[string]string
	Files                int // entries in the squashfs
	Warnings             []string
	SquashBytes          int64 // bytes_used of the squashfs superblock
}

// DescInfo is one descriptor of the SIF.
type DescInfo struct {
	ID, Group    uint32
	Link         string
	Start, End   int64
	Type, Detail string
	Name         string
}

// Verify checks that data is a SIF a runtime runs: the launch line, the
// descriptors moobox writes (definition file, inspect metadata, primary
// SquashFS system partition with a known architecture, SPDX SBOM), and
// inside the SquashFS the /.singularity.d files, /dev, a /bin/sh that
// resolves to an executable, and a busybox built for the partition's
// architecture. The first problem found is returned as the error; the
// report is filled as far as it got.
func Verify(data []byte) (r *Report, err error) {
	r = &Report{}
	// The SIF and squashfs readers come from other projects and are fed
	// untrusted bytes: a panic there is a malformed image, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed image: %v", p)
		}
	}()
	// The loader allocates as many descriptors as the header claims:
	// bound the header's table against the file first.
	if len(data) < 128 {
		return r, fmt.Errorf("not a SIF: %d bytes", len(data))
	}
	total := int64(binary.LittleEndian.Uint64(data[88:]))
	dOff, dSize := int64(binary.LittleEndian.Uint64(data[96:])), int64(binary.LittleEndian.Uint64(data[104:]))
	if total < 0 || total > 1<<16 || dOff < 0 || dSize < 0 || dOff > int64(len(data)) || dSize > int64(len(data))-dOff {
		return r, fmt.Errorf("not a SIF: descriptor table (%d entries, %d+%d) beyond the file's %d bytes", total, dOff, dSize, len(data))
	}
	f, err := sif.LoadContainer(sif.NewBuffer(data), sif.OptLoadWithCloseOnUnload(false))
	if err != nil {
		return r, fmt.Errorf("not a SIF: %w", err)
	}
	defer f.UnloadContainer()
	r.ID, r.Launch, r.Arch = f.ID(), f.LaunchScript(), f.PrimaryArch()
	r.Created, r.Modified = f.CreatedAt().Unix(), f.ModifiedAt().Unix()
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if r.Launch != LaunchScript {
		bad("launch line %q, want %q", r.Launch, LaunchScript)
	}
	if r.Created == 0 {
		// Legal, but runtimes then show 1970: moobuild only writes it
		// when neither SOURCE_DATE_EPOCH nor a git checkout gave a date.
		r.Warnings = append(r.Warnings, "creation time is 0 (set SOURCE_DATE_EPOCH)")
	}
	if r.Modified < r.Created {
		bad("modified %d before created %d", r.Modified, r.Created)
	}
	counts := map[sif.DataType]int{}
	var part *sif.Descriptor
	var inspect, sbom []byte
	// Descriptor data is sliced from data after a bounds check: the
	// library's GetData allocates whatever size a descriptor claims.
	objData := func(d sif.Descriptor) ([]byte, error) {
		off, size := d.Offset(), d.Size()
		if off < 0 || size < 0 || off > int64(len(data)) || size > int64(len(data))-off {
			return nil, fmt.Errorf("descriptor %d: object %d+%d beyond the file's %d bytes", d.ID(), off, size, len(data))
		}
		return data[off : off+size], nil
	}
	f.WithDescriptors(func(d sif.Descriptor) bool {
		counts[d.DataType()]++
		if _, err := objData(d); err != nil {
			bad("%v", err)
		}
		di := DescInfo{ID: d.ID(), Group: d.GroupID(), Start: d.Offset(), End: d.Offset() + d.Size(),
			Type: d.DataType().String(), Name: d.Name(), Link: "NONE"}
		if id, isGroup := d.LinkedID(); id != 0 {
			di.Link = fmt.Sprint(id)
			if isGroup {
				di.Link += " (G)"
			}
		}
		switch d.DataType() {
		case sif.DataPartition:
			fsType, pt, arch, err := d.PartitionMetadata()
			if err != nil {
				bad("partition %d: %v", d.ID(), err)
				break
			}
			di.Detail = fmt.Sprintf("%s/%s/%s", fsType, pt, arch)
			if pt == sif.PartPrimSys {
				dd := d
				part = &dd
			}
		case sif.DataGenericJSON:
			if d.Name() == InspectMetadataName {
				inspect, _ = objData(d)
			}
		case sif.DataSBOM:
			if fm, err := d.SBOMMetadata(); err == nil {
				di.Detail = fm.String()
				if fm == sif.SBOMFormatSPDXJSON {
					sbom, _ = objData(d)
				}
			}
		}
		r.Descriptors = append(r.Descriptors, di)
		return false
	})
	if counts[sif.DataDeffile] != 1 {
		bad("%d definition file descriptors, want 1", counts[sif.DataDeffile])
	}
	if inspect == nil {
		bad("no %s descriptor (apptainer inspect would start the container)", InspectMetadataName)
	} else {
		var m struct {
			Data struct {
				Attributes struct {
					Labels    map[string]string `json:"labels"`
					Runscript string            `json:"runscript"`
					Deffile   string            `json:"deffile"`
				} `json:"attributes"`
			} `json:"data"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(inspect, &m); err != nil {
			bad("%s: %v", InspectMetadataName, err)
		} else if m.Type != "container" || m.Data.Attributes.Deffile == "" {
			bad("%s: type %q, deffile of %d bytes", InspectMetadataName, m.Type, len(m.Data.Attributes.Deffile))
		}
		r.Labels = m.Data.Attributes.Labels
	}
	if sbom == nil {
		bad("no SPDX JSON SBOM descriptor")
	} else {
		var s struct {
			SPDXVersion string `json:"spdxVersion"`
		}
		if err := json.Unmarshal(sbom, &s); err != nil || !strings.HasPrefix(s.SPDXVersion, "SPDX-") {
			bad("SBOM is not SPDX JSON (%v)", err)
		}
	}
	if part == nil {
		bad("no primary system partition")
		return r, joinProblems(problems)
	}
	fsType, _, arch, _ := part.PartitionMetadata()
	r.PartOffset, r.PartSize = part.Offset(), part.Size()
	if fsType != sif.FsSquash {
		bad("primary partition is %s, want Squashfs", fsType)
		return r, joinProblems(problems)
	}
	if arch == "unknown" || arch == "" {
		bad("primary partition has no architecture")
	}
	if r.Arch != arch {
		bad("header architecture %q differs from the partition's %q", r.Arch, arch)
	}
	if r.PartOffset%4096 != 0 {
		bad("partition offset %d is not 4 KiB aligned (loop mounts need it)", r.PartOffset)
	}
	img, err := objData(*part)
	if err != nil {
		return r, joinProblems(problems)
	}
	if err := r.checkSquash(img, arch); err != nil {
		bad("squashfs: %v", err)
	}
	return r, joinProblems(problems)
}

func joinProblems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

func (r *Report) checkSquash(img []byte, arch string) error {
	if len(img) < 96 || string(img[:4]) != "hsqs" {
		return fmt.Errorf("no squashfs superblock")
	}
	if major, minor := binary.LittleEndian.Uint16(img[28:]), binary.LittleEndian.Uint16(img[30:]); major != 4 || minor != 0 {
		return fmt.Errorf("squashfs version %d.%d, want 4.0", major, minor)
	}
	// The reader allocates buffers of the superblock's block size: check
	// it before trusting the image to the reader.
	bs, blog := binary.LittleEndian.Uint32(img[12:]), binary.LittleEndian.Uint16(img[22:])
	if bs < 4096 || bs > 1<<20 || bs&(bs-1) != 0 || uint32(1)<<blog != bs {
		return fmt.Errorf("bad block size %d (log %d)", bs, blog)
	}
	r.SquashBytes = int64(binary.LittleEndian.Uint64(img[40:]))
	if err := checkFragments(img); err != nil {
		return err
	}
	if r.SquashBytes > int64(len(img)) {
		return fmt.Errorf("bytes_used %d beyond the partition's %d bytes", r.SquashBytes, len(img))
	}
	rd, err := sqfs.NewReader(bytes.NewReader(img))
	if err != nil {
		return err
	}
	err = fs.WalkDir(rd, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r.Files++
		return nil
	})
	if err != nil {
		return err
	}
	for _, want := range []struct {
		p    string
		mode fs.FileMode // type, and permission bits that must be set
	}{
		{RunscriptPath, 0o555},
		{LabelsPath, 0o444},
		{DeffilePath, 0o444},
		{"dev", fs.ModeDir | 0o555},
	} {
		fi, err := rd.Stat(want.p)
		if err != nil {
			return fmt.Errorf("/%s: %v", want.p, err)
		}
		if fi.Mode().Type() != want.mode.Type() || fi.Mode().Perm()&want.mode.Perm() != want.mode.Perm() {
			return fmt.Errorf("/%s: mode %v, want %v", want.p, fi.Mode(), want.mode)
		}
	}
	// Sizes come from the image: bound them before reading whole files.
	for _, p := range []string{LabelsPath} {
		if fi, err := rd.Stat(p); err != nil || fi.Size() > 1<<20 {
			return fmt.Errorf("/%s: unreadable or larger than 1 MiB", p)
		}
	}
	var labels map[string]string
	if b, err := rd.ReadFile(LabelsPath); err != nil || json.Unmarshal(b, &labels) != nil {
		return fmt.Errorf("/%s is not a JSON object of labels", LabelsPath)
	}
	sh, err := resolve(rd, "bin/sh")
	if err != nil {
		return fmt.Errorf("/bin/sh: %v (the runscript's interpreter)", err)
	}
	fh, err := rd.Open(sh)
	if err != nil {
		return err
	}
	defer fh.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(fh, head)
	exeArch, err := elfArch(head[:n])
	if err != nil {
		return fmt.Errorf("/%s: %v", sh, err)
	}
	if exeArch != arch {
		return fmt.Errorf("/%s is a %s binary in a %s image", sh, exeArch, arch)
	}
	return nil
}

// resolve follows symlinks from p inside the image (relative to its root)
// to a regular executable file.
func resolve(rd *sqfs.Reader, p string) (string, error) {
	for hops := 0; hops < 40; hops++ {
		// Resolve the parents first: "bin" may itself be a link.
		dir, base := path.Split(p)
		if dir != "" {
			d, err := resolveDir(rd, strings.TrimSuffix(dir, "/"), hops)
			if err != nil {
				return "", err
			}
			p = path.Join(d, base)
		}
		fi, err := lstat(rd, p)
		if err != nil {
			return "", err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			tgt, err := readlink(rd, p)
			if err != nil {
				return "", err
			}
			if strings.HasPrefix(tgt, "/") {
				p = path.Clean(strings.TrimPrefix(tgt, "/"))
			} else {
				p = path.Join(path.Dir(p), tgt)
			}
		case fi.Mode().IsRegular():
			if fi.Mode().Perm()&0o111 == 0 {
				return "", fmt.Errorf("/%s is not executable", p)
			}
			return p, nil
		default:
			return "", fmt.Errorf("/%s is a %v", p, fi.Mode().Type())
		}
	}
	return "", fmt.Errorf("too many levels of symbolic links")
}

func resolveDir(rd *sqfs.Reader, p string, depth int) (string, error) {
	if p == "" || p == "." {
		return ".", nil
	}
	if depth > 40 {
		return "", fmt.Errorf("too many levels of symbolic links")
	}
	parent, err := resolveDir(rd, path.Dir(p), depth+1)
	if err != nil {
		return "", err
	}
	p = path.Join(parent, path.Base(p))
	fi, err := lstat(rd, p)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		tgt, err := readlink(rd, p)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(tgt, "/") {
			return resolveDir(rd, path.Clean(strings.TrimPrefix(tgt, "/")), depth+1)
		}
		return resolveDir(rd, path.Join(path.Dir(p), tgt), depth+1)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("/%s is not a directory", p)
	}
	return p, nil
}

// lstat stats p without following a final symlink: the reader's Stat
// follows links, its directory listing does not.
func lstat(rd *sqfs.Reader, p string) (fs.FileInfo, error) {
	des, err := rd.ReadDir(path.Dir(p))
	if err != nil {
		return nil, err
	}
	for _, d := range des {
		if d.Name() == path.Base(p) {
			return d.Info()
		}
	}
	return nil, fmt.Errorf("/%s: %w", p, fs.ErrNotExist)
}

func readlink(rd *sqfs.Reader, p string) (string, error) {
	f, err := rd.Open(p)
	if err != nil {
		// Opening a dangling or directory link may fail; fall back to the
		// low-level file.
		return "", err
	}
	defer f.Close()
	if sf, ok := f.(*sqfs.File); ok {
		return sf.SymlinkPath(), nil
	}
	return "", fmt.Errorf("/%s: cannot read the link", p)
}

// WriteTo prints the report like "siftool list" followed by a summary.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "SIF ID:       %s\n", r.ID)
	fmt.Fprintf(&buf, "Launch:       %q\n", r.Launch)
	fmt.Fprintf(&buf, "Architecture: %s\n", r.Arch)
	fmt.Fprintf(&buf, "Created:      %d\n", r.Created)
	fmt.Fprintf(&buf, "Modified:     %d\n\n", r.Modified)
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tGROUP\tLINK\tSIF POSITION (start-end)\tTYPE\tNAME")
	for _, d := range r.Descriptors {
		typ := d.Type
		if d.Detail != "" {
			typ += " (" + d.Detail + ")"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d-%d\t%s\t%s\n", d.ID, d.Group, d.Link, d.Start, d.End, typ, d.Name)
	}
	tw.Flush()
	if r.PartSize > 0 {
		fmt.Fprintf(&buf, "\nsquashfs: %d entries, %d bytes at offset %d (mount -o loop,ro,offset=%d)\n",
			r.Files, r.SquashBytes, r.PartOffset, r.PartOffset)
	}
	if len(r.Labels) > 0 {
		fmt.Fprintln(&buf, "\nlabels:")
		keys := make([]string, 0, len(r.Labels))
		for k := range r.Labels {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			fmt.Fprintf(&buf, "  %s: %s\n", k, r.Labels[k])
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&buf, "warning: %s\n", w)
	}
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}
