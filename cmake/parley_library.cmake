# parley_library(NAME folder SOURCES ... DEPS ...)
# One folder = one library = one namespace. Each library exposes only src/ as include root,
# so includes read "protocol/sip/message.hpp"; the layer rule is kept by listing DEPS.
function(parley_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE parley_warnings ${ARG_PRIVATE_DEPS})
endfunction()
