# subprocess: run, pipes between children, exit codes, a timeout, stdin input.
import subprocess, sys
r = subprocess.run(["sh", "-c", "echo sub $((6*7)); echo err >&2; exit 3"], capture_output=True, text=True)
print(r.returncode, repr(r.stdout), repr(r.stderr))
p1 = subprocess.Popen(["seq", "1", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["sort", "-rn"], stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
p1.stdout.close()
out, _ = p2.communicate()
print(p1.wait(), p2.returncode, out.splitlines()[:3])
print(subprocess.run(["tr", "a-z", "A-Z"], input="hello pipes\n", capture_output=True, text=True).stdout, end="")
try:
    subprocess.run(["sleep", "5"], timeout=0.3)
except subprocess.TimeoutExpired as e:
    print("timeout", round(e.timeout, 1))
print(subprocess.check_output([sys.executable, "-c", "import os; print(os.getppid() > 0)"], text=True), end="")
print(subprocess.call(["false"]), subprocess.call("exit 7", shell=True))
