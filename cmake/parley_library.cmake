# parley_library(NAME SOURCES ... DEPS ... PRIVATE_DEPS ...)
# One folder = one library = one namespace. Each library exposes only src/ as include root,
# so includes read "protocol/sip/message.hpp"; the layer rule is kept by listing DEPS.
function(parley_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    # A layer whose sources have not landed yet still configures.
    set(placeholder ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cpp)
    file(WRITE ${placeholder} "// no sources yet\n")
    set(ARG_SOURCES ${placeholder})
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE parley_warnings ${ARG_PRIVATE_DEPS})
endfunction()
