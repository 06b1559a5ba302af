// Package sbom writes an SPDX 2.3 JSON software bill of materials of
// moobox's images: the files of the root filesystem (with SHA-1 and
// SHA-256), and the Go modules linked into each busybox binary, read
// from the binary's build info. The document depends only on the
// content and the creation time, so it is reproducible like the images.
package sbom

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/moobox/moobox/image/rootfs"
)

// Input describes what the SBOM covers.
type Input struct {
	Name, Version string
	Source        string // download location, e.g. the git URL
	Revision      string // commit, may be ""
	Created       time.Time
	Tool          string // "moobuild-0.1.0"
	// Trees maps each platform to its root filesystem. The busybox at
	// rootfs.BusyboxPath of each is read for its Go build info.
	Trees map[rootfs.Platform]*rootfs.Tree
}

// SPDX 2.3 JSON, the fields we use.
type document struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      creationInfo   `json:"creationInfo"`
	DocumentDescribes []string       `json:"documentDescribes"`
	Packages          []pkg          `json:"packages"`
	Files             []file         `json:"files"`
	Relationships     []relationship `json:"relationships"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type pkg struct {
	SPDXID           string        `json:"SPDXID"`
	Name             string        `json:"name"`
	VersionInfo      string        `json:"versionInfo,omitempty"`
	Supplier         string        `json:"supplier,omitempty"`
	DownloadLocation string        `json:"downloadLocation"`
	FilesAnalyzed    bool          `json:"filesAnalyzed"`
	VerificationCode *verification `json:"packageVerificationCode,omitempty"`
	Checksums        []checksum    `json:"checksums,omitempty"`
	LicenseConcluded string        `json:"licenseConcluded"`
	LicenseDeclared  string        `json:"licenseDeclared"`
	CopyrightText    string        `json:"copyrightText"`
	PrimaryPurpose   string        `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs     []externalRef `json:"externalRefs,omitempty"`
	Comment          string        `json:"comment,omitempty"`
}

