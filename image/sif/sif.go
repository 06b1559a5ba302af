// Package sif assembles moobox's Singularity Image Format file (moo.sif)
// from the root filesystem tree (image/rootfs) and a definition file
// (image/deffile), in pure Go: the tree is written as SquashFS by
// image/squashfs and wrapped with github.com/apptainer/sif/v2.
//
// What Apptainer/SingularityCE need, and so what Build writes:
//
//   - the SIF header with the launch line "#!/usr/bin/env run-singularity",
//     so "./moo.sif ARGS" runs the container;
//   - descriptors: the definition file (DataDeffile); the JSON object
//     "inspect-metadata.json" that "apptainer inspect" reads instead of
//     starting the container; the SquashFS as the primary system partition
//     (FsSquash, PartPrimSys, the image's architecture: a runtime refuses
//     another one); an SPDX SBOM (DataSBOM);
//   - inside the SquashFS, besides the root filesystem, the /.singularity.d
//     metadata: runscript, test, labels.json, env/90-environment.sh,
//     Singularity (the def file), runscript.help; and /dev for --contain.
//
// Deliberate differences from Apptainer's build: a definition file without
// %runscript gets DefaultRunscript (the demo, or the arguments), not a
// script saying there is none, so the SIF runs what the OCI image of the
// same file runs; and Verify (moobuild verify) reads the SquashFS with a
// strict reader of its own that decompresses every block of every file,
// each distinct data block and fragment block once, and refuses files
// whose block lists share only part of their blocks (unsquashfs reads
// them; neither mksquashfs nor moobox writes them, and they would let a
// small image make the check decompress the same blocks many times).
// Extract writes sparse files sparse, as unsquashfs does.
//
// Everything is a function of the tree, the definition file and the
// creation time (SOURCE_DATE_EPOCH): the SIF's times are that time and its
// UUID is derived from it and from the content, so two builds give the same
// bytes and a change of content or date gives a new UUID.
package sif

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/apptainer/sif/v2/pkg/sif"

	"github.com/moobox/moobox/image/deffile"
	"github.com/moobox/moobox/image/oci"
	"github.com/moobox/moobox/image/rootfs"
	spdx "github.com/moobox/moobox/image/sbom"
	"github.com/moobox/moobox/image/squashfs"
	"github.com/moobox/moobox/internal/version"
)

// LaunchScript is the SIF header's launch line, as Apptainer writes it.
const LaunchScript = "#!/usr/bin/env run-singularity\n"

// InspectMetadataName is the name of the JSON descriptor that "apptainer
// inspect" reads.
const InspectMetadataName = "inspect-metadata.json"

// Paths of the container metadata inside the image.
const (
	RunscriptPath = ".singularity.d/runscript"
	TestPath      = ".singularity.d/test"
	LabelsPath    = ".singularity.d/labels.json"
	EnvPath       = ".singularity.d/env/90-environment.sh"
	DeffilePath   = ".singularity.d/Singularity"
	HelpPath      = ".singularity.d/runscript.help"
)

// DefaultRunscript is the runscript of a definition file without
// %runscript: what the OCI image of the same file runs (the demo), and
// with arguments those arguments, like image/moo.def's. (Apptainer's
// default only says there is no runscript; moobox's keeps the SIF and the
// OCI image of one file doing the same thing.)
const DefaultRunscript = `# No %runscript in the definition file: moobuild's default. With no
# arguments the demo, with arguments those (singularity run IMAGE cowsay hi).
if [ "$#" -eq 0 ]; then
    ` + oci.Demo + `
else
    exec "$@"
fi`

// Options control Build.
type Options struct {
	// Platform is the image's platform; its Arch goes into the partition
	// descriptor (runtimes refuse an image of another architecture).
	Platform rootfs.Platform
	// Created is the image's creation time (SOURCE_DATE_EPOCH); the zero
	// value means the tree's MTime.
	Created time.Time
	// Labels are extra labels (the OCI ones the image builder computes:
	// version, revision, ...). The def file's labels win over them.
	Labels map[string]string
	// SBOM is an SPDX 2.3 JSON document; nil means image/sbom's document
	// of the tree (without a revision).
	SBOM []byte
	// Compression of the SquashFS partition; 0 means xz: 16% smaller
	// than gzip for moobox (the static binary dominates), read by every
	// distribution kernel, squashfuse and Singularity/Apptainer (gzip is
	// the choice for exotic kernels without CONFIG_SQUASHFS_XZ).
	Compression squashfs.Compression

	// descriptors is the descriptor table's capacity; 0 means the sif
	// library's default (48, 28 KiB). The fuzz test's seed uses 4 to stay
	// small enough for the fuzzer to mutate.
	descriptors int64
}

