#!/usr/bin/env bash
# Regenerate src/openspc_sparkplug/sparkplug_b_pb2.py and .pyi from sparkplug_b.proto.
#
# protoc comes from grpcio-tools in a throwaway venv, pinned so that its bundled protoc (35.1)
# is not newer than the protobuf runtime the project installs (7.36.x): generated code refuses
# to load on an older runtime.
set -euo pipefail

GRPCIO_TOOLS_VERSION="1.85.1"
VENV="${PROTOC_VENV:-/tmp/protoc-venv}"

cd "$(dirname "$0")"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet "grpcio-tools==$GRPCIO_TOOLS_VERSION"
"$VENV/bin/python" -m grpc_tools.protoc --version
"$VENV/bin/python" -m grpc_tools.protoc \
    --proto_path=src \
    --python_out=src \
    --pyi_out=src \
    src/openspc_sparkplug/sparkplug_b.proto
