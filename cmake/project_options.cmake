# Warnings and sanitizers as INTERFACE targets, so each target opts in and nothing leaks globally.
add_library(wipeout_warnings INTERFACE)
target_compile_options(wipeout_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(WIPEOUT_WARNINGS_AS_ERRORS)
  target_compile_options(wipeout_warnings INTERFACE -Werror)
endif()

add_library(wipeout_sanitizers INTERFACE)
if(WIPEOUT_SANITIZE)
  target_compile_options(wipeout_sanitizers INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all
                                                      -fno-omit-frame-pointer)
  target_link_options(wipeout_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
