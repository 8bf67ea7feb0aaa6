#pragma once
// Call queues from the shell (store/call_queue_store.hpp, decision 0023):
//
//   parley queue add NUMBER@DOMAIN [--name N] [--strategy ring-all|round-robin|longest-idle]
//                    [--ring-timeout S] [--wrap-up S] [--max-wait S] [--max-callers N]
//                    [--fallback ""|voicemail:BOX|NUMBER] [--members 1001,1002]
//   parley queue set NUMBER@DOMAIN [the same options; only those given change]
//   parley queue members NUMBER@DOMAIN [EXT ...]     (replaces the list; none = empty)
//   parley queue list [DOMAIN]
//   parley queue rm NUMBER@DOMAIN
//
// A queue's number must not be an extension, ring group or room of the tenant. A running
// `parley serve` notices every change within a second (the store's change counter). `list`
// prints one tab-separated line per queue: NUMBER@DOMAIN, name, strategy, ring timeout, wrap-up,
// max wait, max callers, fallback ("-" = hang up), members comma-separated ("-" = none). Errors
// give one line on stderr and exit 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct QueueFlags;

class QueueCommands {
 public:
  explicit QueueCommands(CLI::App& app);
  ~QueueCommands();
  QueueCommands(const QueueCommands&) = delete;
  QueueCommands& operator=(const QueueCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<QueueFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
