# Tests of the whole core through the simulator library (label rtl).
add_library(tlpu_core_test_util STATIC ${CMAKE_CURRENT_SOURCE_DIR}/sim/core_util.c)
target_include_directories(tlpu_core_test_util PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/sim)
target_link_libraries(tlpu_core_test_util PUBLIC tlpu_sim tlpu_host)

add_executable(check_core ${CMAKE_CURRENT_SOURCE_DIR}/sim/check_core.c)
target_include_directories(check_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(check_core PRIVATE tlpu_core_test_util PkgConfig::CHECK)
target_compile_definitions(check_core PRIVATE TLPU_TEST_DATA_DIR="${TLPU_TEST_DATA_DIR}")
add_test(NAME check_core COMMAND check_core)
set_tests_properties(check_core PROPERTIES LABELS "rtl" TIMEOUT 1800)

# The functional core model (host/src/fcore.c) against the Verilated core.
add_executable(check_fcore ${CMAKE_CURRENT_SOURCE_DIR}/sim/check_fcore.c)
target_include_directories(check_fcore PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(check_fcore PRIVATE tlpu_core_test_util PkgConfig::CHECK)
target_compile_definitions(check_fcore PRIVATE TLPU_TEST_DATA_DIR="${TLPU_TEST_DATA_DIR}")
add_test(NAME check_fcore COMMAND check_fcore)
set_tests_properties(check_fcore PROPERTIES LABELS "rtl" TIMEOUT 600)