// Image is a built SIF.
type Image struct {
	// Bytes is the whole SIF file.
	Bytes []byte
	// Squashfs is the system partition, as stored in the SIF.
	Squashfs []byte
	// Created is the header's creation time.
	Created time.Time
	// ID is the header's UUID.
	ID string
}

// Build assembles the SIF of the tree t described by d. t is not modified.
func Build(t *rootfs.Tree, d *deffile.Def, o Options) (*Image, error) {
	if t == nil || t.Len() == 0 {
		return nil, rootfs.ErrEmpty
	}
	if d == nil {
		return nil, fmt.Errorf("sif: no definition file")
	}
	arch := o.Platform.Arch
	if arch == "" {
		return nil, fmt.Errorf("sif: no platform architecture")
	}
	created := o.Created
	if created.IsZero() {
		created = t.MTime
	}
	created = created.UTC().Truncate(time.Second)

	md := Metadata(d, o.Platform, created, o.Labels)
	sq, err := SquashTree(t, md)
	if err != nil {
		return nil, err
	}
	var part bytes.Buffer
	comp := o.Compression
	if comp == 0 {
		comp = squashfs.XZ
	}
	if _, err := squashfs.Write(&part, sq, squashfs.Options{Compression: comp, MkfsTime: created.Unix()}); err != nil {
		return nil, fmt.Errorf("sif: squashfs: %w", err)
	}
	sbom := o.SBOM
	if sbom == nil {
		sbom, err = spdx.Generate(spdx.Input{
			Name: "moobox", Version: version.Version, Source: "https://github.com/moobox/moobox",
			Created: created, Tool: "moobuild-" + version.Version,
			Trees: map[rootfs.Platform]*rootfs.Tree{o.Platform: t},
		})
		if err != nil {
			return nil, err
		}
	}
	inspect, err := md.InspectJSON()
	if err != nil {
		return nil, err
	}

	// The UUID: a name-based (version 5 layout) UUID over the creation
	// time and every data object, so it changes with either and only
	// with them.
	h := sha256.New()
	fmt.Fprintf(h, "moobox sif\x00%d\x00%s\x00", created.Unix(), o.Platform)
	for _, b := range [][]byte{d.Raw, inspect, part.Bytes(), sbom} {
		fmt.Fprintf(h, "%d\x00", len(b))
		h.Write(b)
	}
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])

	var dis []sif.DescriptorInput
	add := func(t sif.DataType, data []byte, opts ...sif.DescriptorInputOpt) error {
		di, err := sif.NewDescriptorInput(t, bytes.NewReader(data), opts...)
		if err != nil {
			return err
		}
		dis = append(dis, di)
		return nil
	}
	// Same order as Apptainer: def file, JSON objects, partition, then
	// the SBOM.
	if err := add(sif.DataDeffile, d.Raw); err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := add(sif.DataGenericJSON, inspect, sif.OptObjectName(InspectMetadataName)); err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := add(sif.DataPartition, part.Bytes(), sif.OptPartitionMetadata(sif.FsSquash, sif.PartPrimSys, arch)); err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := add(sif.DataSBOM, sbom, sif.OptSBOMMetadata(sif.SBOMFormatSPDXJSON)); err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	opts := []sif.CreateOpt{
		sif.OptCreateWithDescriptors(dis...),
		sif.OptCreateWithID(id),
		sif.OptCreateWithTime(created),
		sif.OptCreateWithLaunchScript(LaunchScript),
	}
	if o.descriptors > 0 {
		opts = append(opts, sif.OptCreateWithDescriptorCapacity(o.descriptors))
	}
	buf := sif.NewBuffer(nil)
	f, err := sif.CreateContainer(buf, opts...)
	if err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := f.UnloadContainer(); err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	return &Image{Bytes: buf.Bytes(), Squashfs: part.Bytes(), Created: created, ID: id}, nil
}

