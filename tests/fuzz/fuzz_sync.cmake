# Builds tests/fuzz/fuzz_sync_decoder.cc with clang + libFuzzer (own objects, no CMake tree needed) and
# runs it briefly. Invoked by ctest: cmake -DSOURCE_DIR=... -DWORK_DIR=... -DCLANGXX=... -P fuzz_sync.cmake
set(srcs
  ${SOURCE_DIR}/tests/fuzz/fuzz_sync_decoder.cc
  ${SOURCE_DIR}/sync/src/wire.cc ${SOURCE_DIR}/sync/src/crypto.cc ${SOURCE_DIR}/sync/src/version.cc
  ${SOURCE_DIR}/schema/src/status.cc ${SOURCE_DIR}/schema/src/ids.cc ${SOURCE_DIR}/schema/src/secret.cc)
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(
  COMMAND ${CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
          -I${SOURCE_DIR}/sync/include -I${SOURCE_DIR}/sync/src -I${SOURCE_DIR}/schema/include ${srcs}
          -lsodium -lzstd -lfmt -o ${WORK_DIR}/fuzz_sync_decoder
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building fuzz_sync_decoder failed")
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/corpus_sync)
execute_process(COMMAND ${WORK_DIR}/fuzz_sync_decoder -max_total_time=20 -rss_limit_mb=1024 -max_len=4096
                        ${WORK_DIR}/corpus_sync
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzz_sync_decoder found a crash (see the output above)")
endif()
