# Build helpers shared by every Slipway target.
#
#   slipway_library(<name> SOURCES ... DEPS ...)   -> target slipway_<name>, alias slipway::<name>
#   slipway_service(<name> SOURCES ... DEPS ...)   -> executable slipway-<name>
#   slipway_test(<name> LABEL unit|integration|e2e SOURCES ... DEPS ...)
#   slipway_proto(<name> PROTOS ...)               -> generated protobuf + gRPC library

set(SLIPWAY_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

function(_slipway_common target)
  target_compile_options(${target} PRIVATE ${SLIPWAY_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

function(slipway_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(slipway_${name} STATIC ${ARG_SOURCES})
  add_library(slipway::${name} ALIAS slipway_${name})
  _slipway_common(slipway_${name})
  target_link_libraries(slipway_${name} PUBLIC ${ARG_DEPS})
endfunction()

function(slipway_service name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(slipway-${name} ${ARG_SOURCES})
  _slipway_common(slipway-${name})
  target_link_libraries(slipway-${name} PRIVATE ${ARG_DEPS})
  install(TARGETS slipway-${name} RUNTIME DESTINATION bin)
endfunction()

function(slipway_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  _slipway_common(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SLIPWAY_BIN_DIR=${PROJECT_BINARY_DIR}/bin;SLIPWAY_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

function(slipway_proto name)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  set(out ${PROJECT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out})
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(gen ${out}/${stem}.pb.cc ${out}/${stem}.pb.h ${out}/${stem}.grpc.pb.cc ${out}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR} --cpp_out=${out}
              --grpc_out=${out} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${rel}
      DEPENDS ${abs} protobuf::protoc gRPC::grpc_cpp_plugin
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      COMMENT "protoc ${rel}")
    list(APPEND srcs ${out}/${stem}.pb.cc ${out}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(slipway_${name} STATIC ${srcs})
  add_library(slipway::${name} ALIAS slipway_${name})
  # Generated headers are SYSTEM so their warnings never drown ours.
  target_include_directories(slipway_${name} SYSTEM PUBLIC ${out})
  target_link_libraries(slipway_${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
endfunction()