type verification struct {
	Value string `json:"packageVerificationCodeValue"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type file struct {
	SPDXID           string     `json:"SPDXID"`
	FileName         string     `json:"fileName"`
	FileTypes        []string   `json:"fileTypes,omitempty"`
	Checksums        []checksum `json:"checksums"`
	LicenseConcluded string     `json:"licenseConcluded"`
	CopyrightText    string     `json:"copyrightText"`
	Comment          string     `json:"comment,omitempty"`
}

type checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

const noassert = "NOASSERTION"

// idChars keeps what SPDX allows in an SPDXID: letters, digits, '.', '-'.
func idChars(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// Generate returns the SPDX document, indented, ending in a newline.
func Generate(in Input) ([]byte, error) {
	if len(in.Trees) == 0 {
		return nil, fmt.Errorf("sbom: no root filesystem")
	}
	plats := make([]rootfs.Platform, 0, len(in.Trees))
	for p := range in.Trees {
		plats = append(plats, p)
	}
	sort.Slice(plats, func(i, j int) bool { return plats[i].String() < plats[j].String() })

	top := "SPDXRef-Package-" + idChars(in.Name)
	src := in.Source
	if src == "" {
		src = noassert
	} else if in.Revision != "" {
		src = "git+" + src + "@" + in.Revision
	}
	doc := document{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        in.Name + "-" + in.Version,
		CreationInfo: creationInfo{
			Created:  in.Created.UTC().Format("2006-01-02T15:04:05Z"),
			Creators: []string{"Tool: " + in.Tool},
		},
		DocumentDescribes: []string{top},
		Packages: []pkg{{
			SPDXID: top, Name: in.Name, VersionInfo: in.Version,
			DownloadLocation: src, LicenseConcluded: noassert, LicenseDeclared: noassert,
			CopyrightText: noassert, PrimaryPurpose: "CONTAINER",
			Comment: "root filesystem for " + platList(plats),
		}},
	}
	// Files: the same path and content on several platforms is listed
	// once; a busybox per platform is listed per platform.
	type fkey struct{ path, sum string }
	seenFile := map[fkey]*file{}
	filePlats := map[fkey][]string{}
	var fileOrder []fkey
	mods := map[string]*pkg{}
	modUsers := map[string][]string{}
	for _, p := range plats {
		for _, e := range in.Trees[p].Entries() {
			if !e.IsRegular() {
				continue
			}
			s256 := sha256.Sum256(e.Data)
			k := fkey{e.Path, hex.EncodeToString(s256[:])}
			if _, ok := seenFile[k]; !ok {
				s1 := sha1.Sum(e.Data)
				f := &file{
					SPDXID:   "SPDXRef-File-" + idChars(e.Path) + "-" + k.sum[:12],
					FileName: "./" + e.Path,
					Checksums: []checksum{
						{"SHA1", hex.EncodeToString(s1[:])},
						{"SHA256", k.sum},
					},
					LicenseConcluded: noassert, CopyrightText: noassert,
				}
				if e.Path == rootfs.BusyboxPath {
					f.FileTypes = []string{"BINARY"}
				} else {
					f.FileTypes = []string{"TEXT"}
				}
				seenFile[k] = f
				fileOrder = append(fileOrder, k)
			}
			filePlats[k] = append(filePlats[k], p.String())
			if e.Path != rootfs.BusyboxPath {
				continue
			}
			bi, err := buildinfo.Read(bytes.NewReader(e.Data))
			if err != nil {
				return nil, fmt.Errorf("sbom: %s busybox build info: %w", p, err)
			}
			fid := seenFile[k].SPDXID
			add := func(path, ver, purl, comment string) {
				id := "SPDXRef-Package-go-" + idChars(path) + "-" + idChars(ver)
				if _, ok := mods[id]; !ok {
					mods[id] = &pkg{
						SPDXID: id, Name: path, VersionInfo: ver, DownloadLocation: noassert,
						LicenseConcluded: noassert, LicenseDeclared: noassert, CopyrightText: noassert,
						PrimaryPurpose: "LIBRARY", Comment: comment,
						ExternalRefs: []externalRef{{"PACKAGE-MANAGER", "purl", purl}},
					}
				}
				if u := modUsers[id]; len(u) == 0 || u[len(u)-1] != fid {
					modUsers[id] = append(modUsers[id], fid)
				}
			}
			add("stdlib", bi.GoVersion, "pkg:golang/stdlib@"+bi.GoVersion, "the Go standard library and runtime")
			main := bi.Main.Path
			mv := in.Version
			add(main, mv, "pkg:golang/"+main+"@"+mv, "main module")
			for _, d := range bi.Deps {
				m := d
				if d.Replace != nil {
					m = d.Replace
				}
				add(m.Path, m.Version, "pkg:golang/"+m.Path+"@"+m.Version, "")
			}
		}
	}
	sort.Slice(fileOrder, func(i, j int) bool {
		if fileOrder[i].path != fileOrder[j].path {
			return fileOrder[i].path < fileOrder[j].path
		}
		return fileOrder[i].sum < fileOrder[j].sum
	})
	// The image package holds the files: SPDX 2.3 then wants
	// filesAnalyzed and the verification code (section 7.9: SHA-1 of
	// the sorted SHA-1s of the files).
	var sums []string
	for _, k := range fileOrder {
		sums = append(sums, seenFile[k].Checksums[0].Value)
	}
	sort.Strings(sums)
	vc := sha1.Sum([]byte(strings.Join(sums, "")))
	doc.Packages[0].FilesAnalyzed = true
	doc.Packages[0].VerificationCode = &verification{hex.EncodeToString(vc[:])}
	for _, k := range fileOrder {
		f := seenFile[k]
		if len(filePlats[k]) < len(plats) {
			f.Comment = "for " + strings.Join(filePlats[k], ", ")
		}
		doc.Files = append(doc.Files, *f)
		doc.Relationships = append(doc.Relationships, relationship{top, "CONTAINS", f.SPDXID})
	}
	ids := make([]string, 0, len(mods))
	for id := range mods {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Packages = append(doc.Packages, *mods[id])
		for _, fid := range modUsers[id] {
			doc.Relationships = append(doc.Relationships, relationship{fid, "STATIC_LINK", id})
		}
	}
	doc.Relationships = append([]relationship{{"SPDXRef-DOCUMENT", "DESCRIBES", top}}, doc.Relationships...)
	// The namespace must be unique per document: derive it from the
	// content so it is also reproducible.
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(body)
	doc.DocumentNamespace = "https://github.com/moobox/moobox/spdx/" + idChars(in.Name+"-"+in.Version) + "-" + hex.EncodeToString(h[:16])
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func platList(ps []rootfs.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
