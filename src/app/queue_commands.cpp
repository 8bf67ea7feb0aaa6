#include "app/queue_commands.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli_leaf.hpp"
#include "app/serve.hpp"
#include "store/call_queue_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/validation.hpp"

namespace parley::app {

// The settings options of `add` and `set`; `set` changes only those given (count() > 0).
struct QueueSettingOptions {
  CLI::Option* name = nullptr;
  CLI::Option* strategy = nullptr;
  CLI::Option* ring_timeout = nullptr;
  CLI::Option* wrap_up = nullptr;
  CLI::Option* max_wait = nullptr;
  CLI::Option* max_callers = nullptr;
  CLI::Option* fallback = nullptr;
  CLI::Option* announce = nullptr;
  CLI::Option* members = nullptr;
};

struct QueueFlags {
  std::string data_dir = "var";
  std::string address;  // NUMBER@DOMAIN
  std::string domain;   // list filter
  store::CallQueueConfig queue;
  std::vector<std::string> members;
  QueueSettingOptions set_options;
};

namespace {

Result<CliTarget> open_target(const QueueFlags& flags) {
  return open_cli_target(flags.data_dir, flags.address, "700@example.com");
}

std::string joined(const std::vector<std::string>& members) {
  std::string text;
  for (const auto& member : members) {
    if (!text.empty()) text += ',';
    text += member;
  }
  return text.empty() ? "-" : text;
}

int queue_add(const QueueFlags& flags) {
  // Checked before the store opens: a typo must not create a data folder.
  if (auto valid = store::check_call_queue_settings(flags.queue); !valid) {
    return cli_fail(valid.error().message);
  }
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  store::CallQueueConfig queue = flags.queue;
  queue.tenant_id = target->tenant.id;
  queue.number = target->number;
  queue.members = flags.members;
  auto added = target->db->add_call_queue(queue);
  if (!added) return cli_fail(added.error().message);
  std::printf("call queue %s@%s added: %s, members %s\n", added->number.c_str(),
              target->tenant.domain.c_str(), added->strategy.c_str(),
              joined(added->members).c_str());
  return kExitOk;
}

int queue_set(const QueueFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  auto queues = target->db->list_call_queues(target->tenant.id);
  if (!queues) return cli_fail(queues.error().message);
  store::CallQueueConfig* current = nullptr;
  for (auto& queue : *queues) {
    if (queue.number == target->number) current = &queue;
  }
  if (current == nullptr) {
    return cli_fail("no call queue " + target->number + " in " + target->tenant.domain);
  }
  const QueueSettingOptions& given = flags.set_options;
  const store::CallQueueConfig& wanted = flags.queue;
  if (given.name->count() > 0) current->name = wanted.name;
  if (given.strategy->count() > 0) current->strategy = wanted.strategy;
  if (given.ring_timeout->count() > 0) current->ring_timeout_s = wanted.ring_timeout_s;
  if (given.wrap_up->count() > 0) current->wrap_up_s = wanted.wrap_up_s;
  if (given.max_wait->count() > 0) current->max_wait_s = wanted.max_wait_s;
  if (given.max_callers->count() > 0) current->max_callers = wanted.max_callers;
  if (given.fallback->count() > 0) current->fallback = wanted.fallback;
  if (given.announce->count() > 0) current->announce_s = wanted.announce_s;
  if (auto updated = target->db->update_call_queue(*current); !updated) {
    return cli_fail(updated.error().message);
  }
  if (given.members->count() > 0) {
    auto members =
        target->db->set_call_queue_members(target->tenant.id, target->number, flags.members);
    if (!members) return cli_fail(members.error().message);
  }
  std::printf("call queue %s@%s changed\n", target->number.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

int queue_members(const QueueFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  auto set = target->db->set_call_queue_members(target->tenant.id, target->number, flags.members);
  if (!set) return cli_fail(set.error().message);
  std::printf("call queue %s@%s members: %s\n", target->number.c_str(),
              target->tenant.domain.c_str(), joined(flags.members).c_str());
  return kExitOk;
}

int queue_list(const QueueFlags& flags) {
  return list_per_tenant(
      flags.data_dir, flags.domain,
      [](store::sqlite::SqliteStore& db, const store::Tenant& tenant) {
        return db.list_call_queues(tenant.id);
      },
      [&](const store::Tenant& tenant, const auto& queue) {
        std::printf("%s@%s\t%s\t%s\t%u\t%u\t%u\t%u\t%u\t%s\t%s\n", queue.number.c_str(),
                    tenant.domain.c_str(), queue.name.c_str(), queue.strategy.c_str(),
                    queue.ring_timeout_s, queue.wrap_up_s, queue.max_wait_s, queue.max_callers,
                    queue.announce_s, queue.fallback.empty() ? "-" : queue.fallback.c_str(),
                    joined(queue.members).c_str());
      });
}

int queue_rm(const QueueFlags& flags) {
  auto target = open_target(flags);
  if (!target) return cli_fail(target.error().message);
  if (auto removed = target->db->remove_call_queue(target->tenant.id, target->number); !removed) {
    return cli_fail(removed.error().message);
  }
  std::printf("call queue %s@%s removed\n", target->number.c_str(), target->tenant.domain.c_str());
  return kExitOk;
}

QueueSettingOptions add_setting_options(CLI::App& command, QueueFlags& flags) {
  store::CallQueueConfig& queue = flags.queue;
  QueueSettingOptions options;
  options.name = command.add_option("--name", queue.name, "Display name");
  options.strategy = command.add_option("--strategy", queue.strategy,
                                        "ring-all (default), round-robin or longest-idle");
  options.ring_timeout = command
                             .add_option("--ring-timeout", queue.ring_timeout_s,
                                         "Seconds an agent rings per offer, 5-300 (default 15)")
                             ->type_name("S");
  options.wrap_up = command
                        .add_option("--wrap-up", queue.wrap_up_s,
                                    "Seconds an agent rests after a queue call (default 0)")
                        ->type_name("S");
  options.max_wait =
      command
          .add_option("--max-wait", queue.max_wait_s,
                      "Seconds a caller waits before the fallback, 0 = for ever (default 300)")
          ->type_name("S");
  options.max_callers = command
                            .add_option("--max-callers", queue.max_callers,
                                        "Callers that may wait at once, 0 = no cap (default 20)")
                            ->type_name("N");
  options.fallback = command.add_option(
      "--fallback", queue.fallback,
      "After max wait or when full: empty = hang up, voicemail:BOX, or a number");
  options.announce =
      command
          .add_option("--announce", queue.announce_s,
                      "Seconds of music between \"you are caller number N\" announcements, "
                      "0 = off (default 30)")
          ->type_name("S");
  options.members = command
                        .add_option("--members", flags.members,
                                    "Member extensions in ring order, comma-separated")
                        ->delimiter(',');
  return options;
}

}  // namespace

QueueCommands::~QueueCommands() = default;

QueueCommands::QueueCommands(CLI::App& app) : flags_(std::make_unique<QueueFlags>()) {
  QueueFlags* flags = flags_.get();
  int* exit_code = &exit_code_;
  bool* ran = &ran_;
  CLI::App* queue = app.add_subcommand("queue", "Manage call queues");
  queue->require_subcommand(1);
  CLI::App* add = leaf(*queue, "add", "Add a call queue", *flags, exit_code, ran, queue_add);
  add->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN, e.g. 700@example.com")->required();
  add_setting_options(*add, *flags);
  CLI::App* set = leaf(*queue, "set", "Change a call queue's settings (only those given)", *flags,
                       exit_code, ran, queue_set);
  set->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  flags->set_options = add_setting_options(*set, *flags);
  CLI::App* members = leaf(*queue, "members", "Replace a call queue's member extensions", *flags,
                           exit_code, ran, queue_members);
  members->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")->required();
  members->add_option("EXTENSIONS", flags->members, "Member extensions in ring order");
  leaf(*queue, "list",
       "List call queues: number, name, strategy, ring timeout, wrap-up, max wait, max "
       "callers, announce interval, fallback, members",
       *flags, exit_code, ran, queue_list)
      ->add_option("DOMAIN", flags->domain, "Only this tenant");
  leaf(*queue, "rm", "Remove a call queue", *flags, exit_code, ran, queue_rm)
      ->add_option("ADDRESS", flags->address, "NUMBER@DOMAIN")
      ->required();
}

}  // namespace parley::app
