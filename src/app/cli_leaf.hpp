#pragma once
// Private to app/: CLI11 behind the one warning it trips in g++ 12, and the shape every admin
// subcommand shares — a leaf command with --data whose callback runs `run` on the parsed flags
// and records its exit code.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace parley::app {

// `Flags` needs a `data_dir` string; `flags`, `exit_code` and `ran` must outlive parsing.
template <typename Flags>
CLI::App* leaf(CLI::App& parent, const char* name, const char* description, Flags& flags,
               int* exit_code, bool* ran, int (*run)(const Flags&)) {
  CLI::App* command = parent.add_subcommand(name, description);
  command->add_option("--data", flags.data_dir, "Data directory (default: var)")->type_name("DIR");
  command->callback([&flags, exit_code, ran, run] {
    *ran = true;
    *exit_code = run(flags);
  });
  return command;
}

}  // namespace parley::app
