#!/usr/bin/env python3
# ExaBGP API process for the conformance tests. ExaBGP runs it with two arguments:
#   argv[1]  a command file the test appends lines to ("announce route ..."); each complete
#            new line is copied to stdout, which ExaBGP reads as an API command;
#   argv[2]  an event file: every line ExaBGP writes to our stdin (JSON events, "done"
#            acknowledgements) is appended there for the test to read.
# It exits as soon as ExaBGP closes our stdin, so nothing outlives the daemon.
import os
import sys
import threading
import time

cmd_path, event_path = sys.argv[1], sys.argv[2]


def feed():
    pos = 0
    while True:
        try:
            with open(cmd_path, 'rb') as f:
                f.seek(pos)
                data = f.read()
        except FileNotFoundError:
            data = b''
        end = data.rfind(b'\n')
        if end >= 0:
            chunk = data[: end + 1]
            pos += len(chunk)
            sys.stdout.write(chunk.decode())
            sys.stdout.flush()
        time.sleep(0.05)


threading.Thread(target=feed, daemon=True).start()
with open(event_path, 'a') as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
os._exit(0)
