#!/usr/bin/python3
# AF_UNIX naming from Python (issue 19): multiprocessing.connection over a
# path, SCM_RIGHTS, an abstract name, a forkserver Pool and a Manager (what
# CPython's test_concurrent_futures needs).  Its output must equal the
# native run's (tests/guests/run_guest.sh).
import socket, os, sys, tempfile, array
import multiprocessing as mp, multiprocessing.connection as mc

def main():
    d = tempfile.mkdtemp()
    addr = os.path.join(d, "l.sock")
    L = mc.Listener(addr, family="AF_UNIX")
    print("listener address is the guest's:", L.address == addr)
    pid = os.fork()
    if pid == 0:
        c = mc.Client(addr, family="AF_UNIX"); c.send({"hi": 42}); print("child got", c.recv()); os._exit(0)
    c = L.accept(); print("parent got", c.recv()); c.send([1, 2, 3]); os.waitpid(pid, 0)
    a, b = socket.socketpair()
    r, w = os.pipe()
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))])
    msg, anc, fl, ad = b.recvmsg(1, socket.CMSG_SPACE(4))
    fds = array.array("i"); fds.frombytes(anc[0][2])
    os.write(fds[0], b"through a passed fd"); os.close(fds[0]); os.close(w)
    print(msg, os.read(r, 100))
    s1 = socket.socket(socket.AF_UNIX); s1.bind("\0abstract-test-%d" % os.getpid()); s1.listen()
    print("abstract name is the guest's:", s1.getsockname() == b"\0abstract-test-%d" % os.getpid())
    s2 = socket.socket(socket.AF_UNIX); s2.connect(s1.getsockname()); s3, _ = s1.accept(); s2.send(b"abs"); print(s3.recv(10))
    ctx = mp.get_context("forkserver")
    with ctx.Pool(2) as p: print("forkserver pool", p.map(abs, [-1, -2, -3]))
    with mp.Manager() as m:
        l = m.list([1]); l.append(2); print("manager", list(l))

if __name__ == "__main__":
    main()
