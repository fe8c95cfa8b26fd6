# Every external dependency is found here, once. See docs/dependencies.md for why each was chosen.
find_package(PkgConfig REQUIRED)

# msgpack-c (C++ part); its config creates the msgpackc-cxx target OpenDHT's config names.
find_package(msgpack CONFIG REQUIRED)

# Debian's opendhtConfig.cmake names targets it does not create (PkgConfig::Jsoncpp,
# PkgConfig::OPENSSL); create them first so that find_package(opendht) works.
pkg_check_modules(Jsoncpp REQUIRED IMPORTED_TARGET jsoncpp)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
find_package(opendht CONFIG REQUIRED)
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)

find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(GTest CONFIG REQUIRED)
find_package(Threads REQUIRED)
if(ELMO_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# OpenDHT's public headers include asio and msgpack; they are not ours to warn about.
set_target_properties(opendht PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "/usr/include")

# asio picks aligned_alloc or operator new for its handler memory depending on whether a
# standard header was included before it; translation units that disagree break the one
# definition rule (ASan: alloc-dealloc mismatch). One choice for every target, OpenDHT's
# includes included.
add_compile_definitions(ASIO_HAS_STD_ALIGNED_ALLOC=1)

# SQLite: the client SDK's persistent state (docs/client-sdk.md, "Persistence").
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
