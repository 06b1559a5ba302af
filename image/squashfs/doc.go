// Package squashfs writes SquashFS 4.0 file system images in pure Go, images
// that the Linux kernel, squashfs-tools (unsquashfs) and squashfuse read.
//
// # Input: an in-memory tree
//
// The writer's input is a Tree, so that an image builder can assemble a root
// file system in memory and feed the same tree to a tar layer and to Write:
//
//	t := squashfs.NewTree()
//	t.DefaultMtime = epoch // mtime of implicitly created parent directories
//	t.Add(squashfs.Entry{Path: "etc", Mode: fs.ModeDir | 0o755, Mtime: epoch})
//	t.Add(squashfs.Entry{Path: "etc/motd", Mode: 0o644, Data: []byte("moo\n"), Mtime: epoch})
//	t.Add(squashfs.Entry{Path: "bin/sh", Mode: 0o755, Size: n, Open: openBusybox})
//	t.Add(squashfs.Entry{Path: "bin/ls", HardLink: "bin/sh"})
//	t.Add(squashfs.Entry{Path: "usr/bin/env", Mode: fs.ModeSymlink | 0o777, Target: "/bin/busybox"})
//	t.Add(squashfs.Entry{Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, Major: 1, Minor: 3})
//	err := squashfs.WriteFile("root.sqfs", t, squashfs.Options{Compression: squashfs.XZ, MkfsTime: epoch})
//
// Entries may be added in any order; missing parents are created as 0755
// root-owned directories with Tree.DefaultMtime, and adding such a
// directory later sets its attributes. Entry.Mode is an fs.FileMode holding
// the file type and the permission, setuid, setgid and sticky bits. A
// regular file's content is Entry.Data, or Entry.Open returning exactly
// Entry.Size bytes (read once, during Write), or neither for Size zero bytes.
// Hard links use tar's convention: Entry.HardLink names another entry, and
// both names share one inode (and its nlink count). Tree.Walk visits the
// entries in a fixed order (parents first, names sorted bytewise), which
// suits writing a tar layer from the same tree.
//
// FromDir reads a host directory into a Tree (what `moobuild mksquashfs`
// does), with options to make every file root-owned, to set or clamp
// mtimes, and to leave out one file (the output image, when it lies in the
// source, as mksquashfs leaves out its own). Like mksquashfs 4.5.1:
// clamping (SOURCE_DATE_EPOCH for `moobuild mksquashfs`, which reads it as
// mksquashfs does, the empty string meaning 0) lowers only the mtimes
// later than the given time and keeps older ones; a source that is not a
// directory, a symlink to one included, is not followed but becomes the
// only entry of a 0777 root directory. Deliberate differences: a file that
// cannot be read aborts FromDir or Write with an error, where mksquashfs
// warns and stores it as an empty file; mtimes before 1970 or after 2106
// (and Entry.Mtime in general) are clamped to 0 and 2^32-1, where
// mksquashfs keeps their low 32 bits.
//
// # Output
//
// Write and WriteFile produce the image; WriteFile goes through a temporary
// file renamed into place, so a failure leaves no partial image. Options
// choose the compressor (gzip: zlib level 9, klauspost/compress's encoder;
// xz: this package's own LZMA2 encoder, which parses by price like
// liblzma's normal mode (ulikunitz/xz's greedy encoder made images 10%
// larger), CRC32 check, dictionary max(block size, 8 KiB); zstd: this
// package's own encoder, a two-pass price-optimal parse with
// klauspost/compress's huff0 for the literals (klauspost's zstd encoder
// made images 6-8% larger), one single-segment frame per block so that
// the window is at most the block size: the kernel rejects larger
// dictionaries and windows), the block size (default 128 KiB) and the
// superblock time. No compressor options are stored: none differ from the
// decoders' defaults. Data blocks are compressed on all cores; the output
// depends only on the tree and the options, not on the order entries were
// added, the number of cores or the machine.
//
// The image follows mksquashfs's defaults: names sorted bytewise; files
// smaller than a block packed into shared fragment blocks, larger files
// stored as whole blocks (no tail-end packing); all-zero blocks stored as
// sparse holes; files with identical content stored once; hard links
// sharing one inode; extended inodes where the basic ones cannot hold the
// values (files of 4 GiB or more, at positions past 4 GiB, with nlink > 1 or
// holes; directories with listings over 64 KiB or with an index); a
// directory index every 8 KiB of listing; id, fragment and export (NFS
// lookup) tables; blocks stored uncompressed when compression does not
// shrink them; the image padded to a multiple of 4 KiB.
//
// Not supported: extended attributes (no xattr table is written, so any
// xattrs of the source are dropped), appending to an existing image, and
// the lzo, lz4 and lzma compressors.
package squashfs
