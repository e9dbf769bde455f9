#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/ from small valid files made
here (never the MNIST data): IDX images and labels files, raw and gzip-compressed; safetensors
checkpoints of small MLPs in F32 and F64; programs for the `shapes` target; and HTTP requests
for the `serve` target. The corpora are
generated, not committed; running this again rewrites the seeds and leaves whatever the fuzzer
added beside them.

    python3 fuzz/make_seeds.py [CORPUS_DIR]     # default: fuzz/corpus next to this script
"""

import gzip
import json
import os
import struct
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def idx(magic, dims, body):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(body)


def images(count, rows, cols):
    return idx(0x803, [count, rows, cols], [(i * 37) % 256 for i in range(count * rows * cols)])


def labels(values):
    return idx(0x801, [len(values)], values)


# ---------------------------------------------------------------- IDX, raw and gzip

idx_files = {
    "images-2x2x2": images(2, 2, 2),  # pairs with the oracle's valid labels file (2 labels)
    "images-2x3x1": images(2, 3, 1),
    "images-0x4x4": images(0, 4, 4),
    "images-2x28x28": images(2, 28, 28),
    "labels-2": labels([3, 9]),
    "labels-0": labels([]),
    "labels-2-out-of-range": labels([3, 10]),
    "images-truncated": images(2, 2, 2)[:-3],
    "images-trailing": images(2, 2, 2) + b"\0",
    "header-only": idx(0x803, [2, 2, 2], []),
}
for name, data in idx_files.items():
    write("idx_raw", name, data)
    # idx_gzip: mode 0, the .gz file as is; mode 1, the IDX file, compressed by the target (no cut)
    write("idx_gzip", name + "-gz", b"\0" + gzip.compress(data, compresslevel=9, mtime=0))
    write("idx_gzip", name + "-compressed-here", b"\1\xff\xff" + data)

# ---------------------------------------------------------------- safetensors checkpoints


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, values); laid out in order, as safetensors does."""
    header, data = {}, b""
    for name, dtype, shape, values in tensors:
        fmt = {"F32": "<f", "F64": "<d"}[dtype]
        raw = b"".join(struct.pack(fmt, v) for v in values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def mlp(sizes, dtype, biases=True):
    tensors = []
    for n, (inputs, outputs) in enumerate(zip(sizes, sizes[1:]), start=1):
        tensors.append((f"fc{n}.weight", dtype, [inputs, outputs], [0.25 * (i % 7) - 0.5 for i in range(inputs * outputs)]))
        if biases:
            tensors.append((f"fc{n}.bias", dtype, [1, outputs], [0.1 * i for i in range(outputs)]))
    return tensors


# The checkpoint target loads into an MLP [2, 3, 2] and as an MLP of the file's own sizes.
write("checkpoint", "mlp-2-3-2-f32", safetensors(mlp([2, 3, 2], "F32")))
write("checkpoint", "mlp-2-3-2-f64", safetensors(mlp([2, 3, 2], "F64")))
write("checkpoint", "mlp-4-5-3-2-f32", safetensors(mlp([4, 5, 3, 2], "F32")))
write("checkpoint", "mlp-1-1-f64-no-bias", safetensors(mlp([1, 1], "F64", biases=False)))
write("checkpoint", "mlp-metadata", safetensors(mlp([2, 3, 2], "F32"), {"format": "pt"}))
write("checkpoint", "mlp-architecture", safetensors(mlp([2, 3, 2], "F32"), {
    "ferrograd.format": "1", "ferrograd.sizes": "2,3,2", "ferrograd.activation": "relu",
    "ferrograd.dtype": "float32"}))
write("checkpoint", "empty-header", safetensors([]))
write("checkpoint", "truncated", safetensors(mlp([2, 3, 2], "F32"))[:-5])

# ---------------------------------------------------------------- shape programs
# The byte language of oracles::check_shapes_of: a tensor is an ndim byte (n % 5, 15 gives 5),
# one byte per size (below 240: b % 6; 240..: a large size), and a length byte (below 192: the
# exact count); then steps: 0 reshape <shape>, 1 transpose, 2 <op> <tensor> (op: add, sub, mul,
# div by op % 4).


def shape(*sizes):
    return bytes([len(sizes)] + list(sizes))


def tensor(*sizes, length=0):
    return shape(*sizes) + bytes([length])


programs = {
    "reshape": tensor(2, 3) + b"\0" + shape(3, 2) + b"\0" + shape(6),
    "transpose": tensor(2, 3) + b"\1" + b"\1",
    "broadcast-row": tensor(2, 3) + b"\2\0" + tensor(3),
    "broadcast-column": tensor(4, 1) + b"\2\2" + tensor(1, 5) + b"\1",
    "broadcast-3d": tensor(2, 1, 3) + b"\2\3" + tensor(4, 1) + b"\0" + shape(4, 3, 2),
    "scalar": tensor() + b"\2\1" + tensor(2, 2),
    "empty": tensor(0, 3) + b"\2\0" + tensor(3) + b"\1",
    "wrong-length": tensor(2, 3, length=5),
    "large-zero-size": tensor(0, 250) + b"\0" + shape(250, 0),
    "chain": tensor(2, 3) + b"\1\2\0" + tensor(3, 1) + b"\0" + shape(3, 3, 2) + b"\2\2" + tensor(3, 2),
}
for name, data in programs.items():
    write("shapes", name, data)

# ---------------------------------------------------------------- HTTP requests
# One connection's bytes for `ferrograd serve` (the table of serve_oracle/mod.rs: /, /index.html,
# /main.js, /model.safetensors, /mnist/t10k-labels-idx1-ubyte.gz, /config.json); the same kinds
# as crates/ferrograd-cli/tests/fuzz_serve.rs.


def request(method, path, version="HTTP/1.1", headers=(), body=b""):
    head = f"{method} {path} {version}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
    return head.encode() + body


requests = {
    "get-root": request("GET", "/", headers=["Host: localhost"]),
    "get-model-close": request("GET", "/model.safetensors", headers=["Host: localhost", "Connection: close"]),
    "head-index-1.0": request("HEAD", "/index.html", "HTTP/1.0"),
    "get-query-fragment": request("GET", "/config.json?download=1#top"),
    "get-mnist": request("GET", "/mnist/t10k-labels-idx1-ubyte.gz"),
    "get-0.9": request("GET", "/main.js", "HTTP/0.9"),
    "get-te-chunked": request("GET", "/model.safetensors", headers=["TE: chunked"]),
    "get-upgrade": request("GET", "/", headers=["Connection: upgrade", "Upgrade: x"]),
    "dotdot": request("GET", "/../../../../etc/passwd", headers=["Host: x"]),
    "dotdot-encoded": request("GET", "/%2e%2e/%2e%2e/etc/passwd?x=1#y"),
    "dotdot-inside": request("GET", "/mnist/../config.json"),
    "double-slash": request("GET", "//etc/passwd"),
    "nul": request("GET", "/index.html%00.txt"),
    "absolute-form": request("GET", "http://localhost/config.json"),
    "asterisk": request("OPTIONS", "*"),
    "not-ascii": "GET /é HTTP/1.1\r\n\r\n".encode(),
    "post-body": request("POST", "/config.json", headers=["Content-Length: 5"], body=b"hello"),
    "delete": request("DELETE", "/"),
    "lowercase-method": request("get", "/"),
    "unknown-method": request("BREW", "/pot"),
    "put-chunked": request("PUT", "/", headers=["Transfer-Encoding: chunked"], body=b"5\r\nhello\r\n0\r\n\r\n"),
    "post-long-body": request("POST", "/", headers=["Content-Length: 999999"], body=b"GET / HTTP/1.1\r\n\r\n" * 60),
    "post-short-body": request("POST", "/", headers=["Content-Length: 100"], body=b"abc"),
    "expect-continue": request("GET", "/", headers=["Expect: 100-continue", "Content-Length: 3"], body=b"abc"),
    "expect-other": request("GET", "/", headers=["Expect: teapot"]),
    "pipelined": request("GET", "/config.json", headers=["Host: x"]) + request("GET", "/", headers=["Host: x"]),
    "pipelined-head-get": request("HEAD", "/model.safetensors") + request("GET", "/model.safetensors"),
    "pipelined-404-405-200": request("GET", "/nothing")
    + request("POST", "/", headers=["Content-Length: 2"], body=b"hi")
    + request("GET", "/"),
    "after-1.0": request("GET", "/", "HTTP/1.0") + request("GET", "/"),
    "bad-version": request("GET", "/", "HTTP/9.9"),
    "http-2": request("GET", "/", "HTTP/2.0"),
    "http-3-then-1.1": request("HEAD", "/", "HTTP/3.0") + request("GET", "/"),
    "huge-content-length": request("GET", "/", headers=["Content-Length: 99999999999999"]),
    "bare-lf": b"\r\n\nGET /main.js HTTP/1.1\nHost: x\n\n",
    "two-spaces": b"GET  / HTTP/1.1\r\n\r\n",
    "header-without-colon": request("GET", "/", headers=["no colon here"]),
    "empty-lines": b"\r\n\r\n",
    "no-line-end": b"GET",
    "headers-cut": b"GET / HTTP/1.1\r\nHost: x",
    "huge-header": request("GET", "/", headers=["X-Fill: " + "a" * 3000]),
    "many-headers": request("GET", "/config.json", headers=[f"X-{i}: {i}" for i in range(300)]),
    "long-dotdot-path": request("GET", "/" + "../" * 1000),
}
for name, data in requests.items():
    write("serve", name, data)

print(f"seed corpora written to {ROOT}")
