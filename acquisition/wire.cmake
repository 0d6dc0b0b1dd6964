# The wire protocol (docs/protocol.md): a pure codec, stream accounting and clock mapping — no Asio, no I/O.
add_library(hoplab_wire
  "${CMAKE_CURRENT_SOURCE_DIR}/src/wire/codec.cpp"
  "${CMAKE_CURRENT_SOURCE_DIR}/src/wire/stream_tracker.cpp"
  "${CMAKE_CURRENT_SOURCE_DIR}/src/wire/clock_map.cpp"
  "${CMAKE_CURRENT_SOURCE_DIR}/src/wire/csv_line_decoder.cpp"
)
add_library(hoplab::wire ALIAS hoplab_wire)
target_include_directories(hoplab_wire PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/include")
target_compile_features(hoplab_wire PUBLIC cxx_std_20)
target_link_libraries(hoplab_wire PRIVATE hoplab::warnings Boost::headers nlohmann_json::nlohmann_json)
