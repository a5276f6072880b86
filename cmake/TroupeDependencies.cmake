# Finds the Debian-packaged dependencies: those of the libraries (also
# installed with the package), then those of the troupe binary only.
include(TroupeLibraryDependencies)
find_package(CLI11 CONFIG REQUIRED)

# jemalloc: glibc's allocator takes its slow path for the ~1 KB strings every
# paste copies (above the per-thread cache limit); jemalloc served 17-23%
# more creates and ~5% more reads in the benchmarks. Sanitizer builds keep
# their own allocator.
if(TROUPE_JEMALLOC)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
endif()
