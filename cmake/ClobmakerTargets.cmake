# Shared build settings and the helpers every CMakeLists.txt in the tree uses.

# The warning set for our own code. Generated protobuf code and third-party headers are
# included as SYSTEM, so they never trip it.
add_library(clobmaker_warnings INTERFACE)
add_library(clobmaker::warnings ALIAS clobmaker_warnings)
target_compile_options(clobmaker_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2
  -Wmissing-declarations -Wunused
  # Designated initializers that name only some fields are intended (the rest keep defaults).
  -Wno-missing-field-initializers)
if(CLOBMAKER_WERROR)
  target_compile_options(clobmaker_warnings INTERFACE -Werror)
endif()

option(CLOBMAKER_FUZZ "Build libFuzzer targets (needs clang)" OFF)
if(CLOBMAKER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CLOBMAKER_FUZZ needs clang (scripts/fuzz sets CC=clang-14 CXX=clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_custom_target(fuzzers)
endif()

# Sanitizers apply to everything we compile, so that instrumented and plain code never mix.
# Their builds (scripts/sanitize: -O1) see -Wmaybe-uninitialized false positives in std::optional
# that -O2 does not; the default build keeps the warning as an error.
if(NOT CLOBMAKER_SANITIZE STREQUAL "")
  add_compile_options(-Wno-maybe-uninitialized)
endif()
if(CLOBMAKER_SANITIZE STREQUAL "address")
  # -Wmismatched-new-delete: a false positive on Asio's awaitable frames (their operator new and
  # delete are a matched pair GCC 12 cannot follow through the recycling allocator under ASan).
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -Wno-mismatched-new-delete)
  add_link_options(-fsanitize=address,undefined)
elseif(CLOBMAKER_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  # GCC 12 warns (-Wtsan, an error under -Werror) that ThreadSanitizer does not model
  # std::atomic_thread_fence, which Asio's headers use. Asio's fences pair with atomics TSan does
  # see, and a report they cause would still name the racing frames, so the warning is off.
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-Wno-tsan CLOBMAKER_HAVE_WNO_TSAN)
  if(CLOBMAKER_HAVE_WNO_TSAN)
    add_compile_options(-Wno-tsan)
  endif()
elseif(NOT CLOBMAKER_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CLOBMAKER_SANITIZE must be '', 'address' or 'thread'")
endif()

# The sanitizer set (scripts/sanitize, run by scripts/test): the tests labelled `sanitize` (the
# multi-threaded libraries, every service's shell and process tests) and the binaries they start.
# A sanitizer build builds only this target, which keeps CI inside its time limit.
add_custom_target(sanitize_set)

# clobmaker_library(NAME <name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Declares clobmaker_<name> with alias clobmaker::<name>. Headers are included as
# "common/<lib>/file.h" or "services/<svc>/file.h" relative to the source root.
function(clobmaker_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(clobmaker_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(clobmaker::${ARG_NAME} ALIAS clobmaker_${ARG_NAME})
  target_include_directories(clobmaker_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(clobmaker_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE clobmaker::warnings ${ARG_PRIVATE_DEPS})
endfunction()

# clobmaker_executable(NAME <binary name> SOURCES ... DEPS ...): lands in build/bin/<name>.
function(clobmaker_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE clobmaker::warnings ${ARG_DEPS})
endfunction()

# clobmaker_test(NAME <name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s] [SANITIZE])
# A GoogleTest binary whose cases are registered with CTest one by one (discovered at test
# time, so building never runs test binaries). SANITIZE puts it in the sanitizer set.
function(clobmaker_test)
  cmake_parse_arguments(ARG "SANITIZE" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT CLOBMAKER_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${ARG_NAME} PRIVATE clobmaker::warnings ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    CLOBMAKER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CLOBMAKER_BINARY_DIR="${CMAKE_BINARY_DIR}"
    CLOBMAKER_NATS_SERVER="${NATS_SERVER_EXECUTABLE}")
  if(ARG_SANITIZE)
    list(APPEND ARG_LABELS sanitize)
    add_dependencies(sanitize_set ${ARG_NAME})
  endif()
  # gtest_discover_tests cannot pass a list of labels (the second becomes a property name of its
  # own), so several are joined into one, "integration,sanitize": ctest's -L and -LE are regular
  # expressions searched in each label, so -L integration, -L sanitize and -LE integration all work.
  list(JOIN ARG_LABELS "," labels)
  gtest_discover_tests(${ARG_NAME} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${labels}")
endfunction()

# clobmaker_benchmark(NAME <name> SOURCES ... DEPS ...): Google Benchmark binary in build/bench.
function(clobmaker_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT CLOBMAKER_BUILD_BENCHMARKS)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  target_link_libraries(${ARG_NAME} PRIVATE clobmaker::warnings ${ARG_DEPS} benchmark::benchmark)
endfunction()

# clobmaker_fuzzer(NAME <name> SOURCES ... DEPS ...): a libFuzzer target, built only in a fuzzing
# build (scripts/fuzz: clang-14, -DCLOBMAKER_FUZZ=ON). Lands in build-fuzz/fuzz/<name>.
function(clobmaker_fuzzer)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT CLOBMAKER_FUZZ)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  target_link_libraries(${ARG_NAME} PRIVATE clobmaker::warnings ${ARG_DEPS})
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzzers ${ARG_NAME})
endfunction()
