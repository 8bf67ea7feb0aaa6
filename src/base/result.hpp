#pragma once
// Result<T>: the value of an operation that can fail in an expected way (bad input, I/O).
// A small stand-in for C++23 std::expected, which neither GCC 12 in C++20 mode nor clang 14
// offers. The data plane never throws; it returns one of these.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace parley {

// What went wrong, in words a log reader understands. `code` is free for the layer to use:
// protocol/sip puts the SIP status code to answer with there (400, 413, 505 ...).
struct Error {
  int code = 0;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(int code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace parley
