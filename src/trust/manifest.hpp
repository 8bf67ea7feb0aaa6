#pragma once
// The release manifest: every shipped file of an installation tree with its SHA-256 and size,
// plus what the tree was built from (source commit, compiler, Debian packages). Signed with
// signing.hpp, it lets `parley verify` name each file an installation added, lost or changed.
//
// JSON form (UTF-8, keys in this order, files sorted by path, two-space indent, final newline):
//   {"format": "parley-release-manifest/1", "parley_version": "0.1.0",
//    "source_commit": "<sha1>", "compiler": "gcc 12.2.0",
//    "debian_packages": [{"name": "libssl3", "version": "3.0.15-1~deb12u1",
//                         "architecture": "amd64"}, ...],
//    "files": [{"path": "bin/parley", "sha256": "<64 hex>", "size": 123},
//              {"path": "lib/x.so", "symlink": "x.so.1"}, ...]}
// The same tree and build facts always give the same bytes (no timestamps), so a manifest of a
// reproducible build is itself reproducible. Pure functions, thread-safe.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "trust/build_info.hpp"

namespace parley::trust {

inline constexpr std::string_view kManifestFormat = "parley-release-manifest/1";

// kOther (a FIFO, socket or device) only appears in scans of a tree; no manifest may hold one.
enum class EntryKind { kFile, kSymlink, kOther };

// One entry of an installation tree. `path` is relative to the tree root with '/' separators
// and no "." or ".." parts. Symbolic links are recorded by their target text, never followed.
struct ManifestEntry {
  std::string path;
  EntryKind kind = EntryKind::kFile;
  std::string sha256;       // kFile: 64 lower-case hex digits
  std::uint64_t size = 0;   // kFile: bytes
  std::string link_target;  // kSymlink

  bool operator==(const ManifestEntry&) const = default;
};

struct Manifest {
  std::string parley_version;
  std::string source_commit;
  std::string compiler;
  std::vector<DebianPackage> debian_packages;
  std::vector<ManifestEntry> files;  // sorted by path, no duplicates

  bool operator==(const Manifest&) const = default;
};

// The canonical JSON text. Fails on a kOther entry or a path that is not valid UTF-8.
Result<std::string> manifest_to_json(const Manifest& manifest);

// Parses and checks a manifest: the format tag, every field's type, hex digests, and paths that
// stay inside the tree (relative, no "." or ".." parts, no duplicates). Files come back sorted.
Result<Manifest> parse_manifest(std::string_view json);

struct ScanOptions {
  // Relative paths (as in ManifestEntry::path) to leave out: the manifest and its signature
  // when they live inside the tree they describe.
  std::vector<std::string> exclude;
};

// Every regular file, symbolic link and other non-directory entry under `root`, sorted by path,
// regular files hashed. Does not follow symbolic links. Fails when root is not a directory or
// an entry cannot be read.
Result<std::vector<ManifestEntry>> scan_tree(const std::filesystem::path& root,
                                             const ScanOptions& options = {});

// How an installation differs from its manifest; each list is sorted by path.
struct TreeDiff {
  std::vector<std::string> added;    // in the tree, not in the manifest
  std::vector<std::string> missing;  // in the manifest, not in the tree
  std::vector<std::string> changed;  // in both, with another kind, digest, size or link target

  bool empty() const { return added.empty() && missing.empty() && changed.empty(); }
};

// Compares two sorted entry lists: `expected` from the manifest, `actual` from scan_tree.
TreeDiff diff_entries(const std::vector<ManifestEntry>& expected,
                      const std::vector<ManifestEntry>& actual);

}  // namespace parley::trust
