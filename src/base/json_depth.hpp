#pragma once
// A guard every JSON reader puts before its parser: nlohmann (like most JSON libraries) recurses
// once per nesting level, so text such as a megabyte of '[' must be refused by a flat scan first.

#include <algorithm>
#include <string_view>

namespace parley {

// Deepest nesting of arrays and objects in `text`, counting brackets outside strings; stops
// counting (and returns max + 1) once past `max`. Malformed text gets a number too: the parser
// that runs next rejects it.
inline int json_depth(std::string_view text, int max) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > max) return max + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace parley
