#pragma once
// `parley tenant …` and `parley user …`: administration of the data folder from the shell.
//
// They open the same SQLite file as `parley serve` (which may be running; it notices changes
// within a second) and print one clear line on stderr with a non-zero exit code on error.

#include <cstdio>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace parley::app {

struct AdminFlags;

// Registers the subcommands on a CLI11 app and keeps their flags; must outlive app.parse().
// After parsing, exit_code() holds the code of the command that ran (if one of ours ran).
class AdminCommands {
 public:
  explicit AdminCommands(CLI::App& app);
  ~AdminCommands();
  AdminCommands(const AdminCommands&) = delete;
  AdminCommands& operator=(const AdminCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<AdminFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

// A strong random password: 20 characters from a 56-letter alphabet without look-alikes
// (about 116 bits), from the kernel's random source.
std::string generate_password();

}  // namespace parley::app
