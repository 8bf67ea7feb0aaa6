#pragma once
// `parley admin …` and `parley token …`: web admin accounts and API tokens, from the shell.
//
//   parley admin add NAME [--tenant DOMAIN] [--role system|tenant] [--password P]
//   parley admin list | passwd NAME [--password P] | rm NAME
//   parley token add --tenant DOMAIN --name NAME     (prints the token once)
//   parley token list --tenant DOMAIN
//
// Like `parley tenant|user`, they open the data folder's database (a running server sees the
// change at the next request) and report errors as one line on stderr with exit code 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct AccessFlags;

class AccessCommands {
 public:
  explicit AccessCommands(CLI::App& app);
  ~AccessCommands();
  AccessCommands(const AccessCommands&) = delete;
  AccessCommands& operator=(const AccessCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<AccessFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
