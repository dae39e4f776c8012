# Every third-party dependency is found here, once, from Debian 12's packages
# (scripts/install-deps installs them; docs/dependencies.md says why each is used).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)            # module mode: Debian ships no protobuf config
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(ZLIB REQUIRED)                # journal files (gzip)
# Debian's cnats CMake config points at a static library it does not ship: use pkg-config.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(clobmaker_rapidjson INTERFACE)
target_include_directories(clobmaker_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(clobmaker_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
add_library(clobmaker::rapidjson ALIAS clobmaker_rapidjson)
# Debian's RapidJSON 1.1.0 offsets a null pointer in internal::Stack on its first push (UB fixed
# upstream after 1.1.0, harmless in practice). Under UBSan that check is turned off for the
# translation units that use RapidJSON, and only that check.
function(clobmaker_rapidjson_sources)
  if(CLOBMAKER_FUZZ OR CLOBMAKER_SANITIZE STREQUAL "address")
    set_property(SOURCE ${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} APPEND PROPERTY COMPILE_OPTIONS -fno-sanitize=pointer-overflow)
  endif()
endfunction()

if(CLOBMAKER_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(CLOBMAKER_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

find_program(NATS_SERVER_EXECUTABLE nats-server PATHS /usr/sbin /usr/bin /usr/local/bin)
if(NOT NATS_SERVER_EXECUTABLE)
  set(NATS_SERVER_EXECUTABLE /usr/sbin/nats-server)
endif()
