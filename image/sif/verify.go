package sif

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/apptainer/sif/v2/pkg/sif"
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
// inside the SquashFS the /.singularity.d files, /dev, and a /bin/sh that
// resolves to a statically linked executable for the partition's
// architecture (the image has no dynamic loader). Every regular file is read
// to its end, each data block and fragment decompressed, so corrupted data
// fails here as it does in unsquashfs. All problems found are returned,
// joined, as the error; the report is filled as far as it got.
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

// maxExe bounds the /bin/sh Verify checks (moobox's busybox is a few
// MiB).
const maxExe = 256 << 20

func (r *Report) checkSquash(img []byte, arch string) error {
	sq, err := newSqReader(img)
	if err != nil {
		return err
	}
	r.SquashBytes = int64(len(sq.img))
	if r.Files, err = checkData(sq); err != nil {
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
		in, err := sq.lookup(want.p)
		if err != nil {
			return fmt.Errorf("/%s: %v", want.p, err)
		}
		if in.mode.Type() != want.mode.Type() || in.mode.Perm()&want.mode.Perm() != want.mode.Perm() {
			return fmt.Errorf("/%s: mode %v, want %v", want.p, in.mode, want.mode)
		}
	}
	// Sizes come from the image: bound them before reading whole files.
	in, err := sq.lookup(LabelsPath)
	if err != nil || in.size > 1<<20 {
		return fmt.Errorf("/%s: unreadable or larger than 1 MiB", LabelsPath)
	}
	var labels map[string]string
	if b, err := sq.readFile(in); err != nil || json.Unmarshal(b, &labels) != nil {
		return fmt.Errorf("/%s is not a JSON object of labels", LabelsPath)
	}
	sh, err := resolve(sq, "bin/sh")
	if err != nil {
		return fmt.Errorf("/bin/sh: %v (the runscript's interpreter)", err)
	}
	if in, err = sq.lookup(sh); err != nil {
		return err
	}
	if in.size > maxExe {
		return fmt.Errorf("/%s: %d bytes, larger than %d MiB", sh, in.size, maxExe>>20)
	}
	// The ELF reader reads the headers it needs, a block at a time: the
	// file is not read whole (it may be mostly holes).
	exe, err := sq.open(in)
	if err != nil {
		return fmt.Errorf("/%s: %v", sh, err)
	}
	if err := checkStatic(io.NewSectionReader(exe, 0, int64(in.size)), arch); err != nil {
		return fmt.Errorf("/bin/sh -> /%s %v", sh, err)
	}
	return nil
}

// maxSymlinks is how many symbolic links one resolution follows, as in
// Linux (MAXSYMLINKS): more is "too many levels of symbolic links".
const maxSymlinks = 40

// checkData visits every entry of the image and reads every regular file
// to its end, and returns the number of entries.
func checkData(sq *sqReader) (files int, err error) {
	// Every entry is visited and every regular file read to its end,
	// decompressing each block and fragment: a corrupted block fails here,
	// as it does in unsquashfs, not later inside a container. Each block
	// is decompressed once: hard links are read once, files whose blocks
	// are the same (mksquashfs stores identical files once and gives each
	// inode the same block list, appended images included) are checked
	// once, and each fragment block is decompressed once, however the
	// files sharing it are ordered. Block lists that share only part of
	// their blocks are refused (mksquashfs and moobox never write them):
	// so the work is that of reading the image's data once.
	type run struct {
		p string
		f *sqFile
	}
	var runs []run
	read := map[uint64]bool{}
	checked := map[[sha256.Size]byte]bool{}
	err = sq.walk(func(p string, in *sqInode) error {
		files++
		if !in.mode.IsRegular() || read[in.ref] {
			return nil
		}
		read[in.ref] = true
		f, err := sq.open(in)
		if err != nil {
			return fmt.Errorf("/%s: %v", p, err)
		}
		if err := f.checkTail(); err != nil {
			return fmt.Errorf("/%s: %v", p, err)
		}
		if f.end > in.blocksStart && !checked[f.key] {
			checked[f.key] = true
			runs = append(runs, run{p, f})
		}
		return nil
	})
	if err != nil {
		return files, err
	}
	slices.SortFunc(runs, func(a, b run) int { return cmp.Compare(a.f.in.blocksStart, b.f.in.blocksStart) })
	var end uint64
	for i, r := range runs {
		if i > 0 && r.f.in.blocksStart < end {
			return files, fmt.Errorf("/%s shares only part of its data blocks with another file", r.p)
		}
		end = max(end, r.f.end)
	}
	for _, r := range runs {
		if err := r.f.checkBlocks(); err != nil {
			return files, fmt.Errorf("/%s: %v", r.p, err)
		}
	}
	return files, nil
}

// resolve follows symlinks from p inside the image (relative to its root)
// to a regular executable file, and returns the path without symlinks.
// Like the kernel's path walk it goes component by component, each
// directory looked up once from its parent, and counts the links it
// follows, in any component, against one budget: the work is bounded by
// the budget and the links' lengths whatever the links point to.
// Absolute targets and ".." above the root stay inside the image, as in
// a container.
func resolve(sq *sqReader, p string) (string, error) {
	root, err := sq.inode(sq.rootRef)
	if err != nil {
		return "", err
	}
	type step struct {
		name string
		in   *sqInode
	}
	var cur []step // the resolved path so far
	where := func(name string) string {
		names := make([]string, 0, len(cur)+1)
		for _, s := range cur {
			names = append(names, s.name)
		}
		return path.Join(append(names, name)...)
	}
	// Directory listings by inode, read once.
	listings := map[uint64]map[string]uint64{}
	todo := strings.Split(p, "/")
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".", "..":
			// As in Linux, these (a trailing "/" included) need the
			// entry before them to be a directory: "busybox/" is not
			// busybox.
			if len(cur) > 0 && !cur[len(cur)-1].in.mode.IsDir() {
				return "", fmt.Errorf("/%s is not a directory", where(""))
			}
			if name == ".." && len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		dir := root
		if len(cur) > 0 {
			dir = cur[len(cur)-1].in
		}
		if !dir.mode.IsDir() {
			return "", fmt.Errorf("/%s is not a directory", where(""))
		}
		list, ok := listings[dir.ref]
		if !ok {
			des, err := sq.readDir(dir)
			if err != nil {
				return "", fmt.Errorf("/%s: %v", where(""), err)
			}
			list = make(map[string]uint64, len(des))
			for _, d := range des {
				list[d.name] = d.ref
			}
			listings[dir.ref] = list
		}
		ref, ok := list[name]
		if !ok {
			return "", fmt.Errorf("/%s: %w", where(name), fs.ErrNotExist)
		}
		in, err := sq.inode(ref)
		if err != nil {
			return "", err
		}
		if in.mode&fs.ModeSymlink != 0 {
			if links++; links > maxSymlinks {
				return "", fmt.Errorf("too many levels of symbolic links (more than %d)", maxSymlinks)
			}
			if strings.HasPrefix(in.target, "/") {
				cur = cur[:0]
			}
			todo = append(strings.Split(in.target, "/"), todo...)
			continue
		}
		cur = append(cur, step{name, in})
	}
	if len(cur) == 0 {
		return "", fmt.Errorf("/%s is the root directory", p)
	}
	in, final := cur[len(cur)-1].in, where("")
	switch {
	case !in.mode.IsRegular():
		return "", fmt.Errorf("/%s is a %v", final, in.mode.Type())
	case in.mode.Perm()&0o111 == 0:
		return "", fmt.Errorf("/%s is not executable", final)
	}
	return final, nil
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
