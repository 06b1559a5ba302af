package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/moobox/moobox/image/rootfs"
)

func TestGenerate(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self) // a Go binary with build info
	if err != nil {
		t.Fatal(err)
	}
	mk := func(bb []byte) *rootfs.Tree {
		tr, err := rootfs.Moobox(time.Unix(1700000000, 0), bb, rootfs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	amd, arm := rootfs.Platform{OS: "linux", Arch: "amd64"}, rootfs.Platform{OS: "linux", Arch: "arm64"}
	in := Input{Name: "moobox", Version: "0.1.0", Source: "https://github.com/moobox/moobox", Revision: "abc",
		Created: time.Unix(1700000000, 0), Tool: "moobuild-0.1.0",
		Trees: map[rootfs.Platform]*rootfs.Tree{amd: mk(bin), arm: mk(append(bin[:len(bin):len(bin)], 0))}}
	a, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(in)
	if !bytes.Equal(a, b) {
		t.Fatal("two SBOMs of the same input differ")
	}
	var doc struct {
		SPDXVersion, DataLicense, SPDXID, Name, DocumentNamespace string
		CreationInfo                                              struct{ Created string }
		Packages                                                  []struct{ SPDXID, Name, VersionInfo string }
		Files                                                     []struct {
			SPDXID, FileName, Comment string
			Checksums                 []struct{ Algorithm string }
		}
		Relationships []struct{ SpdxElementId, RelationshipType, RelatedSpdxElement string }
	}
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXID != "SPDXRef-DOCUMENT" ||
		doc.CreationInfo.Created != "2023-11-14T22:13:20Z" || doc.DocumentNamespace == "" {
		t.Errorf("header: %+v", doc)
	}
	idRe := regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	ids := map[string]bool{"SPDXRef-DOCUMENT": true}
	pkgs := map[string]bool{}
	for _, p := range doc.Packages {
		if !idRe.MatchString(p.SPDXID) || ids[p.SPDXID] {
			t.Errorf("bad or duplicate id %q", p.SPDXID)
		}
		ids[p.SPDXID] = true
		pkgs[p.Name] = true
	}
	busyboxes := 0
	for _, f := range doc.Files {
		if !idRe.MatchString(f.SPDXID) || ids[f.SPDXID] {
			t.Errorf("bad or duplicate id %q", f.SPDXID)
		}
		ids[f.SPDXID] = true
		if len(f.Checksums) != 2 || f.Checksums[0].Algorithm != "SHA1" {
			t.Errorf("%s checksums %+v", f.FileName, f.Checksums)
		}
		if f.FileName == "./usr/bin/busybox" {
			busyboxes++
			if f.Comment == "" {
				t.Errorf("per-platform busybox without its platform")
			}
		}
	}
	if busyboxes != 2 {
		t.Errorf("%d busybox files, want one per platform", busyboxes)
	}
	for _, want := range []string{"moobox", "stdlib", "github.com/moobox/moobox"} {
		if !pkgs[want] {
			t.Errorf("no package %s", want)
		}
	}
	for _, r := range doc.Relationships {
		if !ids[r.SpdxElementId] || !ids[r.RelatedSpdxElement] {
			t.Errorf("relationship to unknown element: %+v", r)
		}
	}
	// Another date, another document.
	in.Created = in.Created.Add(time.Second)
	if c, _ := Generate(in); bytes.Equal(a, c) {
		t.Error("SBOM unchanged with another date")
	}
}
