# The Debian-packaged dependencies of troupe's libraries. Used by the build
# and installed with the CMake package (troupeConfig.cmake includes it), so
# that an outside project gets the same imported targets. CAF, LMDB and
# xxHash ship no CMake config on Debian 12: they are wrapped in imported
# targets here.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
# msgpack-cxx only ships a config named "msgpack"; MSGPACK_NO_BOOST drops
# its Boost.Preprocessor dependency with identical output.
find_package(msgpack 4 CONFIG REQUIRED)
find_package(tomlplusplus 3 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
# simdjson parses the hot create bodies (see http/troupe/http/fast_json.hpp).
find_package(simdjson CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)

function(troupe_import_library target header library)
  if(TARGET ${target})
    return()
  endif()
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${target}_LIBRARY ${library} REQUIRED)
  add_library(${target} UNKNOWN IMPORTED)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${${target}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE_DIR}")
endfunction()

troupe_import_library(caf_core caf/all.hpp caf_core)
troupe_import_library(caf_io caf/io/all.hpp caf_io)
set_property(TARGET caf_io PROPERTY INTERFACE_LINK_LIBRARIES caf_core)
troupe_import_library(lmdb lmdb.h lmdb)
troupe_import_library(xxhash xxhash.h xxhash)
# gumbo parses the crawler's HTML pages (actors/troupe/crawler/html.cpp).
troupe_import_library(gumbo gumbo.h gumbo)
