#pragma once
// The "queue:<number>" application (decision 0023): a caller of a call queue waits here hearing
// music on hold, in the tenant's queue (QueueCenter) of that number. Every kPollInterval the
// session asks the center what to do: keep waiting; ring the agents of an offer (the session
// asks the B2BUA to redirect the caller to the first agent, whose plan rings them all; the music
// goes on while they ring); or leave for the queue's fallback (hang up, "voicemail:<box>", or a
// number) after the maximum wait, or at once when the queue is full. When an agent answers, the
// B2BUA bridges the caller to the agent and this session ends. While waiting the caller hears
// its place in line ("You are caller number N", the queue's announce interval) over a pause in
// the music.
//
// Thread-safety: a session lives on its call's worker loop; the maker may run on any loop.

#include <chrono>
#include <memory>

#include "app/applications.hpp"
#include "app/queue_center.hpp"
#include "media/audio_player.hpp"
#include "media/prompt_library.hpp"
#include "pbx/dial_plan.hpp"

namespace parley::app {

inline constexpr std::chrono::milliseconds kQueuePollInterval{250};

// `center` outlives every session (PbxCore owns it); `live` says which agents can ring;
// `prompts` (may be null: no announcements) speaks the caller's position and outlives them too.
ApplicationMaker queue_maker(QueueCenter& center, std::shared_ptr<const pbx::LiveState> live,
                             std::shared_ptr<const media::AudioClip> music,
                             const media::PromptLibrary* prompts);

}  // namespace parley::app
