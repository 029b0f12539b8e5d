package io.example.tinyorders;

/** The user's config or catalog is wrong; the message says how to fix it. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
