# Version and git SHA compiled in, so every binary and every output file says where it came from.
find_package(Git QUIET)
set(WIPEOUT_GIT_SHA "unknown")
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE WIPEOUT_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _dirty ERROR_QUIET)
  if(_dirty)
    string(APPEND WIPEOUT_GIT_SHA "-dirty")
  endif()
  if(NOT WIPEOUT_GIT_SHA)
    set(WIPEOUT_GIT_SHA "unknown")
  endif()
  # Re-configure when HEAD moves, so the SHA stays true.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/.git/HEAD)
  if(EXISTS ${PROJECT_SOURCE_DIR}/.git/index)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/.git/index)
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in ${PROJECT_BINARY_DIR}/generated/include/wipeout/version.h @ONLY)
