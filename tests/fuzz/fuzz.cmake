# `make fuzz`: builds every libFuzzer target with clang straight from the sources (no CMake tree needed) in
# WORK_DIR, fuzzes each for SECONDS seconds (600 by default) and writes what ran to WORK_DIR/fuzz_summary.txt.
# (`make test` does not come here: it replays the saved inputs through replay_<target>, tests/fuzz/CMakeLists.txt.)
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DCLANGXX=clang++ [-DSECONDS=600] -P fuzz.cmake
# Targets: sync_decoder (every wire decoder on raw bytes), sync_push (a whole push from its payload,
# arbitrated by a real hub store), import_cqc / import_beds / import_homecare (the CSV importers).
if(NOT SECONDS)
  set(SECONDS 600)
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/obj)
execute_process(COMMAND ${CMAKE_COMMAND} -DMIGRATIONS_DIR=${SOURCE_DIR}/schema/migrations
                        -DOUTPUT=${WORK_DIR}/migrations_embedded.cc -P ${SOURCE_DIR}/schema/embed_migrations.cmake
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "embedding migrations failed")
endif()
file(GLOB schema_srcs ${SOURCE_DIR}/schema/src/*.cc)
set(sync_srcs ${SOURCE_DIR}/sync/src/wire.cc ${SOURCE_DIR}/sync/src/crypto.cc ${SOURCE_DIR}/sync/src/version.cc
              ${SOURCE_DIR}/sync/src/rows.cc)
# The hub storage is split by job over several files (hub_storage_sqlite.h).
file(GLOB hub_storage_srcs ${SOURCE_DIR}/sync/src/hub_storage_sqlite*.cc)
list(APPEND sync_srcs ${hub_storage_srcs})
# Every core source, as berth_core links them: a hand-kept list broke the link each time an importer
# began to call a new core file.
file(GLOB core_srcs ${SOURCE_DIR}/app/core/src/*.cc)
# Fuzz builds are test builds: the test-only KDF keeps store creation cheap.
set(flags -std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -DBERTH_TEST_ONLY_KDF=1
          -DBERTH_ASSETS_DIR="${SOURCE_DIR}/assets" -I${SOURCE_DIR}/schema/include -I${SOURCE_DIR}/schema/src
          -I${SOURCE_DIR}/sync/include -I${SOURCE_DIR}/sync/src -I${SOURCE_DIR}/app/core/include
          -I${SOURCE_DIR}/app/core/src -I${SOURCE_DIR}/tests/fuzz)
function(compile_all out_var)
  set(objects)
  foreach(src IN LISTS ARGN)
    get_filename_component(name ${src} NAME_WE)
    set(obj ${WORK_DIR}/obj/${name}.o)
    if(NOT EXISTS ${obj} OR ${src} IS_NEWER_THAN ${obj})
      execute_process(COMMAND ${CLANGXX} ${flags} -fsanitize=fuzzer-no-link -c ${src} -o ${obj} RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "compiling ${src} for fuzzing failed")
      endif()
    endif()
    list(APPEND objects ${obj})
  endforeach()
  set(${out_var} ${objects} PARENT_SCOPE)
endfunction()
# Headers change too: rebuild every object when any header is newer than the summary of the last build.
file(GLOB_RECURSE headers ${SOURCE_DIR}/schema/*.h ${SOURCE_DIR}/sync/*.h ${SOURCE_DIR}/app/core/*.h
     ${SOURCE_DIR}/tests/fuzz/*.h)
foreach(h IN LISTS headers)
  if(EXISTS ${WORK_DIR}/obj/.built AND ${h} IS_NEWER_THAN ${WORK_DIR}/obj/.built)
    file(GLOB stale ${WORK_DIR}/obj/*.o)
    if(stale)
      file(REMOVE ${stale})
    endif()
    break()
  endif()
endforeach()
compile_all(schema_objs ${schema_srcs} ${WORK_DIR}/migrations_embedded.cc)
compile_all(sync_objs ${sync_srcs})
compile_all(core_objs ${core_srcs})
file(TOUCH ${WORK_DIR}/obj/.built)

set(libs -lsqlite3 -lsodium -lfmt -lzstd)
set(targets sync_decoder sync_push import_cqc import_beds import_homecare)
set(objs_sync_decoder ${schema_objs} ${sync_objs})
set(objs_sync_push ${schema_objs} ${sync_objs})
foreach(t import_cqc import_beds import_homecare)
  set(objs_${t} ${schema_objs} ${core_objs})
endforeach()
set(max_len_sync_decoder 4096)
set(max_len_sync_push 65536)
foreach(t import_cqc import_beds import_homecare)
  set(max_len_${t} 8192)
endforeach()

# Seeds for the sync targets, made by today's encoders (so they track protocol changes).
execute_process(COMMAND ${CLANGXX} ${flags} ${SOURCE_DIR}/tests/fuzz/make_sync_seeds.cc ${schema_objs} ${sync_objs}
                        ${libs} -fsanitize=fuzzer-no-link -o ${WORK_DIR}/make_sync_seeds
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building make_sync_seeds failed")
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/seeds_sync_decoder ${WORK_DIR}/seeds_sync_push)
execute_process(COMMAND ${WORK_DIR}/make_sync_seeds ${WORK_DIR}/seeds_sync_decoder ${WORK_DIR}/seeds_sync_push
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "making the sync seeds failed")
endif()

file(WRITE ${WORK_DIR}/fuzz_summary.txt "")
foreach(t IN LISTS targets)
  execute_process(COMMAND ${CLANGXX} ${flags} -fsanitize=fuzzer ${SOURCE_DIR}/tests/fuzz/fuzz_${t}.cc ${objs_${t}}
                          ${libs} -o ${WORK_DIR}/fuzz_${t}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "linking fuzz_${t} failed")
  endif()
  set(seed_dirs)
  if(EXISTS ${SOURCE_DIR}/tests/fuzz/corpus/${t})
    list(APPEND seed_dirs ${SOURCE_DIR}/tests/fuzz/corpus/${t})
  endif()
  if(EXISTS ${WORK_DIR}/seeds_${t})
    list(APPEND seed_dirs ${WORK_DIR}/seeds_${t})
  endif()
  file(MAKE_DIRECTORY ${WORK_DIR}/corpus_${t})
  execute_process(COMMAND ${WORK_DIR}/fuzz_${t} -max_total_time=${SECONDS} -rss_limit_mb=2048
                          -max_len=${max_len_${t}} -print_final_stats=1 ${WORK_DIR}/corpus_${t} ${seed_dirs}
                  RESULT_VARIABLE rc ERROR_VARIABLE log OUTPUT_VARIABLE out)
  string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second" done "${log}")
  file(APPEND ${WORK_DIR}/fuzz_summary.txt "fuzz_${t}: ${done}\n")
  message(STATUS "fuzz_${t}: ${done}")
  if(NOT rc EQUAL 0)
    message("${log}")
    message(FATAL_ERROR "fuzz_${t} found a crash or a broken invariant (the input is in ${WORK_DIR}; log above)")
  endif()
endforeach()
