#pragma once
// The supply-chain commands (docs/security.md explains how to use them for a release):
//   parley release keygen --out DIR                  Ed25519 release key pair
//   parley release manifest --root DIR [--out FILE]  manifest of an installation tree
//   parley release sign --key FILE --manifest FILE   detached signature FILE.sig
//   parley verify [--root DIR] --manifest M --pubkey K
//                                                    check a tree against a signed manifest
//   parley sbom [--npm-lock FILE]                    CycloneDX 1.5 bill of materials
// Results go to stdout, errors to stderr as one line "parley: ...". Exit codes as in serve.hpp:
// `parley verify` exits 1 on a bad signature or on any added, missing or changed file.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct SupplyChainFlags;

// Registers the subcommands on a CLI11 app and keeps their flags; must outlive app.parse().
// After parsing, exit_code() holds the code of the command that ran (if one of ours ran).
class SupplyChainCommands {
 public:
  explicit SupplyChainCommands(CLI::App& app);
  ~SupplyChainCommands();
  SupplyChainCommands(const SupplyChainCommands&) = delete;
  SupplyChainCommands& operator=(const SupplyChainCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<SupplyChainFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
