find_program(PARLEY_CCACHE ccache)
if(PARLEY_CCACHE)
  # Paths relative to the source tree and no working-directory hash, so that a fresh clone in
  # another folder (as CI makes) still hits the cache.
  set(launcher env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1 ${PARLEY_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
endif()
