# cmake -DCLOBMAKER_SOURCE_DIR=... -DWORK=... -P run.cmake: the purity check refuses the violating
# core (naming the chain) and accepts the clean one.
foreach(case violate clean)
  if(case STREQUAL "violate")
    set(flag ON)
  else()
    set(flag OFF)
  endif()
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${CLOBMAKER_SOURCE_DIR}/cmake/purity_selftest -B ${WORK}/${case}
            -DCLOBMAKER_SOURCE_DIR=${CLOBMAKER_SOURCE_DIR} -DVIOLATE=${flag}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("--- ${case}: exit ${rc}\n${out}${err}")
  if(case STREQUAL "violate")
    if(rc EQUAL 0)
      message(FATAL_ERROR "the purity check accepted a core that links OpenSSL")
    endif()
    if(NOT err MATCHES "services/demo/core: demo_core -> demo_net -> OpenSSL::SSL")
      message(FATAL_ERROR "the purity check did not name the chain")
    endif()
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "the purity check refused a clean core")
  endif()
endforeach()
