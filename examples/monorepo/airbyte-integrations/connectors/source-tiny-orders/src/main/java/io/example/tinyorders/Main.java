package io.example.tinyorders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line the platform calls: {@code spec}, {@code check --config F}, {@code discover
 * --config F}, {@code read --config F --catalog F [--state F]}. Every message goes to stdout as
 * one JSON line; a wrong config is a FAILED connection status for {@code check} and an error
 * TRACE message (and exit code 1) for the other commands.
 */
public final class Main {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Main() {}

  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    int code = run(args, out);
    out.flush();
    System.exit(code);
  }

  static int run(String[] args, PrintStream out) {
    TinyOrdersSource source = new TinyOrdersSource();
    if (args.length == 0) {
      return fail(out, "usage: source-tiny-orders spec|check|discover|read [--config F] [--catalog F]");
    }
    Map<String, String> options = options(args);
    try {
      List<Map<String, Object>> messages =
          switch (args[0]) {
            case "spec" -> List.of(source.spec());
            case "check" -> List.of(source.check(readJson(options, "--config")));
            case "discover" -> List.of(source.discover(readJson(options, "--config")));
            case "read" -> source.read(readJson(options, "--config"), readJson(options, "--catalog"));
            default -> throw new ConfigException("unknown command " + args[0]);
          };
      for (Map<String, Object> message : messages) {
        out.println(JSON.writeValueAsString(message));
      }
      return 0;
    } catch (ConfigException | IOException e) {
      return fail(out, e.getMessage());
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    return options;
  }

  private static JsonNode readJson(Map<String, String> options, String name) throws IOException {
    String path = options.get(name);
    if (path == null) {
      throw new ConfigException(name + " is required");
    }
    return JSON.readTree(Files.readString(Path.of(path)));
  }

  private static int fail(PrintStream out, String message) {
    try {
      out.println(JSON.writeValueAsString(Messages.error(message)));
    } catch (IOException e) {
      out.println("{\"type\":\"LOG\",\"log\":{\"level\":\"FATAL\",\"message\":\"cannot write JSON\"}}");
    }
    return 1;
  }
}
