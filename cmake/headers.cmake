# casfs_public_headers(target header...): what a library shows its users.
#
# The target's own sources see its whole directory; every other target that
# links it sees only the headers named here, through links in
# build/include/<target>/. A layer therefore cannot include another layer's
# private headers: the compiler does not find them. (White-box tests add the
# source directories themselves, tests/CMakeLists.txt.)
function(casfs_public_headers target)
  set(out ${CMAKE_BINARY_DIR}/include/${target})
  file(REMOVE_RECURSE ${out})
  file(MAKE_DIRECTORY ${out})
  foreach(h ${ARGN})
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${h})
      message(FATAL_ERROR "casfs_public_headers(${target}): no ${h} in ${CMAKE_CURRENT_SOURCE_DIR}")
    endif()
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${h} ${out}/${h} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${out} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
