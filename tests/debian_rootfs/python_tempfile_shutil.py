# tempfile and shutil: temporary files and directories, copies, moves, archives, rmtree.
import tempfile, shutil, os
d = tempfile.mkdtemp(prefix="t")
for i in range(20):
    sub = os.path.join(d, f"dir{i % 4}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i}"), "w") as f:
        f.write(str(i) * (100 + i))
shutil.copytree(d, d + ".copy")
shutil.move(d + ".copy", d + ".moved")
walk = sorted((os.path.relpath(r, d + ".moved"), sorted(fs)) for r, _, fs in os.walk(d + ".moved"))
print(walk)
print(sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs))
arch = shutil.make_archive(os.path.join(tempfile.gettempdir(), "arch"), "gztar", d)
x = tempfile.mkdtemp()
shutil.unpack_archive(arch, x)
print(sorted(os.listdir(x)))
with tempfile.NamedTemporaryFile("w+", delete=True) as t:
    t.write("named\n"); t.flush(); t.seek(0)
    print(t.read().strip(), os.path.exists(t.name))
with tempfile.TemporaryFile() as t:
    t.write(b"anon" * 1000); t.seek(0); print(len(t.read()))
with tempfile.SpooledTemporaryFile(max_size=10) as t:
    t.write(b"x" * 100); t.seek(0); print(len(t.read()))
shutil.copy2("/etc/os-release", os.path.join(x, "os"))
print(open(os.path.join(x, "os")).readline().strip())
print(shutil.disk_usage("/tmp").total > 0, shutil.which("sh"))
for p in (d, d + ".moved", x): shutil.rmtree(p)
os.unlink(arch)
print("left:", sorted(p for p in os.listdir(tempfile.gettempdir()) if p != "work"))
