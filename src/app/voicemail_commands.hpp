#pragma once
// `parley voicemail list EXT@DOMAIN`, `parley voicemail rm EXT@DOMAIN ID`,
// `parley voicemail pin EXT@DOMAIN DIGITS`, `parley voicemail limit EXT@DOMAIN N` and
// `parley user voicemail EXT@DOMAIN on|off`: the messages in a voicemail box, its menu PIN
// (argon2id-hashed before it reaches the store), its message limit and whether the box takes
// messages, from the shell (store/voicemail_store.hpp, decisions 0021 and 0029). A running
// `parley serve` follows a switched box within a second (the change counter).
//
// Must be constructed after AdminCommands (it adds to its `user` command).

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct VoicemailFlags;

class VoicemailCommands {
 public:
  explicit VoicemailCommands(CLI::App& app);
  ~VoicemailCommands();
  VoicemailCommands(const VoicemailCommands&) = delete;
  VoicemailCommands& operator=(const VoicemailCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<VoicemailFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
