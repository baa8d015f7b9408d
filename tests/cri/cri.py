"""A minimal CRI client for tests/cri.rs: one gRPC call per run, as a kubelet makes it.

usage: cri.py GENDIR SOCKET METHOD [TIMEOUT_SECONDS] < REQUEST.json

GENDIR holds api_pb2.py and api_pb2_grpc.py, compiled from tests/cri/api.proto by
`python3 -m grpc_tools.protoc`. METHOD is a method of RuntimeService or ImageService
(package runtime.v1); the request is read as JSON (proto field names) from stdin. On
success the response is printed as JSON (proto field names, default values included,
enums by name, bytes fields decoded as UTF-8 text) and the exit status is 0; on a gRPC
error, {"code": NAME, "details": TEXT} is printed and the exit status is 2.
"""

import json
import sys


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    gendir, sock, method = sys.argv[1:4]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    sys.path.insert(0, gendir)

    import grpc
    from google.protobuf import descriptor, json_format

    import api_pb2
    import api_pb2_grpc

    found = None
    for service in api_pb2.DESCRIPTOR.services_by_name.values():
        m = service.methods_by_name.get(method)
        if m is not None:
            found = (service, m)
            break
    if found is None:
        print(f"cri.py: no method {method} in api.proto", file=sys.stderr)
        return 64
    service, m = found
    request = getattr(api_pb2, m.input_type.name)()
    json_format.Parse(sys.stdin.read() or "{}", request)

    with grpc.insecure_channel(f"unix://{sock}") as channel:
        stub = getattr(api_pb2_grpc, f"{service.name}Stub")(channel)
        try:
            response = getattr(stub, method)(request, timeout=timeout)
        except grpc.RpcError as e:
            print(json.dumps({"code": e.code().name, "details": e.details()}))
            return 2

    out = json_format.MessageToDict(
        response,
        preserving_proto_field_name=True,
        including_default_value_fields=True,
    )
    for field in response.DESCRIPTOR.fields:
        if field.type == descriptor.FieldDescriptor.TYPE_BYTES and field.label != field.LABEL_REPEATED:
            out[field.name] = getattr(response, field.name).decode("utf-8", "replace")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
