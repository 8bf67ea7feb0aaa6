#pragma once
// Call pickup groups from the shell (store/pickup_group_store.hpp, decision 0031):
//
//   parley pickupgroup add NAME@DOMAIN [--members 1001,1002]
//   parley pickupgroup members NAME@DOMAIN [EXT ...]   (replaces the list; none = empty)
//   parley pickupgroup list [DOMAIN]
//   parley pickupgroup rm NAME@DOMAIN
//
// A member that dials *8 answers the call that has rung longest at another member of any of
// its groups. A running `parley serve` notices every change within a second (the store's
// change counter). `list` prints one tab-separated line per group: NAME@DOMAIN and its members
// comma-separated ("-" = none). Errors give one line on stderr and exit 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct PickupGroupFlags;

class PickupGroupCommands {
 public:
  explicit PickupGroupCommands(CLI::App& app);
  ~PickupGroupCommands();
  PickupGroupCommands(const PickupGroupCommands&) = delete;
  PickupGroupCommands& operator=(const PickupGroupCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<PickupGroupFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
