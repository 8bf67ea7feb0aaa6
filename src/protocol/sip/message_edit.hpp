#pragma once
// Edits of a parsed Message that keep it parsed, for the hot path that would otherwise parse the
// edited bytes again (decision 0044).

#include <cstddef>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "protocol/sip/message.hpp"

namespace parley::protocol::sip {

// Replaces the value of header field number `index` (an index into message.headers()) with
// `value`, moving every later byte and every view into them, as if the edited bytes had been
// parsed. The caller must give a value that parses as the same header (the transport's Via
// stamp adds `received` and fills `rport`); for the top Via the branch is read again from it.
// Fails, changing nothing, for an index out of range, an empty value (it has no extent to
// replace), a message that would pass 4 GiB, or a top Via value that no longer parses.
Result<void> replace_field_value(Message& message, std::size_t index, std::string_view value);

// replace_field_value for the top Via (field `index`) when the caller built `value` itself and
// knows where its branch parameter's value is (`branch`, offset and length within `value`;
// nullopt: no branch): the value is not parsed again, which was a third parse of the Via for
// every request received (decision 0049). The caller guarantees that `value` parses as a Via.
// Fails, changing nothing, in the cases above or when `branch` lies outside `value`.
Result<void> replace_top_via_value(Message& message, std::size_t index, std::string_view value,
                                   std::optional<Span> branch);

}  // namespace parley::protocol::sip
