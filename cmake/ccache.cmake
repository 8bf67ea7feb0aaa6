find_program(PARLEY_CCACHE ccache)
if(PARLEY_CCACHE)
  # Paths relative to the source tree and no working-directory hash, so that a fresh clone in
  # another folder (as CI makes) still hits the cache.
  # ccache leaves -ffile-prefix-map out of its hash, so it would serve objects built with other
  # maps (cmake/reproducible.cmake); the namespace keeps them apart. Bump it when the maps change.
  set(launcher env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
      CCACHE_NAMESPACE=parley-prefix-map-3 ${PARLEY_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
endif()
