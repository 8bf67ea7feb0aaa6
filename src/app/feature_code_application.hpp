#pragma once
// Feature codes carried out on calls (docs/feature-codes.md, decision 0028): a phone dials
// "*78", "*721003", "*73", ... and Parley answers, changes the caller's own do-not-disturb or
// forwarding in the store, says what it did ("Do not disturb is on.") and hangs up.
//
// The pieces, in the order a call meets them:
// - feature_code_plan(): the worker's routing asks it after the tenant-free applications (*43)
//   and before the tenant's dial plan. A do-not-disturb or forwarding code becomes the local
//   application "feature:<code as dialled>"; a known code with a bad number is refused 484, an
//   unknown code 404. Pickup codes (*8, **EXT) are not ours (decision 0024): nullopt.
// - The "feature" kind (FeatureCodeService::add_to): a session on the call's worker answers,
//   hands the change to the service and, once the service posted the outcome back to the
//   call's loop, plays the spoken confirmation (or "Sorry, that did not work.") and hangs up.
// - FeatureCodeService: its own store connection and one thread. The store is blocking SQLite,
//   so the change (apply_feature_code) never runs on a worker loop. The write moves the store's
//   change counter, so the running server's dial plan and presence hub pick it up the usual way
//   (PbxCore's maintenance thread, within a second).
//
// The action is always for the calling extension of the caller's tenant (the authenticated
// From user); the routing refuses codes from callers that are not extensions (403).
//
// Thread-safety: feature_code_plan() and apply_feature_code() are plain functions (the latter
// blocks on the store). FeatureCodeService: submit() and prompt() from any thread; open(),
// add_to() at start-up. Sessions live on their call's worker loop.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "app/applications.hpp"
#include "base/result.hpp"
#include "media/prompt_library.hpp"
#include "pbx/feature_code.hpp"
#include "sip/call_routing.hpp"
#include "store/call_feature_store.hpp"

namespace parley::net {
class WorkerPool;
}

namespace parley::app {

// The application kind of feature codes: "feature:*78".
inline constexpr std::string_view kFeatureCodeKind = "feature";

// What the caller hears afterwards.
enum class FeatureOutcome : std::uint8_t {
  kDndOn,
  kDndOff,
  kForwardSet,
  kForwardCleared,
  kFailed,
};

// The media::PromptLibrary standard-prompt key for `outcome` ("dnd_on", ..., "failed").
std::string_view prompt_key(FeatureOutcome outcome);

// The routing's answer for `dialled` (the Request-URI user part, unescaped): nullopt when it is
// no feature code or one carried out elsewhere (pickup); a plan with the application
// "feature:<dialled>" for do-not-disturb and forwarding codes; a refusal with 484 (a known code
// with a bad or missing number, "*72") or 404 (an unknown code, "*99").
std::optional<sip::CallPlan> feature_code_plan(std::string_view dialled);

// Carries out `code` (a do-not-disturb or forwarding action) for `extension` of `tenant`.
// Blocking: store reads and writes. The number after *72/*90/*52 is an extension or ring group
// of the tenant when one has it, otherwise an outside number (the store checks either). *52
// keeps a no-answer time set earlier (`parley user forward --after`). Errors are the store's
// (404 unknown extension, 400 a destination it refuses, such as the extension itself).
Result<FeatureOutcome> apply_feature_code(store::CallFeatureStore& store, store::TenantId tenant,
                                          std::string_view extension, const pbx::FeatureCode& code);

// One change for the service to make.
struct FeatureRequest {
  store::TenantId tenant = 0;
  std::string extension;
  pbx::FeatureCode code;
  std::string dialled;  // for logs
};

class FeatureCodeService {
  struct Key {};  // only open() constructs one

 public:
  // Runs on the calling worker's loop with the outcome.
  using Done = std::function<void(FeatureOutcome)>;
  // Requests waiting beyond this are refused at once (the caller hears the failure prompt).
  static constexpr std::size_t kMaxQueued = 256;

  // Opens a store connection of its own over `data_dir` and the prompt cache in
  // `<data_dir>/prompts`; starts the thread, which speaks the confirmation prompts while idle.
  static Result<std::unique_ptr<FeatureCodeService>> open(const std::filesystem::path& data_dir,
                                                          net::WorkerPool& pool);
  FeatureCodeService(Key key, std::unique_ptr<store::CallFeatureStore> store,
                     std::unique_ptr<media::PromptLibrary> prompts, net::WorkerPool& pool);
  // Carries out what is still queued, then joins the thread. Destroy before the worker pool.
  ~FeatureCodeService();
  FeatureCodeService(const FeatureCodeService&) = delete;
  FeatureCodeService& operator=(const FeatureCodeService&) = delete;

  // Queues `request`; its outcome is posted to `worker` as done(outcome). False when the queue
  // is full or the service stops (done is not called).
  bool submit(FeatureRequest request, std::size_t worker, Done done);

  // The spoken confirmation for `outcome`; null while it is not prepared (or espeak-ng failed).
  std::shared_ptr<const media::AudioClip> prompt(FeatureOutcome outcome) const;

  // Registers the "feature" kind.
  void add_to(Applications& applications);

 private:
  struct Job {
    FeatureRequest request;
    std::size_t worker = 0;
    Done done;
  };
  void run();
  void carry_out(Job& job);
  // Prepares the first confirmation prompt not yet in memory; false when none is left.
  bool prepare_next_prompt();

  std::unique_ptr<store::CallFeatureStore> store_;
  std::unique_ptr<media::PromptLibrary> prompts_;
  net::WorkerPool& pool_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;          // guarded by mutex_
  bool stopping_ = false;          // guarded by mutex_
  std::size_t prompts_tried_ = 0;  // service thread only
  std::thread thread_;             // last: starts after everything above exists
};

}  // namespace parley::app
