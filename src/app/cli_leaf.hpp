#pragma once
// Private to app/: CLI11 behind the one warning it trips in g++ 12, and the shape every admin
// subcommand shares — a leaf command with --data whose callback runs `run` on the parsed flags
// and records its exit code — with the plumbing their callbacks share: the error line, opening
// the store, resolving a NUMBER@DOMAIN argument and the tenants a list command covers.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <CLI/CLI.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/serve.hpp"
#include "base/result.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

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

// Prints "parley: `message`" on stderr and returns kExitRuntimeError, the exit code of a
// command that was understood but could not be done.
int cli_fail(const std::string& message);

// The SQLite store of the data folder `data_dir` (created when missing).
Result<std::unique_ptr<store::sqlite::SqliteStore>> open_cli_store(const std::string& data_dir);

// The store, tenant and number a `NUMBER@DOMAIN` argument names.
struct CliTarget {
  std::unique_ptr<store::sqlite::SqliteStore> db;
  store::Tenant tenant;
  std::string number;
};

// Checks `address` (NUMBER@DOMAIN; `example` is shown when it is malformed), then opens the store
// of `data_dir` and finds the tenant. The address is checked first so that a typo creates no data
// folder.
Result<CliTarget> open_cli_target(const std::string& data_dir, const std::string& address,
                                  std::string_view example);

// Checks the part before '@' of an address.
using CliAddressCheck = Result<void> (*)(std::string_view);

// The same for an address of another form, e.g. NAME@DOMAIN of an IVR menu: `form` is its
// spelling in the error ("NAME@DOMAIN") and `check` vets the part before '@' (CliTarget::number).
Result<CliTarget> open_cli_target(const std::string& data_dir, const std::string& address,
                                  std::string_view example, std::string_view form,
                                  CliAddressCheck check);

// Every tenant, or only the one whose domain is `domain` when it is not empty (the optional
// DOMAIN filter of the list commands).
Result<std::vector<store::Tenant>> cli_tenants(store::sqlite::SqliteStore& db,
                                               const std::string& domain);

// The loop of the list commands: for every tenant of `domain` (all when empty), `rows(db,
// tenant)` reads the tenant's rows (a Result of a container) and `print(tenant, row)` prints
// each. Any failure is one error line and kExitRuntimeError.
template <typename Rows, typename Print>
int list_per_tenant(const std::string& data_dir, const std::string& domain, Rows rows,
                    Print print) {
  auto db = open_cli_store(data_dir);
  if (!db) return cli_fail(db.error().message);
  auto tenants = cli_tenants(**db, domain);
  if (!tenants) return cli_fail(tenants.error().message);
  for (const auto& tenant : *tenants) {
    auto listed = rows(**db, tenant);
    if (!listed) return cli_fail(listed.error().message);
    for (const auto& row : *listed) print(tenant, row);
  }
  return kExitOk;
}

}  // namespace parley::app
