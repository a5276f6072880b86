# `cmake --install` puts the libraries, their headers and a CMake package in
# place, so that an outside project can do
#   find_package(troupe CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE troupe::runtime)   # or ::http, ::services, ::net
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(troupe_exported
  troupe_config:config
  troupe_persistence:persistence
  troupe_net:net
  troupe_runtime:runtime
  troupe_actors:services
  troupe_http:http)
foreach(pair IN LISTS troupe_exported)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 target)
  list(GET pair 1 name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  install(TARGETS ${target} EXPORT troupeTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endforeach()

# Headers live next to their sources: <layer>/troupe/... -> include/troupe/...
foreach(layer cluster-config persistence net runtime actors http)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${layer}/troupe
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp"
          PATTERN "region_state.hpp" EXCLUDE # internal to the region actor
          PATTERN "etcd_agent_state.hpp" EXCLUDE # internal to the etcd agent
          PATTERN "http_client_impl.hpp" EXCLUDE) # internal to troupe_net
endforeach()

set(troupe_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
install(EXPORT troupeTargets NAMESPACE troupe:: DESTINATION ${troupe_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/troupeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/troupeConfig.cmake INSTALL_DESTINATION ${troupe_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/troupeConfig.cmake
              ${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/TroupeLibraryDependencies.cmake
        DESTINATION ${troupe_cmake_dir})
