# Warnings for our own targets only (linked PRIVATE), never for dependencies.
add_library(tenantsync_warnings INTERFACE)
target_compile_options(tenantsync_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  -Wformat=2)
if(TENANTSYNC_WERROR)
  target_compile_options(tenantsync_warnings INTERFACE -Werror)
endif()
