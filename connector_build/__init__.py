"""The domain: what a connector is, and how it becomes an image. Imports neither docker nor dagger."""
