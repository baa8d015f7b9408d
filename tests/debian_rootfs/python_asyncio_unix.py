# asyncio: a unix-socket server and concurrent clients.
import asyncio, os
async def handle(r, w):
    while line := await r.readline():
        w.write(line.upper()); await w.drain()
    w.close(); await w.wait_closed()
async def client(path, i):
    r, w = await asyncio.open_unix_connection(path)
    out = []
    for j in range(5):
        w.write(f"hello {i}.{j}\n".encode()); await w.drain()
        out.append((await r.readline()).decode().strip())
    w.close(); await w.wait_closed()
    return out
async def main():
    path = "/tmp/work/sock"
    server = await asyncio.start_unix_server(handle, path=path)
    res = await asyncio.gather(*(client(path, i) for i in range(8)))
    server.close(); await server.wait_closed()
    os.unlink(path)
    for r in res: print(r)
    await asyncio.sleep(0.01)
    print("sleep done")
asyncio.run(main())
