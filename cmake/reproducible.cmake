# Reproducible builds: two builds of one commit, in two folders, with or without ccache, give
# bit-identical binaries (scripts/check-reproducible.sh proves it). Nothing that differs between
# those builds may reach an object file or archive:
# - Absolute paths (__FILE__ in PARLEY_CHECK messages, DWARF file names and compilation folder)
#   are mapped to paths relative to the source tree: "/src/tree/src/x.cpp" -> "./src/x.cpp".
#   ccache (cmake/ccache.cmake sets CCACHE_BASEDIR) hands the compiler paths it already made
#   relative to the build folder ("../../src/x.cpp"); the second map turns those into the same
#   "./src/x.cpp", so a cached and an uncached build agree. Generated sources in the build folder
#   map to their bare path inside it ("src/trust/generated/x.cpp"), which is also what ccache
#   makes of them.
#   ccache leaves these options out of its hash: when changing them, bump CCACHE_NAMESPACE in
#   cmake/ccache.cmake, or ccache serves objects built with the old maps.
# - Archive member timestamps, uids and modes: 'D' (deterministic) for ar and ranlib.
# - The clock: no __DATE__/__TIME__ in the sources; scripts/check-reproducible.sh sets
#   SOURCE_DATE_EPOCH from the commit in case a dependency's header uses them.
add_compile_options("-ffile-prefix-map=${PROJECT_SOURCE_DIR}/=./")
if(NOT PROJECT_BINARY_DIR STREQUAL PROJECT_SOURCE_DIR)
  file(RELATIVE_PATH parley_source_from_build "${PROJECT_BINARY_DIR}" "${PROJECT_SOURCE_DIR}")
  string(REGEX REPLACE "/+$" "" parley_source_from_build "${parley_source_from_build}")
  # The build folder itself (DWARF's compilation folder) becomes ".": ccache shares objects
  # between build folders (CCACHE_NOHASHDIR), so its name must not reach them. The more specific
  # "${PROJECT_BINARY_DIR}/" map wins for the files inside it.
  add_compile_options("-ffile-prefix-map=${parley_source_from_build}/=./"
                      "-ffile-prefix-map=${PROJECT_BINARY_DIR}=."
                      "-ffile-prefix-map=${PROJECT_BINARY_DIR}/=")
endif()
foreach(lang C CXX)
  set(CMAKE_${lang}_ARCHIVE_CREATE "<CMAKE_AR> qcD <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${lang}_ARCHIVE_APPEND "<CMAKE_AR> qD <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${lang}_ARCHIVE_FINISH "<CMAKE_RANLIB> -D <TARGET>")
endforeach()