// WriteFile writes data to name through a temporary file in the same
// directory renamed into place, so a failure leaves no partial file and an
// existing file is replaced atomically. The file is 0755 like Apptainer's
// (the launch line makes it executable).
func WriteFile(name string, data []byte) error {
	return oci.WriteAll(context.Background(), nil, nil, oci.WriteOptions{}, oci.File{Path: name, Data: data, Mode: 0o755})
}

// Meta is the container metadata derived from the definition file: the
// /.singularity.d files and the inspect JSON.
type Meta struct {
	Def       *deffile.Def
	Labels    map[string]string
	Runscript string // file content: DefaultRunscript when the def file has none
	Test      string
	Env       string
	Help      string
}

// Metadata computes the container metadata. Labels are, in increasing
// precedence: those Apptainer adds at build time (org.label-schema.*,
// architecture, created), extra (the OCI labels), the def file's.
func Metadata(d *deffile.Def, p rootfs.Platform, created time.Time, extra map[string]string) *Meta {
	created = created.UTC()
	labels := map[string]string{
		"org.label-schema.schema-version":                      "1.0",
		"org.label-schema.build-date":                          buildDate(created),
		"org.label-schema.build-arch":                          p.Arch,
		"org.label-schema.usage.singularity.deffile.bootstrap": d.Bootstrap,
		"org.opencontainers.image.architecture":                p.Arch,
		"org.opencontainers.image.created":                     created.Format(time.RFC3339),
	}
	if p.Variant != "" {
		labels["org.opencontainers.image.variant"] = p.Variant
	}
	if d.Help != "" {
		labels["org.label-schema.usage"] = "/" + HelpPath
		labels["org.label-schema.usage.singularity.runscript.help"] = "/" + HelpPath
	}
	for k, v := range extra {
		labels[k] = v
	}
	for _, l := range d.Labels {
		labels[l.Key] = l.Value
	}
	m := &Meta{Def: d, Labels: labels, Runscript: shebangScript(DefaultRunscript)}
	if d.Runscript != "" {
		m.Runscript = shebangScript(d.Runscript)
	}
	if d.Test != "" {
		m.Test = shebangScript(d.Test)
	}
	if d.Environment != "" {
		m.Env = "#!/bin/sh\n\n" + d.Environment + "\n"
	}
	if d.Help != "" {
		m.Help = d.Help + "\n"
	}
	return m
}

// shebangScript makes a script file the way Apptainer does: the section's
// own "#!" line if it starts with one, else "#!/bin/sh", a blank line, the
// body.
func shebangScript(body string) string {
	shebang := "#!/bin/sh"
	t := strings.TrimLeft(body, " \t\n")
	if strings.HasPrefix(t, "#!") {
		first, rest, _ := strings.Cut(t, "\n")
		shebang, body = strings.TrimSpace(first), rest
	}
	return shebang + "\n\n" + body + "\n"
}

// buildDate formats t like Apptainer's org.label-schema.build-date
// ("Thursday_26_November_2026_22:05:00_UTC"). Apptainer writes minutes and
// seconds unpadded but parses the label back with "15:04:05", which needs
// two digits: pad them so the label always parses.
func buildDate(t time.Time) string {
	zone, _ := t.Zone()
	return fmt.Sprintf("%s_%d_%s_%d_%d:%02d:%02d_%s", t.Weekday(), t.Day(), t.Month(), t.Year(),
		t.Hour(), t.Minute(), t.Second(), zone)
}

// LabelsJSON is /.singularity.d/labels.json: the labels as a tab-indented
// JSON object with sorted keys, as Apptainer writes it.
func (m *Meta) LabelsJSON() ([]byte, error) {
	return json.MarshalIndent(m.Labels, "", "\t")
}

