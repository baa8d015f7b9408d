# python3: asyncio unix-socket server and client.
command -v python3 >/dev/null || { echo "no python3"; exit 0; }
python3 - <<'PY'
import asyncio, os, tempfile
async def handle(r, w):
    data = await r.readline()
    w.write(data.upper()); await w.drain(); w.close()
async def main():
    path = os.path.join(tempfile.mkdtemp(), "sock")
    server = await asyncio.start_unix_server(handle, path=path)
    out = []
    for i in range(3):
        r, w = await asyncio.open_unix_connection(path)
        w.write(f"hello {i}\n".encode()); await w.drain()
        out.append((await r.readline()).decode().strip()); w.close()
    server.close(); await server.wait_closed()
    os.unlink(path); os.rmdir(os.path.dirname(path))
    print(out)
asyncio.run(main())
PY
