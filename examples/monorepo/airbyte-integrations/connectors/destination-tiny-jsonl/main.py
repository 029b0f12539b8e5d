# The image's entrypoint: python /airbyte/integration_code/main.py <command> [options] < messages
from destination_tiny_jsonl.run import run

if __name__ == "__main__":
    run()
