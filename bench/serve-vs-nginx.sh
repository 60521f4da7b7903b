#!/usr/bin/env bash
# Reader load (issue 17, item 7): `erkin serve` beside nginx serving the
# export of the same publication, on the same machine, in the same run.
#
#   bench/serve-vs-nginx.sh [--erkin BIN] [--seconds 6] [--warmup 2]
#                           [--rounds 3] [--connections 64,256]
#                           [--blob-mib 4] [--work DIR] [--before OLDBIN]
#                           [--targets front,article,blob]
#                           [--sides NAME=BIN,NAME=BIN...]
#
# The publication: `erkin demo`, plus one article carrying a BLOB_MIB MiB
# image (random bytes: incompressible), exported with `erkin export`; nginx
# serves that export (`worker_processes auto`, `sendfile on`, `tcp_nopush`,
# `access_log off`, keep-alive up to 100,000 requests per connection),
# `erkin serve --quiet` the data directory. Both run throughout; only one is
# under load at a time. Before measuring, the script checks that both answer
# the same bytes for every target (the front page, an article, the blob).
#
# Each run also counts the zero receive windows TCP advertised meanwhile
# (`TCPToZeroWindowAdv` in /proc/net/netstat, machine-wide): readers whose
# windows close wait on the server's zero-window probes, which is what made
# large blobs' p99 latency several times nginx's before the server fixed its
# connections' send buffer (crates/erkin-server/src/listen.rs).
#
# Method: for each target and connection count, a warm-up of WARMUP seconds
# per server (discarded), then ROUNDS rounds of `wrk -t2 -cN -dS --latency`
# per server (`--timeout 10s`), alternating, the order flipped every round (erkin, nginx;
# nginx, erkin; ...) so slow drifts of the machine's load fall on both. The
# table gives medians, the spread (lowest–highest) and the ratio of medians;
# the load average is recorded before and after. wrk shares the cores with
# the server under test; any other process on the machine adds noise to
# both sides alike only because the rounds alternate.
#
# --targets measures only the targets named (all three are still checked).
#
# With --before OLDBIN, a third server, OLDBIN's `erkin serve` on the same
# data, takes part in the same alternation (erkin, before, nginx; then the
# reverse), so a change is measured against the code before it under the
# same noise.
#
# With --sides, more servers take part in the same alternation: each BIN is
# started as `BIN --dir DATA serve --quiet --listen ADDR` (a wrapper script
# may set environment variables first, or start something else that
# serves DATA/../site), is checked to answer nginx's bytes for every target
# (twice: the second answer may come from a cache), and gets a line of
# medians and ranges below the table, as multiples of nginx's.
#
# Prints a Markdown section body on stdout (progress on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.getcwd()
args = {"--erkin": os.path.join(ROOT, "target", "release", "erkin"), "--seconds": "6",
        "--warmup": "2", "--rounds": "3", "--connections": "64,256", "--blob-mib": "4",
        "--work": "", "--before": "", "--targets": "front,article,blob", "--sides": ""}
argv = sys.argv[1:]
while argv:
    if argv[0] not in args or len(argv) < 2:
        sys.exit("usage: bench/serve-vs-nginx.sh [--erkin BIN] [--seconds S] [--warmup S] "
                 "[--rounds R] [--connections 64,256] [--blob-mib M] [--work DIR] [--before OLDBIN] "
                 "[--targets front,article,blob] [--sides NAME=BIN,...]")
    args[argv[0]] = argv[1]
    argv = argv[2:]
ERKIN = os.path.abspath(args["--erkin"])
SECONDS, WARMUP, ROUNDS = int(args["--seconds"]), int(args["--warmup"]), int(args["--rounds"])
CONNS = [int(c) for c in args["--connections"].split(",")]
BLOB_MIB = int(args["--blob-mib"])
BEFORE = os.path.abspath(args["--before"]) if args["--before"] else None
TARGETS = args["--targets"].split(",")
if not TARGETS or any(t not in ("front", "article", "blob") for t in TARGETS):
    sys.exit("serve-vs-nginx: --targets takes front, article and/or blob, comma-separated")
DEMO_PASSPHRASE = "erkin-demo-passphrase"


