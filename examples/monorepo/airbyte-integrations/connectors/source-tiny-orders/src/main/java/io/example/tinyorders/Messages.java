package io.example.tinyorders;

import java.util.LinkedHashMap;
import java.util.Map;

/** Airbyte protocol messages, as maps Jackson writes as JSON. */
final class Messages {
  private Messages() {}

  static Map<String, Object> message(String type, String field, Object body) {
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("type", type);
    message.put(field, body);
    return message;
  }

  static Map<String, Object> log(String level, String text) {
    return message("LOG", "log", Map.of("level", level, "message", text));
  }

  static Map<String, Object> record(String stream, Map<String, Object> data, long emittedAt) {
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("stream", stream);
    record.put("data", data);
    record.put("emitted_at", emittedAt);
    return message("RECORD", "record", record);
  }

  static Map<String, Object> connectionStatus(boolean succeeded, String text) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("status", succeeded ? "SUCCEEDED" : "FAILED");
    if (text != null) {
      status.put("message", text);
    }
    return message("CONNECTION_STATUS", "connectionStatus", status);
  }

  static Map<String, Object> error(String text) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", text);
    error.put("failure_type", "config_error");
    Map<String, Object> trace = new LinkedHashMap<>();
    trace.put("type", "ERROR");
    trace.put("emitted_at", (double) System.currentTimeMillis());
    trace.put("error", error);
    return message("TRACE", "trace", trace);
  }
}
