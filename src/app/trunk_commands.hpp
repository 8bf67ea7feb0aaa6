#pragma once
// `parley trunk add|list|show|rm`, `parley did add|list|rm`, `parley route add|list|rm`,
// `parley user permissions EXT@DOMAIN [CLASSES]` and `parley tenant limits DOMAIN [flags]`:
// SIP trunks, inbound numbers, outbound routes and toll-fraud limits from the shell
// (store/trunk_store.hpp, store/routing_store.hpp, store/call_limits_store.hpp). A running
// `parley serve` notices a change within a second (the store's change counter).
//
// Errors are one line on stderr ("parley: no trunk main in tenant example.com") with exit code
// 1; usage errors (unknown flag, bad flag value) exit with 2.
//
// Must be constructed after AdminCommands (it adds to its `tenant` and `user` commands).

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct TrunkFlags;

class TrunkCommands {
 public:
  explicit TrunkCommands(CLI::App& app);
  ~TrunkCommands();
  TrunkCommands(const TrunkCommands&) = delete;
  TrunkCommands& operator=(const TrunkCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<TrunkFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
