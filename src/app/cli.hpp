#pragma once
// The command line: `parley --version`, `parley --help`, `parley serve [flags]`.

namespace parley::app {

// Parses the arguments, runs the chosen subcommand and returns the process exit code
// (kExitOk, kExitRuntimeError or kExitUsage from serve.hpp). Messages go to stdout (help,
// version) or stderr (errors, one line each).
int run_cli(int argc, const char* const* argv);

}  // namespace parley::app
