"""Print the server's OpenAPI schema (the contract the client in src/client/ is generated from).

Run from frontend/ with the project's virtual environment: ``npm run schema``.
"""

import json
import sys
import tempfile
from pathlib import Path

from openspc.app import create_app
from openspc.config import Settings

with tempfile.TemporaryDirectory() as tmp:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{Path(tmp) / 'schema.db'}")  # type: ignore[call-arg]
    schema = create_app(settings).openapi()
json.dump(schema, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
