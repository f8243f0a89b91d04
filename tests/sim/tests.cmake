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

# The functional model (host/src/model.c) against the Verilated core.
add_executable(check_model ${CMAKE_CURRENT_SOURCE_DIR}/sim/check_model.c)
target_include_directories(check_model PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(check_model PRIVATE tlpu_core_test_util PkgConfig::CHECK)
target_compile_definitions(check_model PRIVATE TLPU_TEST_DATA_DIR="${TLPU_TEST_DATA_DIR}")
add_test(NAME check_model COMMAND check_model)
set_tests_properties(check_model PROPERTIES LABELS "rtl" TIMEOUT 600)
