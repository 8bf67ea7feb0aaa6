#pragma once
// IVR menus and schedules from the shell (store/ivr_store.hpp, decision 0022):
//
//   parley ivr add NAME@DOMAIN [--number N] [--greeting TEXT | --audio PATH] [--timeout S]
//                              [--attempts N] [--fallback DEST] [--direct-dial]
//   parley ivr set NAME@DOMAIN [same options; only those given change] [--no-direct-dial]
//   parley ivr option NAME@DOMAIN DIGIT DEST      (DEST "-" removes the digit's option)
//   parley ivr list [DOMAIN]
//   parley ivr rm NAME@DOMAIN
//   parley schedule add|set NAME@DOMAIN [--number N] [--zone Europe/Berlin]
//                   [--hours "mon-fri 09:00-17:00"] [--holidays "2026-12-25"] --open DEST
//                   --closed DEST
//   parley schedule list [DOMAIN]
//   parley schedule rm NAME@DOMAIN
//
// DEST is a number of the tenant, menu:NAME, schedule:NAME, voicemail:BOX or hangup. A running
// `parley serve` notices every change within a second (the store's change counter) and speaks a
// new greeting text then (espeak-ng, cached in <data>/prompts). Errors give one line on stderr
// and exit 1.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct IvrFlags;

class IvrCommands {
 public:
  explicit IvrCommands(CLI::App& app);
  ~IvrCommands();
  IvrCommands(const IvrCommands&) = delete;
  IvrCommands& operator=(const IvrCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<IvrFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
