# The SystemC/TLM-2.0 platform's tests (label sc), included by tests/CMakeLists.txt.
# ---- the board as a SystemC/TLM-2.0 platform (label sc): sc: against sim: and its formulas
add_executable(check_sc ${CMAKE_CURRENT_SOURCE_DIR}/sc/check_sc.c)
target_include_directories(check_sc PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit ${CMAKE_CURRENT_SOURCE_DIR}/sc)
target_link_libraries(check_sc PRIVATE tlpu_driver PkgConfig::CHECK m)
target_compile_definitions(check_sc PRIVATE TLPU_TEST_DATA_DIR="${TLPU_TEST_DATA_DIR}")
add_test(NAME check_sc COMMAND check_sc)
set_tests_properties(check_sc PROPERTIES LABELS "sc" TIMEOUT 900)
add_test(NAME check_e2e_sc COMMAND check_e2e --sc)
set_tests_properties(check_e2e_sc PROPERTIES LABELS "sc" TIMEOUT 900)

# LPU systems (sc:chips=N): multi-chip schedules exact, timed as the formula says
add_executable(check_mchip ${CMAKE_CURRENT_SOURCE_DIR}/sc/check_mchip.c)
target_include_directories(check_mchip PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit ${CMAKE_CURRENT_SOURCE_DIR}/sc)
target_link_libraries(check_mchip PRIVATE tlpu_driver PkgConfig::CHECK m)
target_compile_definitions(check_mchip PRIVATE TLPU_TEST_DATA_DIR="${TLPU_TEST_DATA_DIR}")
add_test(NAME check_mchip COMMAND check_mchip)
set_tests_properties(check_mchip PROPERTIES LABELS "sc" TIMEOUT 900)
