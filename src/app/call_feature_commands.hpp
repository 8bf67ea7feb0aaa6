#pragma once
// Call forwarding, do-not-disturb and ring groups from the shell (store/call_feature_store.hpp):
//
//   parley user forward EXT@DOMAIN [--always X] [--busy X] [--no-answer X [--after S]]
//                                  [--unregistered X]
//   parley user forward EXT@DOMAIN --clear [always|busy|no-answer|unregistered|all]
//   parley user dnd EXT@DOMAIN on|off
//   parley user show EXT@DOMAIN
//   parley ringgroup add NUMBER@DOMAIN --strategy ring-all|hunt [--name N] [--members 1001,1002]
//                                      [--member-timeout S] [--final X]
//   parley ringgroup list [DOMAIN]
//   parley ringgroup rm NUMBER@DOMAIN
//   parley ringgroup members NUMBER@DOMAIN 1001,1003
//
// X is a destination in store::parse_destination()'s text form (1001, voicemail,
// voicemail:1001, +4930123456, external:0049..., and for --final also hangup). A running
// `parley serve` notices every change within a second (the store's change counter). Errors give
// one line on stderr and exit code 1.
//
// Must be constructed after AdminCommands (it adds to its `user` command).

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct CallFeatureFlags;

class CallFeatureCommands {
 public:
  explicit CallFeatureCommands(CLI::App& app);
  ~CallFeatureCommands();
  CallFeatureCommands(const CallFeatureCommands&) = delete;
  CallFeatureCommands& operator=(const CallFeatureCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<CallFeatureFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
