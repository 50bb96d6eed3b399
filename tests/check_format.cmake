# Fails when a C++ file of Berth is not as .clang-format lays it out (`make format` fixes them all).
# Run with -DSOURCE_DIR=... -DCLANG_FORMAT=...
file(GLOB_RECURSE files ${SOURCE_DIR}/schema/*.h ${SOURCE_DIR}/schema/*.cc ${SOURCE_DIR}/sync/*.h ${SOURCE_DIR}/sync/*.cc
     ${SOURCE_DIR}/app/*.h ${SOURCE_DIR}/app/*.cc ${SOURCE_DIR}/tests/*.h ${SOURCE_DIR}/tests/*.cc)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files} RESULT_VARIABLE rc ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "not formatted as .clang-format says (run `make format`):\n${out}")
endif()
list(LENGTH files n)
message(STATUS "format ok: ${n} files checked")
