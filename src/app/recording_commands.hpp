#pragma once
// `parley tenant record DOMAIN on|off`, `parley user record EXT@DOMAIN always|never|inherit`
// and `parley recording list [--tenant D] [--extension E]`: call-recording policy and the list
// of recordings, from the shell (store/recording_store.hpp). A running `parley serve` applies a
// policy change to calls that start within a second.
//
// Must be constructed after AdminCommands (it adds to its `tenant` and `user` commands).

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct RecordingFlags;

class RecordingCommands {
 public:
  explicit RecordingCommands(CLI::App& app);
  ~RecordingCommands();
  RecordingCommands(const RecordingCommands&) = delete;
  RecordingCommands& operator=(const RecordingCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<RecordingFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
