# Writes build_info.h at build time (cmake -P), so `dateline --version` names
# the commit that was built, not the one CMake was configured at. Inputs:
#   SRC  source dir   OUT  header to write   TEMPLATE  build_info.h.in
#   PROJECT_VERSION, CMAKE_C_COMPILER_ID, CMAKE_C_COMPILER_VERSION
#   DL_GIT_DESCRIBE  fixed value (Docker builds without .git), else git describe
if(NOT DL_GIT_DESCRIBE)
    find_package(Git QUIET)
    if(GIT_FOUND AND EXISTS ${SRC}/.git)
        execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
                        WORKING_DIRECTORY ${SRC}
                        OUTPUT_VARIABLE DL_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE
                        ERROR_QUIET)
    endif()
    if(NOT DL_GIT_DESCRIBE)
        set(DL_GIT_DESCRIBE "unknown")
    endif()
endif()
# configure_file rewrites OUT only when its content changes: no rebuild otherwise.
configure_file(${TEMPLATE} ${OUT} @ONLY)