// InspectJSON is the inspect-metadata.json descriptor.
func (m *Meta) InspectJSON() ([]byte, error) {
	type attributes struct {
		Labels      map[string]string `json:"labels"`
		Runscript   string            `json:"runscript"`
		Test        string            `json:"test,omitempty"` // "apptainer inspect --test" reads it
		Deffile     string            `json:"deffile"`
		Helpfile    string            `json:"helpfile"`
		Startscript string            `json:"startscript"`
		Environment map[string]string `json:"environment"`
	}
	type data struct {
		Attributes attributes `json:"attributes"`
	}
	type metadata struct {
		Data data   `json:"data"`
		Type string `json:"type"`
	}
	env := map[string]string{}
	if m.Env != "" {
		env["/"+EnvPath] = m.Env
	}
	return json.Marshal(metadata{
		Data: data{Attributes: attributes{
			Labels:      m.Labels,
			Runscript:   m.Runscript,
			Test:        m.Test,
			Deffile:     string(m.Def.Raw),
			Helpfile:    m.Help,
			Environment: env,
		}},
		Type: "container",
	})
}

// Files returns the /.singularity.d files (path, content, mode) that the
// metadata puts into the image.
func (m *Meta) Files() ([]MetaFile, error) {
	labels, err := m.LabelsJSON()
	if err != nil {
		return nil, err
	}
	files := []MetaFile{
		{LabelsPath, labels, 0o644},
		{DeffilePath, m.Def.Raw, 0o644},
	}
	if m.Runscript != "" {
		files = append(files, MetaFile{RunscriptPath, []byte(m.Runscript), 0o755})
	}
	if m.Test != "" {
		files = append(files, MetaFile{TestPath, []byte(m.Test), 0o755})
	}
	if m.Env != "" {
		files = append(files, MetaFile{EnvPath, []byte(m.Env), 0o755})
	}
	if m.Help != "" {
		files = append(files, MetaFile{HelpPath, []byte(m.Help), 0o644})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// MetaFile is one generated metadata file.
type MetaFile struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// SquashTree converts the root filesystem to the squashfs writer's tree and
// adds the container metadata: /.singularity.d with its files, and /dev
// when the tree lacks it. Every entry is owned by 0:0 with the tree's
// time.
func SquashTree(t *rootfs.Tree, m *Meta) (*squashfs.Tree, error) {
	mt := t.MTime.Unix()
	sq := squashfs.NewTree()
	sq.DefaultMtime = mt
	if err := sq.Add(squashfs.Entry{Path: "", Mode: fs.ModeDir | 0o755, Mtime: mt}); err != nil {
		return nil, err
	}
	err := t.Walk(func(e rootfs.Entry) error {
		if e.Path == ".singularity.d" || strings.HasPrefix(e.Path, ".singularity.d/") {
			return fmt.Errorf("sif: the root filesystem already has /%s", e.Path)
		}
		se := squashfs.Entry{Path: e.Path, Mode: e.Mode, Mtime: mt, Target: e.Target}
		if e.IsRegular() {
			se.Data = e.Data
			se.Size = int64(len(e.Data))
			if se.Data == nil {
				se.Data = []byte{}
			}
		}
		return sq.Add(se)
	})
	if err != nil {
		return nil, err
	}
	if _, ok := t.Lookup("dev"); !ok {
		if err := sq.Add(squashfs.Entry{Path: "dev", Mode: fs.ModeDir | 0o755, Mtime: mt}); err != nil {
			return nil, err
		}
	}
	files, err := m.Files()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{".singularity.d", ".singularity.d/env"} {
		if err := sq.Add(squashfs.Entry{Path: d, Mode: fs.ModeDir | 0o755, Mtime: mt}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := sq.Add(squashfs.Entry{Path: f.Path, Mode: f.Mode, Mtime: mt, Data: f.Data, Size: int64(len(f.Data))}); err != nil {
			return nil, err
		}
	}
	// The conventional shortcuts Apptainer's build creates.
	for _, l := range [][2]string{{"singularity", RunscriptPath}, {"environment", EnvPath}} {
		if _, ok := t.Lookup(l[0]); ok {
			continue
		}
		if !hasFile(files, l[1]) {
			continue
		}
		if err := sq.Add(squashfs.Entry{Path: l[0], Mode: fs.ModeSymlink | 0o777, Mtime: mt, Target: l[1]}); err != nil {
			return nil, err
		}
	}
	return sq, nil
}

func hasFile(files []MetaFile, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

func sortStrings(s []string) { sort.Strings(s) }
