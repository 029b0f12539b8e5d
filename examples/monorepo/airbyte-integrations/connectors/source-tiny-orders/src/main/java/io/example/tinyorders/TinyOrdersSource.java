package io.example.tinyorders;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tiny Orders: invents a shop's orders instead of calling an API, so it needs no network and
 * the same config always gives the same records. Streams: {@code orders} (several a day from
 * {@code start_date}) and {@code products} (a fixed list); both full refresh.
 */
public final class TinyOrdersSource {
  static final List<String> PRODUCTS = List.of("kettle", "teapot", "mug", "tray", "strainer");
  private static final ObjectMapper JSON = new ObjectMapper();

  public Map<String, Object> spec() {
    try (InputStream in = TinyOrdersSource.class.getResourceAsStream("/spec.json")) {
      Map<String, Object> spec = JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
      return Messages.message("SPEC", "spec", spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Map<String, Object> check(JsonNode config) {
    try {
      Config parsed = Config.of(config);
      return Messages.connectionStatus(true, "shop " + parsed.shop() + ", " + parsed.days() + " days");
    } catch (ConfigException e) {
      return Messages.connectionStatus(false, e.getMessage());
    }
  }

  public Map<String, Object> discover(JsonNode config) {
    Config.of(config);
    return Messages.message("CATALOG", "catalog", Map.of("streams", List.of(ordersStream(), productsStream())));
  }

  public List<Map<String, Object>> read(JsonNode config, JsonNode catalog) {
    Config parsed = Config.of(config);
    List<Map<String, Object>> messages = new ArrayList<>();
    long emittedAt = System.currentTimeMillis();
    for (JsonNode configured : catalog.path("streams")) {
      String name = configured.path("stream").path("name").asText();
      List<Map<String, Object>> records = switch (name) {
        case "orders" -> orders(parsed);
        case "products" -> products();
        default -> throw new ConfigException("the catalog names an unknown stream: " + name);
      };
      messages.add(Messages.log("INFO", "reading " + name));
      for (Map<String, Object> data : records) {
        messages.add(Messages.record(name, data, emittedAt));
      }
    }
    return messages;
  }

  static List<Map<String, Object>> orders(Config config) {
    List<Map<String, Object>> orders = new ArrayList<>();
    for (int day = 0; day < config.days(); day++) {
      LocalDate date = config.startDate().plusDays(day);
      for (int n = 1; n <= config.ordersPerDay(); n++) {
        int seed = Math.floorMod((config.shop() + date + n).hashCode(), 1_000_003);
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("order_id", config.shop() + "-" + date.toString().replace("-", "") + "-" + n);
        order.put("shop", config.shop());
        order.put("order_date", date.toString());
        order.put("product", PRODUCTS.get(seed % PRODUCTS.size()));
        order.put("quantity", 1 + seed % 4);
        order.put("total_cents", 500 + seed % 9_500);
        orders.add(order);
      }
    }
    return orders;
  }

  static List<Map<String, Object>> products() {
    List<Map<String, Object>> products = new ArrayList<>();
    for (int i = 0; i < PRODUCTS.size(); i++) {
      products.add(Map.of("product", PRODUCTS.get(i), "price_cents", 500 + 250 * i));
    }
    return products;
  }

  private static Map<String, Object> ordersStream() {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("order_id", Map.of("type", "string"));
    properties.put("shop", Map.of("type", "string"));
    properties.put("order_date", Map.of("type", "string", "format", "date"));
    properties.put("product", Map.of("type", "string"));
    properties.put("quantity", Map.of("type", "integer"));
    properties.put("total_cents", Map.of("type", "integer"));
    return stream("orders", properties, "order_id");
  }

  private static Map<String, Object> productsStream() {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("product", Map.of("type", "string"));
    properties.put("price_cents", Map.of("type", "integer"));
    return stream("products", properties, "product");
  }

  private static Map<String, Object> stream(String name, Map<String, Object> properties, String key) {
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("$schema", "http://json-schema.org/draft-07/schema#");
    schema.put("type", "object");
    schema.put("properties", properties);
    Map<String, Object> stream = new LinkedHashMap<>();
    stream.put("name", name);
    stream.put("json_schema", schema);
    stream.put("supported_sync_modes", List.of("full_refresh"));
    stream.put("source_defined_primary_key", List.of(List.of(key)));
    return stream;
  }

  /** The validated config. */
  record Config(String shop, LocalDate startDate, int days, int ordersPerDay) {
    static Config of(JsonNode config) {
      String shop = config.path("shop").asText("").strip();
      if (shop.isEmpty()) {
        throw new ConfigException("shop: give the shop's name");
      }
      LocalDate start;
      try {
        start = LocalDate.parse(config.path("start_date").asText(""));
      } catch (DateTimeParseException e) {
        throw new ConfigException("start_date: expected YYYY-MM-DD, got '" + config.path("start_date").asText("") + "'");
      }
      int days = config.path("days").asInt(7);
      if (days < 1 || days > 30) {
        throw new ConfigException("days: between 1 and 30, got " + days);
      }
      int perDay = config.path("orders_per_day").asInt(3);
      if (perDay < 1 || perDay > 100) {
        throw new ConfigException("orders_per_day: between 1 and 100, got " + perDay);
      }
      return new Config(shop, start, days, perDay);
    }
  }
}
