# ASan + UBSan as an INTERFACE target; every tenantsync target links it, so a
# sanitized build covers the library, the tools and the tests alike.
add_library(tenantsync_sanitizers INTERFACE)
if(TENANTSYNC_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(tenantsync_sanitizers INTERFACE ${_san})
  target_link_options(tenantsync_sanitizers INTERFACE ${_san})
endif()
