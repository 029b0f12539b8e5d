package io.example.tinyorders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TinyOrdersSourceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final TinyOrdersSource source = new TinyOrdersSource();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void specNamesTheRequiredFields() {
    Map<String, Object> spec = source.spec();
    assertEquals("SPEC", spec.get("type"));
    JsonNode required = JSON.valueToTree(spec).path("spec").path("connectionSpecification").path("required");
    assertEquals("[\"shop\",\"start_date\"]", required.toString());
  }

  @Test
  void checkFailsWithTheReason() throws Exception {
    Map<String, Object> status = source.check(json("{\"shop\": \"kettles\", \"start_date\": \"March\"}"));
    JsonNode body = JSON.valueToTree(status).path("connectionStatus");
    assertEquals("FAILED", body.path("status").asText());
    assertTrue(body.path("message").asText().startsWith("start_date:"));
  }

  @Test
  void readGivesTheSameOrdersForTheSameConfig() throws Exception {
    JsonNode config = json("{\"shop\": \"kettles\", \"start_date\": \"2024-06-01\", \"days\": 2, \"orders_per_day\": 4}");
    JsonNode catalog = json("{\"streams\": [{\"stream\": {\"name\": \"orders\"}}]}");
    List<Map<String, Object>> first = source.read(config, catalog);
    List<Map<String, Object>> records = first.stream().filter(m -> m.get("type").equals("RECORD")).toList();
    assertEquals(8, records.size());
    List<Map<String, Object>> again = TinyOrdersSource.orders(TinyOrdersSource.Config.of(config));
    assertEquals(again.get(0), JSON.convertValue(JSON.valueToTree(records.get(0)).path("record").path("data"), Map.class));
  }

  @Test
  void unknownCommandIsAnErrorTrace() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"sync"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertEquals(1, code);
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("\"type\":\"TRACE\""));
  }
}
