add_library(parley_warnings INTERFACE)
target_compile_options(parley_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough -Werror=return-type)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(parley_warnings INTERFACE -Wthread-safety)
endif()
