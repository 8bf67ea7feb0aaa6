#pragma once
// Conference rooms from the shell (store/conference_store.hpp):
//
//   parley conference add NUMBER@DOMAIN [--name N] [--pin 1234] [--max 50]
//   parley conference list [DOMAIN]
//   parley conference rm NUMBER@DOMAIN
//
// A room's number must not be an extension or ring group of the tenant. A running `parley
// serve` notices every change within a second (the store's change counter). `list` prints one
// tab-separated line per room: NUMBER@DOMAIN, name, "pin" or "-", max participants (the PIN
// itself is not printed: whoever set it knows it). Errors give one line on stderr and exit 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct ConferenceFlags;

class ConferenceCommands {
 public:
  explicit ConferenceCommands(CLI::App& app);
  ~ConferenceCommands();
  ConferenceCommands(const ConferenceCommands&) = delete;
  ConferenceCommands& operator=(const ConferenceCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<ConferenceFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