def say(msg):
    print(f"serve-vs-nginx: {msg}", file=sys.stderr, flush=True)


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def zero_windows():
    """TCP's count of zero receive windows advertised, machine-wide (the
    readers' windows closing: wrk is the only heavy TCP user during a run)."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            if names.startswith("TcpExt:"):
                row = dict(zip(names.split()[1:], values.split()[1:]))
                return int(row.get("TCPToZeroWindowAdv", 0))
    except OSError:
        pass
    return 0


def wrk(url, connections, seconds):
    # A 10 s timeout (wrk's default is 2 s): on a busy 2-core machine a 4 MiB
    # answer to 256 connections at once can take longer, which is latency
    # (in the p99), not an error.
    closed = zero_windows()
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
                         check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return rps, ms, errors, zero_windows() - closed


def erkin(*a, **kw):
    return subprocess.run([ERKIN, *a], check=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw).stdout


def build(work):
    """The demo, one article with a large image, and its export."""
    erkin("demo", "--into", work, "--no-serve")
    data, site = os.path.join(work, "data"), os.path.join(work, "site")
    extra = os.path.join(work, "extra")
    os.makedirs(extra)
    with open(os.path.join(extra, "large.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(BLOB_MIB * 2**20 - 8))
    env = dict(os.environ, ERKIN_PASSPHRASE=DEMO_PASSPHRASE)
    # Whichever demo member is an editor publishes it.
    for k in sorted(os.listdir(os.path.join(work, "keys"))):
        handle = k.split(".")[0]
        with open(os.path.join(extra, "large.md"), "w") as f:
            f.write("---\ntitle: \"A large picture\"\nlang: en\nslug: a-large-picture\n"
                    f"authors: [{handle}]\n"
                    "summary: \"One article with a large image, for the reader-load benchmark.\"\n---\n\n"
                    "The picture below is large.\n\n![A large picture](large.png)\n")
        r = subprocess.run([ERKIN, "--dir", data, "publish", "--key", os.path.join(work, "keys", k),
                            os.path.join(extra, "large.md")], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode == 0:
            break
    else:
        raise RuntimeError(f"no demo key could publish the large article: {r.stderr}")
    erkin("--dir", data, "export", site)
    # nginx's workers run as another user: they must be able to read the export.
    for dirpath, dirnames, filenames in os.walk(work):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    blobs = os.path.join(site, "blob")
    blob = max(os.listdir(blobs), key=lambda b: os.path.getsize(os.path.join(blobs, b)))
    article = sorted(a for a in os.listdir(os.path.join(site, "a")) if a != "a-large-picture")[0]
    return data, site, ["", f"a/{article}/", f"blob/{blob}"]


def nginx_conf(work, site, port):
    conf = os.path.join(work, "nginx.conf")
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 65s;
    include /etc/nginx/mime.types;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        index index.html;
    }}
}}
""")
    return conf


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def spread(xs, fmt):
    return f"{fmt(statistics.median(xs))} ({fmt(min(xs))}–{fmt(max(xs))})"


