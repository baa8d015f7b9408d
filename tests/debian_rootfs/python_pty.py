# python3: pty.fork() and openpty(): a child on a terminal, echo and line discipline.
import os, pty, sys, re, termios
pid, fd = pty.fork()
if pid == 0:
    print("child tty:", os.isatty(0), re.sub(r"\d+$", "N", os.ttyname(0)))
    line = sys.stdin.readline()
    print("got", line.strip().upper())
    sys.stdout.flush()
    os._exit(5)
os.write(fd, b"hello\n")
out = b""
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
print(sorted(out.decode().replace("\r", "").splitlines()), os.waitstatus_to_exitcode(st))
m, s = pty.openpty()
attrs = termios.tcgetattr(s)
print("echo on:", bool(attrs[3] & termios.ECHO), "icanon:", bool(attrs[3] & termios.ICANON))
os.write(m, b"abc\n")
print(os.read(s, 100))
os.close(s); os.close(m)
