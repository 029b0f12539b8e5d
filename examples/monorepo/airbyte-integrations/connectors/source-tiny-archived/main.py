"""source-tiny-archived: kept only to show that archived connectors stay out of the registries.

It still answers `spec`, as every connector must.
"""

import json
import sys

SPEC = {"connectionSpecification": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                    "properties": {}}}

if __name__ == "__main__":
    if sys.argv[1:2] == ["spec"]:
        print(json.dumps({"type": "SPEC", "spec": SPEC}))
    else:
        print(json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 0,
                                                      "error": {"message": "this connector is archived"}}}))
        sys.exit(1)