def main():
    for prog in ["wrk", "nginx"]:
        if not shutil.which(prog):
            sys.exit(f"serve-vs-nginx: {prog} is missing: apt-get install nginx-light wrk")
    work = args["--work"] or tempfile.mkdtemp(prefix="erkin-serve-vs-nginx-", dir=os.path.join(ROOT, "target"))
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    procs = []
    try:
        say(f"building the demo with a {BLOB_MIB} MiB image in {work}")
        data, site, targets = build(work)
        e_port, n_port = free_port(), free_port()
        procs.append(subprocess.Popen([ERKIN, "--dir", data, "serve", "--quiet", "--listen", f"127.0.0.1:{e_port}"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["nginx", "-c", nginx_conf(work, site, n_port), "-g", "daemon off;"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        sides = {"erkin": e_port, "nginx": n_port}
        if BEFORE:
            sides["before"] = free_port()
            procs.append(subprocess.Popen([BEFORE, "--dir", data, "serve", "--quiet", "--listen", f"127.0.0.1:{sides['before']}"],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for spec in [x for x in args["--sides"].split(",") if x]:
            side, binary = spec.split("=", 1)
            if side in sides:
                sys.exit(f"serve-vs-nginx: --sides names {side} twice")
            sides[side] = free_port()
            procs.append(subprocess.Popen([os.path.abspath(binary), "--dir", data, "serve", "--quiet", "--listen",
                                           f"127.0.0.1:{sides[side]}"],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in sides.values():
            wait_port(p)
        sizes = {}
        for t in targets:
            got = {s: fetch(f"http://127.0.0.1:{p}/{t}") for s, p in sides.items()}
            if BEFORE and got["before"] != got["nginx"]:
                raise RuntimeError(f"/{t}: the before server answers {len(got['before'])} bytes, nginx {len(got['nginx'])}, not the same")
            if got["erkin"] != got["nginx"]:
                raise RuntimeError(f"/{t}: erkin serve answers {len(got['erkin'])} bytes, nginx {len(got['nginx'])}, not the same")
            for s, body in got.items():
                again = fetch(f"http://127.0.0.1:{sides[s]}/{t}")
                if body != got["nginx"] or again != got["nginx"]:
                    raise RuntimeError(f"/{t}: {s} answers {len(body)} then {len(again)} bytes, nginx {len(got['nginx'])}, not the same")
            sizes[t] = len(got["erkin"])
        before = load()
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows = []
        kinds = dict(zip(["front", "article", "blob"], targets))
        for t in [kinds[k] for k in TARGETS]:
            for c in CONNS:
                runs = {s: [] for s in sides}
                for s, p in sides.items():
                    wrk(f"http://127.0.0.1:{p}/{t}", c, WARMUP)
                for r in range(ROUNDS):
                    order = list(sides) if r % 2 == 0 else list(reversed(sides))
                    for s in order:
                        got = wrk(f"http://127.0.0.1:{sides[s]}/{t}", c, SECONDS)
                        say(f"/{t} c={c} round {r + 1} {s}: {got[0]:.0f} req/s, p99 {got[1]:.2f} ms, errors {got[2]}, "
                            f"zero windows {got[3]} (load {load()})")
                        runs[s].append(got)
                rows.append((t, c, runs))
        after = load()
    finally:
        for p in procs:
            p.send_signal(signal.SIGQUIT if p.args[0] == "nginx" else signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        if not args["--work"]:
            shutil.rmtree(work, ignore_errors=True)

    def name(t):
        if t == "":
            return f"/ (front page, {sizes[t]:,} B)"
        if t.startswith("blob/"):
            return f"/blob/… ({sizes[t] / 2**20:.0f} MiB)"
        return f"/{t[:28]}… (article, {sizes[t]:,} B)"

    print(f"When: {started}, {ROUNDS} alternating rounds of {SECONDS} s per side after a {WARMUP} s warm-up each; "
          f"load average (1, 5, 15 min) {before} before, {after} after.")
    print()
    extra_head = " before req/s, median (range) | ratio before | before p99 | before zero windows |" if BEFORE else ""
    print("| target | conns | erkin req/s, median (range) | nginx req/s, median (range) | ratio | erkin p99 | nginx p99 | p99 ratio | errors (erkin / nginx) | zero windows, median (erkin / nginx) |" + extra_head)
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|---|" if BEFORE else ""))
    def before_cells(b, nr):
        br, bp = [x[0] for x in b], [x[1] for x in b]
        return (f" {spread(br, lambda v: f'{v:,.0f}')} | {statistics.median(br) / statistics.median(nr):.2f} | "
                f"{spread(bp, lambda v: f'{v:.2f}')} ms | {statistics.median([x[3] for x in b]):,.0f} |")

    bad = []
    for t, c, runs in rows:
        e, n = runs["erkin"], runs["nginx"]
        er, nr = [x[0] for x in e], [x[0] for x in n]
        ep, np_ = [x[1] for x in e], [x[1] for x in n]
        ee, ne = sum(x[2] for x in e), sum(x[2] for x in n)
        if ee or ne:
            bad.append((t, c))
        print(f"| {name(t)} | {c} | {spread(er, lambda v: f'{v:,.0f}')} | {spread(nr, lambda v: f'{v:,.0f}')} | "
              f"{statistics.median(er) / statistics.median(nr):.2f} | {spread(ep, lambda v: f'{v:.2f}')} ms | "
              f"{spread(np_, lambda v: f'{v:.2f}')} ms | {statistics.median(ep) / statistics.median(np_):.2f} | {ee} / {ne} | "
              f"{statistics.median([x[3] for x in e]):,.0f} / {statistics.median([x[3] for x in n]):,.0f} |"
              + (before_cells(runs["before"], nr) if BEFORE else ""))
    extra = [s for s in sides if s not in ("erkin", "nginx", "before")]
    if extra:
        print()
        print("Every server, as multiples of nginx's medians (req/s; p99):")
        print()
        for t, c, runs in rows:
            nr = statistics.median([x[0] for x in runs["nginx"]])
            np_ = statistics.median([x[1] for x in runs["nginx"]])
            for s, xs in runs.items():
                r, p = [x[0] for x in xs], [x[1] for x in xs]
                print(f"- {name(t)}, {c} conns, {s}: {spread(r, lambda v: f'{v:,.0f}')} req/s ({statistics.median(r) / nr:.2f}x), "
                      f"p99 {spread(p, lambda v: f'{v:,.0f}')} ms ({statistics.median(p) / np_:.2f}x), "
                      f"zero windows {statistics.median([x[3] for x in xs]):,.0f}")
    if bad:
        sys.exit(f"serve-vs-nginx: errors at {bad}")


main()
PY
