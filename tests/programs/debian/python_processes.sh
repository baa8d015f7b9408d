# python3: multiprocessing pool of 4, subprocess, tempfile and shutil.
command -v python3 >/dev/null || { echo "no python3"; exit 0; }
python3 - <<'PY'
import multiprocessing, subprocess, tempfile, shutil, os
def sq(x): return x * x
if __name__ == "__main__":
    with multiprocessing.Pool(4) as p:
        print(p.map(sq, range(12)))
    print(subprocess.run(["sh", "-c", "echo sub $((6*7))"], capture_output=True, text=True).stdout.strip())
    d = tempfile.mkdtemp()
    for i in range(5):
        with open(os.path.join(d, f"f{i}"), "w") as f:
            f.write(str(i) * 100)
    shutil.copytree(d, d + ".copy")
    print(sorted(os.listdir(d + ".copy")), sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d)))
    shutil.rmtree(d); shutil.rmtree(d + ".copy")
    print("exists after rmtree:", os.path.exists(d))
PY
