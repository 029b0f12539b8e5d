# The image's entrypoint: python /airbyte/integration_code/main.py <command> [options]
from source_tiny_weather.run import run

if __name__ == "__main__":
    run()
