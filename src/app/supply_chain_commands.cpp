#include "app/supply_chain_commands.hpp"

#include <fcntl.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "app/serve.hpp"
#include "trust/build_info.hpp"
#include "trust/digest.hpp"
#include "trust/manifest.hpp"
#include "trust/sbom.hpp"
#include "trust/signing.hpp"

namespace parley::app {

namespace fs = std::filesystem;

struct SupplyChainFlags {
  std::string out;
  std::string root;
  std::string commit;
  std::string key;
  std::string manifest;
  std::string signature;
  std::string pubkey;
  std::string npm_lock;
};

namespace {

constexpr const char* kSecretKeyFile = "parley-release.key";
constexpr const char* kPublicKeyFile = "parley-release.pub";

int fail(const std::string& message) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return kExitRuntimeError;
}

// File names come from the tree being checked: print control bytes escaped so that a crafted
// name cannot forge extra report lines.
std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\') {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Writes `content` to `path` with `mode`; `exclusive` refuses to replace an existing file.
Result<void> write_file(const fs::path& path, const std::string& content, mode_t mode,
                        bool exclusive) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0)
    return make_error(errno, "cannot write " + path.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t wrote = ::write(fd, content.data() + done, content.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = errno;
      ::close(fd);
      return make_error(error, "cannot write " + path.string() + ": " + std::strerror(error));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::close(fd) != 0) {
    return make_error(errno, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

// Prints to stdout, or writes to `out` when given.
int emit(const std::string& content, const std::string& out) {
  if (out.empty()) {
    std::fwrite(content.data(), 1, content.size(), stdout);
    return kExitOk;
  }
  if (auto written = write_file(out, content, 0644, false); !written) {
    return fail(written.error().message);
  }
  return kExitOk;
}

// `path` relative to `root` when it lies inside it ("" otherwise): the manifest and its
// signature may live in the tree they describe, and are then left out of it.
std::string inside(const fs::path& root, const fs::path& path) {
  std::error_code error;
  const fs::path relative =
      fs::weakly_canonical(path, error).lexically_relative(fs::weakly_canonical(root, error));
  if (error || relative.empty() || *relative.begin() == "..") return {};
  return relative.generic_string();
}

// The installation this binary belongs to: the folder above the one holding it (PREFIX of
// PREFIX/bin/parley).
fs::path installation_root() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path(".") : self.parent_path().parent_path();
}

int release_keygen(const SupplyChainFlags& flags) {
  const fs::path folder = flags.out;
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return fail("cannot create " + folder.string() + ": " + error.message());
  const trust::SecretKey key = trust::SecretKey::generate();
  if (auto written = write_file(folder / kSecretKeyFile, trust::format_secret_key(key), 0600, true);
      !written) {
    return fail(written.error().message);
  }
  if (auto written = write_file(folder / kPublicKeyFile, trust::format_public_key(key.public_key()),
                                0644, true);
      !written) {
    return fail(written.error().message);
  }
  std::printf("secret key %s (keep it offline)\npublic key %s (key id %s)\n",
              (folder / kSecretKeyFile).c_str(), (folder / kPublicKeyFile).c_str(),
              key.public_key().id().c_str());
  return kExitOk;
}

int release_manifest(const SupplyChainFlags& flags) {
  trust::ScanOptions scan;
  if (!flags.out.empty()) {
    if (const std::string own = inside(flags.root, flags.out); !own.empty()) {
      scan.exclude = {own, own + ".sig"};
    }
  }
  auto files = trust::scan_tree(flags.root, scan);
  if (!files) return fail(files.error().message);
  trust::Manifest manifest{
      std::string(version()), flags.commit.empty() ? trust::build_source_commit() : flags.commit,
      trust::build_compiler(), trust::build_debian_packages(), std::move(files.value())};
  auto text = trust::manifest_to_json(manifest);
  if (!text) return fail(text.error().message);
  return emit(*text, flags.out);
}

int release_sign(const SupplyChainFlags& flags) {
  auto key_text = trust::read_file(flags.key);
  if (!key_text) return fail(key_text.error().message);
  auto key = trust::parse_secret_key(*key_text);
  if (!key) return fail(flags.key + ": " + key.error().message);
  auto manifest = trust::read_file(flags.manifest);
  if (!manifest) return fail(manifest.error().message);
  // Signing something that is not a manifest would only fail later, at every installation.
  if (auto parsed = trust::parse_manifest(*manifest); !parsed) {
    return fail(flags.manifest + ": " + parsed.error().message);
  }
  const std::string out = flags.out.empty() ? flags.manifest + ".sig" : flags.out;
  if (auto written = write_file(out, trust::sign_manifest(*key, *manifest), 0644, false);
      !written) {
    return fail(written.error().message);
  }
  std::printf("signed %s with key %s: %s\n", flags.manifest.c_str(), key->public_key().id().c_str(),
              out.c_str());
  return kExitOk;
}

int verify(const SupplyChainFlags& flags) {
  const fs::path root = flags.root.empty() ? installation_root() : fs::path(flags.root);
  const std::string signature_path =
      flags.signature.empty() ? flags.manifest + ".sig" : flags.signature;
  auto key_text = trust::read_file(flags.pubkey);
  if (!key_text) return fail(key_text.error().message);
  auto key = trust::parse_public_key(*key_text);
  if (!key) return fail(flags.pubkey + ": " + key.error().message);
  auto manifest_text = trust::read_file(flags.manifest);
  if (!manifest_text) return fail(manifest_text.error().message);
  auto signature = trust::read_file(signature_path);
  if (!signature) return fail(signature.error().message);
  // Nothing in an unsigned manifest is worth reading: check the signature first.
  if (auto valid = trust::verify_manifest_signature(*key, *manifest_text, *signature); !valid) {
    return fail("signature check failed: " + valid.error().message);
  }
  auto manifest = trust::parse_manifest(*manifest_text);
  if (!manifest) return fail(flags.manifest + ": " + manifest.error().message);

  trust::ScanOptions scan;
  for (const std::string& own : {inside(root, flags.manifest), inside(root, signature_path)}) {
    if (!own.empty()) scan.exclude.push_back(own);
  }
  auto files = trust::scan_tree(root, scan);
  if (!files) return fail(files.error().message);
  const trust::TreeDiff diff = trust::diff_entries(manifest->files, *files);
  for (const auto& [label, paths] :
       {std::pair{"added", &diff.added}, std::pair{"missing", &diff.missing},
        std::pair{"changed", &diff.changed}}) {
    for (const auto& path : *paths) std::printf("%s: %s\n", label, printable(path).c_str());
  }
  std::fflush(stdout);
  if (!diff.empty()) {
    return fail("verify failed: " + root.string() + " differs from the signed manifest (" +
                std::to_string(diff.added.size()) + " added, " +
                std::to_string(diff.missing.size()) + " missing, " +
                std::to_string(diff.changed.size()) + " changed)");
  }
  std::printf("ok: %zu files in %s match the manifest of %s, signed with key %s\n",
              manifest->files.size(), root.c_str(), manifest->source_commit.c_str(),
              key->id().c_str());
  return kExitOk;
}

int sbom(const SupplyChainFlags& flags) {
  trust::SbomInput input{
      std::string(version()), trust::build_source_commit(), trust::build_debian_packages(), {}};
  if (!flags.npm_lock.empty()) {
    auto lock = trust::read_file(flags.npm_lock);
    if (!lock) return fail(lock.error().message);
    auto packages = trust::parse_package_lock(*lock);
    if (!packages) return fail(flags.npm_lock + ": " + packages.error().message);
    input.npm_packages = std::move(packages.value());
  }
  auto text = trust::make_cyclonedx_sbom(input);
  if (!text) return fail(text.error().message);
  return emit(*text, flags.out);
}

CLI::App* command(CLI::App& parent, const char* name, const char* description,
                  SupplyChainFlags& flags, int* exit_code, bool* ran,
                  int (*run)(const SupplyChainFlags&)) {
  CLI::App* added = parent.add_subcommand(name, description);
  added->callback([&flags, exit_code, ran, run] {
    *ran = true;
    *exit_code = run(flags);
  });
  return added;
}

}  // namespace

SupplyChainCommands::~SupplyChainCommands() = default;

SupplyChainCommands::SupplyChainCommands(CLI::App& app)
    : flags_(std::make_unique<SupplyChainFlags>()) {
  SupplyChainFlags& flags = *flags_;
  int* exit_code = &exit_code_;
  bool* ran = &ran_;

  CLI::App* release =
      app.add_subcommand("release", "Release engineering: signing key, manifest, signature");
  release->require_subcommand(1);
  command(*release, "keygen",
          "Create an Ed25519 release key pair: DIR/parley-release.key (secret, mode 0600) and "
          "DIR/parley-release.pub; never overwrites",
          flags, exit_code, ran, release_keygen)
      ->add_option("--out", flags.out, "Folder for the key files")
      ->required()
      ->type_name("DIR");
  CLI::App* manifest = command(
      *release, "manifest",
      "Write the JSON manifest of an installation tree: every file with SHA-256 and size, the "
      "source commit, compiler and Debian packages this binary was built with",
      flags, exit_code, ran, release_manifest);
  manifest->add_option("--root", flags.root, "Installation tree (e.g. the install prefix)")
      ->required()
      ->type_name("DIR");
  manifest
      ->add_option("--out", flags.out,
                   "Write here instead of stdout; left out of the manifest (and FILE.sig) when "
                   "inside the tree")
      ->type_name("FILE");
  manifest
      ->add_option("--commit", flags.commit,
                   "Source commit to record (default: the one embedded at build time)")
      ->type_name("SHA");
  CLI::App* sign =
      command(*release, "sign", "Sign a manifest with the release secret key; writes FILE.sig",
              flags, exit_code, ran, release_sign);
  sign->add_option("--key", flags.key, "Secret key file")->required()->type_name("FILE");
  sign->add_option("--manifest", flags.manifest, "Manifest to sign")->required()->type_name("FILE");
  sign->add_option("--out", flags.out, "Signature file (default: MANIFEST.sig)")->type_name("FILE");

  CLI::App* verify_command = command(
      app, "verify",
      "Check an installation against its signed manifest; names each added, missing or changed "
      "file and exits 1 on any difference or a bad signature",
      flags, exit_code, ran, verify);
  verify_command
      ->add_option("--root", flags.root,
                   "Installation tree (default: the folder above this binary's folder)")
      ->type_name("DIR");
  verify_command->add_option("--manifest", flags.manifest, "Release manifest")
      ->required()
      ->type_name("FILE");
  verify_command
      ->add_option("--pubkey", flags.pubkey,
                   "Trusted release public key, obtained apart from the release itself")
      ->required()
      ->type_name("FILE");
  verify_command->add_option("--signature", flags.signature, "Signature (default: MANIFEST.sig)")
      ->type_name("FILE");

  CLI::App* sbom_command =
      command(app, "sbom",
              "Print the CycloneDX 1.5 bill of materials: the Debian packages recorded at build "
              "time and, with --npm-lock, the npm packages of a package-lock.json",
              flags, exit_code, ran, sbom);
  sbom_command->add_option("--npm-lock", flags.npm_lock, "package-lock.json of the web app")
      ->type_name("FILE");
  sbom_command->add_option("--out", flags.out, "Write here instead of stdout")->type_name("FILE");
}

}  // namespace parley::app
