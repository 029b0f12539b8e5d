from source_tiny_poetry.run import run

if __name__ == "__main__":
    run()
