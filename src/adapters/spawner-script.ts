/**
 * The spawner's source, run as `python3 -I -S -c SCRIPT PROBE` by src/adapters/spawner.ts.
 * Python because its os.posix_spawnp starts a program without copying the caller's memory
 * (glibc and musl use clone with CLONE_VM|CLONE_VFORK): about 0.5 ms of the spawner's CPU per
 * program on the benchmark machine, where any fork() costs 1.6 ms or more, even from a perl of
 * 5 MB (and perl has no posix_spawn). Standard library only, Python >= 3.8.
 *
 * Protocol, gt -> spawner: frames of a 4-byte big-endian length and NUL-separated fields (no
 * field can hold a NUL: execve could not pass it on), never parsed as shell syntax.
 *   S id group cwd stdin stdout stderr argc argv... env...   run argv[0] with argv, env K=V
 *   K id                                                    SIGKILL the process group of run id
 * spawner -> gt: lines.
 *   R pid           ready
 *   S id pid        group run id, started as pid, is still running after 200 ms: gt kills the
 *                   group if we die (most runs end sooner, sparing gt a wake-up for this line)
 *   E id code       run id exited: its exit code, or 128 when a signal ended it
 *   F id errno      run id could not start (chdir, open or exec failed with errno)
 *
 * It exits when gt closes the request pipe (gt exited), killing the process groups of the runs
 * still going, and by SIGPIPE when gt stops reading.
 */
export const SPAWNER_SCRIPT = String.raw`
import errno, os, select, signal, sys, time

# What gt relies on must work before we say ready (gt starts programs itself otherwise): gt's
# capture files, handed over as /proc/GTPID/fd/N paths, and posix_spawn with setsid.
if not hasattr(os, 'posix_spawnp'):
    sys.exit(3)
try:
    os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND))
except OSError:
    sys.exit(3)
try:
    os.posix_spawn('/', ['/'], {}, setsid=True)
except OSError:
    pass  # '/' cannot run: it got as far as exec
except NotImplementedError:
    sys.exit(3)
# A name for ps and top (and the benchmarks, which look for it among gt's children).
try:
    with open('/proc/self/comm', 'w') as comm:
        comm.write('gt-spawner')
except OSError:
    pass

# Python ignores these two; ignored signals stay ignored across exec, and the programs must get
# the defaults, as with a direct spawn. SIGPIPE also ends us when gt is gone. (glibc's
# posix_spawn leaves its internal signals 32 and 33 ignored; glibc programs take them back.)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
# Signals sent to gt's whole process group (Ctrl-C) reach the programs we started, which report
# their own exit; we keep running so that gt learns of it. Handlers reset at exec.
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(sig, lambda *_: None)
# A child's exit wakes select() through this pipe, with no window for a lost wake-up.
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
signal.signal(signal.SIGCHLD, lambda *_: None)

HOME = os.open('.', os.O_RDONLY)
APPEND = os.O_WRONLY | os.O_APPEND
ANNOUNCE_AFTER = 0.2
running = {}  # pid -> (id, group)
pid_of = {}  # id -> pid
unannounced = {}  # pid -> when its S line is due


def say(*words):
    os.write(1, (' '.join(map(str, words)) + '\n').encode())


def use_path(path):
    # posix_spawnp searches the PATH of this process (in the starting child, like node's
    # spawn): make it the PATH of the environment the program gets.
    if path is None:
        os.unsetenv('PATH')
    else:
        os.putenv('PATH', path)


def start(f):
    _, rid, group, cwd, stdin, stdout, stderr, argc = f[:8]
    argv = f[8:8 + int(argc)]
    env = dict(e.split(b'=', 1) for e in f[8 + int(argc):])
    group = group == b'1'
    try:
        use_path(env.get(b'PATH'))
        # posix_spawn has no cwd: a single-threaded process may step there and back.
        os.chdir(cwd)
        try:
            pid = os.posix_spawnp(argv[0], argv, env, setsid=group, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, stdout, APPEND, 0),
                (os.POSIX_SPAWN_OPEN, 2, stderr, APPEND, 0),
            ])
        finally:
            os.fchdir(HOME)
    except OSError as e:
        return say('F', rid.decode(), e.errno or errno.EINVAL)
    running[pid] = (rid, group)
    pid_of[rid] = pid
    if group:
        unannounced[pid] = time.monotonic() + ANNOUNCE_AFTER


def announce():
    now = time.monotonic()
    for pid, due in list(unannounced.items()):
        if due <= now:
            del unannounced[pid]
            say('S', running[pid][0].decode(), pid)


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass  # nothing left in it


def reap():
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        rid, group = running.pop(pid)
        del pid_of[rid]
        unannounced.pop(pid, None)
        # What the program started and left in its group (a test runner's workers) ends with it.
        if group:
            kill_group(pid)
        say('E', rid.decode(), 128 if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


say('R', os.getpid())
buf = b''
while True:
    due = min(unannounced.values(), default=None)
    ready = select.select([0, wake_r], [], [], None if due is None else max(0, due - time.monotonic()))[0]
    if wake_r in ready:
        try:
            os.read(wake_r, 4096)
        except BlockingIOError:
            pass
        reap()
    if 0 in ready:
        chunk = os.read(0, 65536)
        if not chunk:
            # gt is gone (a second Ctrl-C, a kill): nobody can wait for what it started any more,
            # and a test run left going would work on beside the next gt's own merge.
            for pid, (_, group) in running.items():
                if group:
                    kill_group(pid)
            sys.exit(0)
        buf += chunk
        while len(buf) >= 4:
            end = 4 + int.from_bytes(buf[:4], 'big')
            if len(buf) < end:
                break
            fields = buf[4:end].split(b'\0')
            buf = buf[end:]
            if fields[0] == b'S':
                start(fields)
            elif fields[1] in pid_of:
                kill_group(pid_of[fields[1]])
    announce()
`;
