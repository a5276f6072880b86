#!/usr/bin/env python3
"""Links accounts b<first>..b<last> for tests/bench/mint.sh, fast.

POST /mint/api/v1/account over --connections keep-alive connections (one
thread each); every link must answer 201. Prints `links n`, `seconds s` and
`failed k` (with the first few failures on stderr).
"""
import argparse
import http.client
import json
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bank-port", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=8)
    a = ap.parse_args()
    failed = []
    lock = threading.Lock()

    def run(k):
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        for i in range(k + 1, a.accounts + 1, a.connections):
            body = json.dumps({
                "user_id": "b%d" % i,
                "account_url": "http://127.0.0.1:%d/bank" % a.bank_port,
                "account_login": "b%d" % i,
                "account_password": "pass-b%d" % i})
            conn.request("POST", "/mint/api/v1/account", body,
                         {"Content-Type": "application/json"})
            r = conn.getresponse()
            text = r.read()
            if r.status != 201:
                with lock:
                    failed.append("b%d: %d %s" % (i, r.status, text[:200]))

    t0 = time.time()
    threads = [threading.Thread(target=run, args=(k,))
               for k in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("links", a.accounts)
    print("seconds", "%.3f" % (time.time() - t0))
    print("failed", len(failed))
    for f in failed[:5]:
        print(f, file=sys.stderr)


if __name__ == "__main__":
    main()
