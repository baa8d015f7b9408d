# multiprocessing: a Pool of 4 workers, a Queue, shared Values and a Manager.
import multiprocessing as mp, os
def sq(x): return x * x
def pid_of(_): return os.getpid()
def put(q, i): q.put(i * 10)
def add(v, n):
    for _ in range(n):
        with v.get_lock(): v.value += 1
if __name__ == "__main__":
    with mp.Pool(4) as p:
        print(p.map(sq, range(20)))
        print(sum(p.imap_unordered(sq, range(1000))))
        print(p.apply_async(sq, (12,)).get(timeout=30))
        print("distinct worker pids <= 4:", len(set(p.map(pid_of, range(40)))) <= 4)
    q = mp.Queue()
    ps = [mp.Process(target=put, args=(q, i)) for i in range(4)]
    for x in ps: x.start()
    print(sorted(q.get(timeout=30) for _ in ps))
    for x in ps: x.join()
    print([x.exitcode for x in ps])
    v = mp.Value("i", 0)
    ps = [mp.Process(target=add, args=(v, 500)) for _ in range(3)]
    for x in ps: x.start()
    for x in ps: x.join()
    print("value", v.value)
