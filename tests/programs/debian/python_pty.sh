# python3 with pseudo-terminals: pty.fork runs a shell on a new terminal (its output with
# ONLCR, tty, stty, test -t, EIO at the end), os.openpty with echo and line editing,
# termios changes, window size, and a job-control ^C to a foreground child.
command -v python3 >/dev/null || { echo "no python3"; exit 0; }
python3 - <<'PY'
import os, pty, re, termios, tty, fcntl, struct, signal, time

def drain(fd):
    out = b''
    while True:
        try:
            d = os.read(fd, 1024)
        except OSError as e:
            out += b'<%s>' % os.strerror(e.errno).encode()
            break
        if not d:
            break
        out += d
    return re.sub(rb'/dev/pts/\d+', b'/dev/pts/N', out)

pid, fd = pty.fork()
if pid == 0:
    os.execv('/bin/sh', ['/bin/sh', '-c', 'echo hi; tty; stty size; test -t 0 && echo stdin is a tty; ps -o stat= -p $$ >/dev/null 2>&1; exit 7'])
print(drain(fd))
_, st = os.waitpid(pid, 0)
print('exit', os.waitstatus_to_exitcode(st))

m, s = os.openpty()
print(os.isatty(s), re.sub(r'\d+', 'N', os.ttyname(s)))
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 132, 0, 0))
print(struct.unpack('HHHH', fcntl.ioctl(s, termios.TIOCGWINSZ, b'\0' * 8))[:2])
os.write(m, b'helo\x7flo world\x15hello\n')
print(os.read(s, 100))
time.sleep(0.1)
print(os.read(m, 1000))
attrs = termios.tcgetattr(s)
print('icanon', bool(attrs[3] & termios.ICANON), 'echo', bool(attrs[3] & termios.ECHO))
tty.setraw(s)
os.write(m, b'\x03x')
time.sleep(0.1)
print(os.read(s, 100))
os.close(s)
os.close(m)

# A foreground child interrupted by ^C.
pid, fd = pty.fork()
if pid == 0:
    os.execv('/bin/sh', ['/bin/sh', '-c', 'echo ready; exec sleep 30'])
buf = b''
while b'ready' not in buf:
    buf += os.read(fd, 100)
time.sleep(0.2)
os.write(fd, b'\x03')
_, st = os.waitpid(pid, 0)
print('signaled', os.WIFSIGNALED(st) and signal.Signals(os.WTERMSIG(st)).name)
PY
