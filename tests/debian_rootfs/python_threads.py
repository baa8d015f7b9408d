# Threads, locks, a queue, an event and a condition; results printed in a fixed order.
import threading, queue, hashlib
results = {}
lock = threading.Lock()
def work(n):
    h = hashlib.sha256()
    for i in range(2000):
        h.update(str(i * n).encode())
    with lock:
        results[n] = h.hexdigest()[:16]
threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 9)]
for t in threads: t.start()
for t in threads: t.join()
for n in sorted(results): print(n, results[n])
q = queue.Queue()
def producer():
    for i in range(1000): q.put(i)
    q.put(None)
total = 0
def consumer():
    global total
    while True:
        item = q.get()
        if item is None: break
        total += item
p = threading.Thread(target=producer); c = threading.Thread(target=consumer)
p.start(); c.start(); p.join(); c.join()
print("queue total", total)
ev = threading.Event(); seen = []
def waiter():
    ev.wait(); seen.append("woken")
w = threading.Thread(target=waiter); w.start(); ev.set(); w.join()
print(seen)
cond = threading.Condition(); box = []
def notifier():
    with cond:
        box.append(42); cond.notify_all()
nt = threading.Thread(target=notifier)
with cond:
    nt.start()
    cond.wait_for(lambda: box)
nt.join()
print("condition", box)
counter = 0
def incr():
    global counter
    for _ in range(10000):
        with lock:
            counter += 1
ts = [threading.Thread(target=incr) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("counter", counter, "threads alive", threading.active_count())
