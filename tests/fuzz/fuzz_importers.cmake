# Builds the CSV importer fuzz targets (fuzz_import_cqc / _beds / _homecare) with clang + libFuzzer in
# WORK_DIR, straight from the sources (no CMake tree needed), and runs each for SECONDS seconds.
# Invoked by ctest: cmake -DSOURCE_DIR=... -DWORK_DIR=... -DCLANGXX=... [-DSECONDS=15] -P fuzz_importers.cmake
if(NOT SECONDS)
  set(SECONDS 15)
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/obj)
execute_process(COMMAND ${CMAKE_COMMAND} -DMIGRATIONS_DIR=${SOURCE_DIR}/schema/migrations
                        -DOUTPUT=${WORK_DIR}/migrations_embedded.cc -P ${SOURCE_DIR}/schema/embed_migrations.cmake
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "embedding migrations failed")
endif()
# Every schema and core source, as berth_core links them: a hand-kept list broke the link each time an
# importer began to call a new core file.
file(GLOB schema_srcs ${SOURCE_DIR}/schema/src/*.cc)
file(GLOB core_srcs ${SOURCE_DIR}/app/core/src/*.cc)
set(common ${schema_srcs} ${WORK_DIR}/migrations_embedded.cc ${core_srcs})
set(flags -std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined
          -DBERTH_ASSETS_DIR="${SOURCE_DIR}/assets" -I${SOURCE_DIR}/schema/include -I${SOURCE_DIR}/schema/src
          -I${SOURCE_DIR}/app/core/include -I${SOURCE_DIR}/app/core/src -I${SOURCE_DIR}/tests/fuzz)
set(objects)
foreach(src IN LISTS common)
  get_filename_component(name ${src} NAME_WE)
  set(obj ${WORK_DIR}/obj/${name}.o)
  execute_process(COMMAND ${CLANGXX} ${flags} -fsanitize=fuzzer-no-link -c ${src} -o ${obj} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "compiling ${src} for fuzzing failed")
  endif()
  list(APPEND objects ${obj})
endforeach()
foreach(target cqc beds homecare)
  execute_process(COMMAND ${CLANGXX} ${flags} -fsanitize=fuzzer ${SOURCE_DIR}/tests/fuzz/fuzz_import_${target}.cc
                          ${objects} -lsqlite3 -lsodium -lfmt -o ${WORK_DIR}/fuzz_import_${target}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "linking fuzz_import_${target} failed")
  endif()
  file(MAKE_DIRECTORY ${WORK_DIR}/corpus_${target})
  execute_process(COMMAND ${WORK_DIR}/fuzz_import_${target} -max_total_time=${SECONDS} -rss_limit_mb=2048
                          -max_len=8192 ${WORK_DIR}/corpus_${target} ${SOURCE_DIR}/tests/fuzz/corpus/${target}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fuzz_import_${target} found a crash or a broken invariant (see the output above)")
  endif()
endforeach()
