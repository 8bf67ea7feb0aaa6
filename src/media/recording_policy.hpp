#pragma once
// RecordingPolicy: whether a new call is recorded from its start, and whether its parties may
// switch recording on and off during the call (the on-demand feature code,
// docs/feature-codes.md). The app implements it from the store's tenant and extension policy
// (store/recording_store.hpp); media knows only the answer.
//
// Thread-safety: decide() is called on every worker loop and must be safe for that and must not
// block (answer from memory).

#include "sip/call_media.hpp"

namespace parley::media {

struct RecordingDecision {
  bool record = false;     // record from the first packet
  bool on_demand = false;  // the feature code may start and stop recording
};

class RecordingPolicy {
 public:
  virtual ~RecordingPolicy() = default;
  virtual RecordingDecision decide(const sip::CallMediaInfo& call) const = 0;
};

}  // namespace parley::media
