"""A training loop's uploads while the server is killed with SIGKILL and restarted (by fidstream_test.ts).

Prints {"run": id} once the run exists, then uploads 300 batches (every third synchronously, the rest through
the background queue) with a watcher following the run's events, finalizes, and prints the final metrics with
the offline FID of everything it sent. The Deno side kills the server mid-way; the client's retries and the
Idempotency-Keys must still give the exact n and FID.
"""

import json
import threading

import numpy as np

from fidstream import Client
from test_fidstream import offline_fid

D = 8

client = Client(retries=100, backoff=0.05, max_backoff=1.0)
rng = np.random.default_rng(11)
real = rng.standard_normal((300, D)).astype(np.float32)
reference = client.create_reference("kill9-real", real)
run = client.create_run("kill9", reference, config={"kid": False, "prdc": False})
print(json.dumps({"run": run.id}), flush=True)

events: list = []
watcher = threading.Thread(target=lambda: events.extend(run.events()))
watcher.start()

batches = [(rng.standard_normal((int(rng.integers(3, 12)), D)) * 1.1 + 0.2).astype(np.float32)
           for _ in range(300)]
for i, batch in enumerate(batches):
    if i % 3 == 0:
        run.upload(batch)
    else:
        run.upload_async(batch)
final = run.finalize()
watcher.join(120)
gen = np.concatenate(batches)
print(json.dumps({
    "final": final,
    "sent": int(len(gen)),
    "offline_fid": offline_fid(real, gen),
    "events": len(events),
    "last_event": events[-1] if events else None,
}), flush=True)
