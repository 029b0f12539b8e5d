"""Images assembled without a daemon: a base image from a registry plus one layer of files.

What ko, Jib and ``crane append`` do for their images, for connectors whose image is a base
plus a few files (manifest-only connectors): no build, no emulation for other platforms, and
the same digests on any machine for the same files and commit.

    base = await resolver.resolve("docker.io/airbyte/source-declarative-manifest:7.10.1@sha256:…",
                                  ["linux/amd64", "linux/arm64"])
    image = assemble_image(base, files, changes, source_date_epoch=1718400000)
    await push_image(image, client, "airbyte/source-x", tags=["1.0.0"])
"""
