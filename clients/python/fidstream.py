#!/usr/bin/env python3
"""fidstream client: stream generated samples from a training loop to a fidstream server.

One file, the Python standard library plus numpy; torch tensors are accepted wherever arrays are (they are
moved to the CPU and converted with ``.numpy()``). Copy it next to your training script, or put
``clients/python`` on PYTHONPATH.

    from fidstream import Client

    client = Client("http://localhost:8000")          # the key comes from FIDSTREAM_API_KEY
    ref = client.create_reference("cifar10-train", real_features)   # N x D features, images, or a stats .npz
    run = client.create_run("dcgan seed 1", ref, tags=["dcgan", "seed:1"])
    for step in training:
        ...
        run.upload_async(features_of_generated_batch)  # returns at once; a background thread uploads
    print(run.finalize()["fid"])                       # waits for pending uploads, then the exact numbers

Every batch carries an Idempotency-Key, ``<key_prefix><sequence number>`` unless you pass one: retries (5xx,
429 with its Retry-After, lost connections, a restarted server) never count a batch twice, and a script
re-run against the same run with the same data replays instead of adding. Processes uploading to one run
together need a key_prefix each (e.g. the rank).

As a command:  python3 fidstream.py upload|watch|finalize ...  (``python3 fidstream.py --help``).
"""

from __future__ import annotations

import argparse
import atexit
import email.utils
import http.client
import io
import json
import os
import queue
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["Client", "Run", "FidstreamError", "FidstreamConnectionError"]

ArrayLike = Any  # numpy arrays, torch tensors, anything np.asarray takes
PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_URL = "http://localhost:8000"
_NPY = "application/x-npy"
_ZIP = "application/zip"
# A reference body is sent in parts of at most this many bytes (the server's default limit is 256 MiB).
_MAX_PART_BYTES = 64 * 1024 * 1024


class FidstreamError(Exception):
    """The server refused a request: ``status`` (HTTP), ``code`` and ``message`` from its JSON error."""

    def __init__(self, status: int, code: str, message: str, request: str = "") -> None:
        super().__init__(f"HTTP {status} {code}: {message}" + (f" ({request})" if request else ""))
        self.status = status
        self.code = code
        self.message = message


class FidstreamConnectionError(FidstreamError):
    """The server could not be reached (or stopped answering) and the retries ran out."""

    def __init__(self, message: str, request: str = "") -> None:
        super().__init__(0, "connection_failed", message, request)


def _as_numpy(array: ArrayLike) -> np.ndarray:
    """A numpy array from numpy input or a torch tensor (detached, moved to the CPU)."""
    if hasattr(array, "detach") and hasattr(array, "cpu"):  # torch.Tensor, without importing torch
        tensor = array.detach().cpu()
        if str(getattr(tensor, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        array = tensor.numpy()
    out = np.asarray(array)
    if out.dtype == np.float16:
        out = out.astype(np.float32)
    return out


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _npz_bytes(arrays: Mapping[str, ArrayLike]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: _as_numpy(v) for k, v in arrays.items()})
    return buf.getvalue()


def _multipart(parts: Sequence[Tuple[str, str, bytes, str]]) -> Tuple[bytes, str]:
    """A multipart/form-data body of (field, filename, bytes, content type) parts, and its content type."""
    boundary = "fidstream-" + uuid.uuid4().hex
    out = io.BytesIO()
    for field, filename, data, ctype in parts:
        out.write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename else "")
        out.write(f"Content-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connection_refused(error: BaseException) -> bool:
    """Whether the request certainly never reached a server (nothing listened)."""
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError)


class Client:
    """A fidstream server: references, runs and their metrics.

    url: the server (default FIDSTREAM_URL, else http://localhost:8000). key: an API key (default
    FIDSTREAM_API_KEY; None against a server started with FIDSTREAM_AUTH=off). retries: attempts after the
    first for 5xx, 429 and connection errors, waiting backoff * 2^attempt seconds (with jitter, at most
    max_backoff, or the server's Retry-After). timeout: seconds per request.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        key: Optional[str] = None,
        *,
        retries: int = 10,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 300.0,
    ) -> None:
        self.url = (url or os.environ.get("FIDSTREAM_URL") or DEFAULT_URL).rstrip("/")
        if "://" not in self.url:
            self.url = "http://" + self.url
        self.key = key if key is not None else (os.environ.get("FIDSTREAM_API_KEY") or "").strip() or None
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        return min(self.backoff * 2**attempt, self.max_backoff) * (0.5 + 0.5 * random.random())

    def _open(
        self,
        method: str,
        path: str,
        *,
        body: Optional[bytes] = None,
        content_type: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotent: bool = True,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
    ) -> http.client.HTTPResponse:
        """Sends a request, retrying what may be retried; returns the open response of a 2xx answer.

        A request that is not idempotent (creating a reference or a run) is retried only when the server
        certainly did not act on it: an error status (a refused request changes nothing) or a refused
        connection. Idempotent ones (reads, keyed batches, finalize) are retried after any connection error.
        """
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        all_headers = {"User-Agent": "fidstream-python", "Accept": "application/json"}
        if self.key:
            all_headers["Authorization"] = f"Bearer {self.key}"
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        limit = self.retries if retries is None else retries
        what = f"{method} {path}"
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
            try:
                return urllib.request.urlopen(request, timeout=timeout or self.timeout)
            except urllib.error.HTTPError as e:
                text = e.read()
                e.close()
                error = _error_from_body(e.code, text, what)
                if not (e.code >= 500 or e.code == 429) or attempt >= limit:
                    raise error from None
                wait = self._delay(attempt, _retry_after_seconds(e.headers.get("Retry-After")))
            except (OSError, http.client.HTTPException) as e:  # URLError, resets, timeouts
                if (not idempotent and not _connection_refused(e)) or attempt >= limit:
                    raise FidstreamConnectionError(f"{type(e).__name__}: {e}", what) from e
                wait = self._delay(attempt)
            attempt += 1
            time.sleep(wait)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: Optional[bytes] = None,
        content_type: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotent: bool = True,
    ) -> Any:
        """Any API call: the parsed JSON answer (raises FidstreamError for an error status)."""
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        what = f"{method} {path}"
        attempt = 0
        while True:
            response = self._open(
                method, path, body=body, content_type=content_type, headers=headers, query=query,
                idempotent=idempotent,
            )
            try:
                with response:
                    data = response.read()
                return json.loads(data) if data else None
            except (OSError, http.client.HTTPException) as e:  # the answer was cut off
                if not idempotent or attempt >= self.retries:
                    raise FidstreamConnectionError(f"{type(e).__name__}: {e}", what) from e
            attempt += 1
            time.sleep(self._delay(attempt))

    # -- references ------------------------------------------------------------------------------------------

    def create_reference(
        self,
        name: str,
        data: Union[ArrayLike, PathLike, Mapping[str, ArrayLike]],
        *,
        features: Optional[str] = None,
        layout: Optional[str] = None,
        n: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Registers real-data statistics and returns the reference (id, name, dim, n, ...).

        data: an N x D features array; an image array (N x H x W, NHWC or NCHW, uint8 0..255 or float 0..1)
        whose features the server extracts in ``features`` (e.g. "mnist-lenet", "fid-inception");
        {"mu": ..., "sigma": ...}; or the path of a pytorch-fid/clean-fid stats .npz or of a .npy. n: for
        statistics only, how many samples made them (else the reference's n is unknown, null). Large arrays
        are sent in parts of at most 64 MiB.
        """
        query: Dict[str, Any] = {"name": name, "features": features, "layout": layout, "n": n}
        if isinstance(data, (str, os.PathLike)):
            path = Path(data)
            raw = path.read_bytes()
            if raw[:4] == b"PK\x03\x04":
                return self.request("POST", "/v1/references", body=raw, content_type=_ZIP, query=query,
                                    idempotent=False)
            return self.request("POST", "/v1/references", body=raw, content_type=_NPY, query=query,
                                idempotent=False)
        if isinstance(data, Mapping):
            return self.request("POST", "/v1/references", body=_npz_bytes(data), content_type=_ZIP,
                                query=query, idempotent=False)
        array = _as_numpy(data)
        if array.ndim == 0 or array.shape[0] == 0:
            raise ValueError("the reference array is empty")
        rows = max(1, _MAX_PART_BYTES // max(1, array[0].nbytes))
        upload = uuid.uuid4().hex[:12]
        reference = self.request("POST", "/v1/references", body=_npy_bytes(array[:rows]), content_type=_NPY,
                                 query=query, headers={"Idempotency-Key": f"py-ref-{upload}-0"},
                                 idempotent=False)
        for part, start in enumerate(range(rows, array.shape[0], rows), start=1):
            answer = self.request("POST", f"/v1/references/{reference['id']}/batches",
                                  body=_npy_bytes(array[start:start + rows]), content_type=_NPY,
                                  headers={"Idempotency-Key": f"py-ref-{upload}-{part}"})
            reference["n"] = answer["n"]
        return reference

    def reference(self, id_or_name: str) -> Dict[str, Any]:
        """A reference by id, or by name when exactly one reference has it."""
        try:
            return self.request("GET", f"/v1/references/{urllib.parse.quote(id_or_name, safe='')}")
        except FidstreamError as e:
            if e.status != 404:
                raise
        return _only_named(self.references(), id_or_name, "reference")

    def references(self) -> List[Dict[str, Any]]:
        """Every reference of the key's project, newest first."""
        return self.request("GET", "/v1/references")["references"]

    # -- runs ------------------------------------------------------------------------------------------------

    def create_run(
        self,
        name: str,
        reference: Union[str, Mapping[str, Any]],
        tags: Optional[Sequence[str]] = None,
        config: Optional[Mapping[str, Any]] = None,
        *,
        key_prefix: str = "py-",
    ) -> "Run":
        """Starts a run against a reference (its id, its name when unique, or the dict create_reference gave).

        config: e.g. {"kid": False}, {"retain_features": False}, {"prdc": {"k": 5}} (see the README).
        """
        ref = reference["id"] if isinstance(reference, Mapping) else reference
        body: Dict[str, Any] = {"name": name, "reference": ref, "tags": list(tags or [])}
        if config is not None:
            body["config"] = dict(config)
        info = self.request("POST", "/v1/runs", json_body=body, idempotent=False)
        return Run(self, info, key_prefix=key_prefix)

    def run(self, id_or_name: str, *, key_prefix: str = "py-", sequence: int = 0) -> "Run":
        """An existing run by id, or by name when exactly one run has it.

        sequence: the number of batches this process already uploaded to it through this client (the next
        automatic Idempotency-Key continues from there).
        """
        try:
            info = self.request("GET", f"/v1/runs/{urllib.parse.quote(id_or_name, safe='')}")
        except FidstreamError as e:
            if e.status != 404:
                raise
            info = _only_named(self.request("GET", "/v1/runs")["runs"], id_or_name, "run")
        return Run(self, info, key_prefix=key_prefix, sequence=sequence)

    def runs(self) -> List[Dict[str, Any]]:
        """Every run of the key's project, newest first."""
        return self.request("GET", "/v1/runs")["runs"]


def _error_from_body(status: int, body: bytes, request: str) -> FidstreamError:
    try:
        error = json.loads(body)["error"]
        return FidstreamError(status, str(error["code"]), str(error["message"]), request)
    except (ValueError, KeyError, TypeError):
        return FidstreamError(status, "http_error", body[:300].decode("utf-8", "replace"), request)


def _only_named(items: List[Dict[str, Any]], name: str, what: str) -> Dict[str, Any]:
    named = [item for item in items if item.get("name") == name]
    if len(named) == 1:
        return named[0]
    if not named:
        raise FidstreamError(404, f"{what}_not_found", f"no {what} has the id or name {name!r}")
    ids = ", ".join(item["id"] for item in named)
    message = f"{len(named)} {what}s are named {name!r} ({ids}): use an id"
    raise FidstreamError(422, f"{what}_ambiguous", message)


class Run:
    """One run: upload batches (synchronously, or through a bounded background queue), follow its metrics as
    they stream, finalize it; for a VAE, upload its decoder/encoder and draw grids or generate samples."""

    def __init__(
        self,
        client: Client,
        info: Mapping[str, Any],
        *,
        key_prefix: str = "py-",
        sequence: int = 0,
        max_pending: int = 8,
    ) -> None:
        self.client = client
        self.info: Dict[str, Any] = dict(info)
        self.id: str = self.info["id"]
        self.key_prefix = key_prefix
        self.sequence = sequence
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # notified whenever a queued batch is done
        self._queue: Optional["queue.Queue[Any]"] = None
        self._worker: Optional[threading.Thread] = None
        self._pending = 0
        self._errors: List[BaseException] = []
        self._last: Optional[Dict[str, Any]] = None
        self._uploaded = 0

    def __repr__(self) -> str:
        return f"Run({self.id!r}, name={self.info.get('name')!r})"

    @property
    def name(self) -> str:
        """The run's name."""
        return str(self.info.get("name"))

    def refresh(self) -> Dict[str, Any]:
        """The run as the server has it now (status, n, latest and final metrics)."""
        self.info = self.client.request("GET", f"/v1/runs/{self.id}")
        return self.info

    def metrics(self) -> List[Dict[str, Any]]:
        """Every partial and final metrics snapshot so far, oldest first."""
        return self.client.request("GET", f"/v1/runs/{self.id}/metrics")["metrics"]

    # -- batches ---------------------------------------------------------------------------------------------

    def _next_key(self, key: Optional[str]) -> str:
        with self._lock:
            sequence = self.sequence
            self.sequence += 1
        return key if key is not None else f"{self.key_prefix}{sequence}"

    def _post(self, body: bytes, key: str) -> Dict[str, Any]:
        return self.client.request("POST", f"/v1/runs/{self.id}/batches", body=body, content_type=_NPY,
                                   headers={"Idempotency-Key": key})

    def upload(self, array: ArrayLike, key: Optional[str] = None) -> Dict[str, Any]:
        """Uploads one batch (N x D features, or images the server extracts) and waits for the answer
        {"batch", "n", "replayed"}; retries until it is durable. key: the Idempotency-Key (default: the next
        automatic one)."""
        body = _npy_bytes(_as_numpy(array))
        return self._post(body, self._next_key(key))

    def upload_async(self, array: ArrayLike, key: Optional[str] = None) -> None:
        """Queues one batch for a background thread and returns at once (blocking only while max_pending
        batches already wait: the network is slower than the training loop). The array is copied now, so its
        buffer may be reused. Errors surface at the next upload_async, flush() or finalize()."""
        self._raise_errors()
        snapshot = np.array(_as_numpy(array), copy=True)
        chosen = self._next_key(key)
        with self._lock:
            if self._queue is None:
                self._queue = queue.Queue(maxsize=max(1, self.max_pending))
                # A daemon thread never holds up the interpreter's exit; atexit flushes what is still queued.
                self._worker = threading.Thread(target=self._drain, name=f"fidstream-{self.id}", daemon=True)
                self._worker.start()
                atexit.register(self._flush_at_exit)
            self._pending += 1
        self._queue.put((snapshot, chosen))

    def _drain(self) -> None:
        assert self._queue is not None
        while True:
            array, key = self._queue.get()
            answer: Optional[Dict[str, Any]] = None
            error: Optional[BaseException] = None
            try:
                answer = self._post(_npy_bytes(array), key)
            except BaseException as e:  # kept for flush(); the thread goes on with the next batch
                error = e
            with self._settled:
                if error is not None:
                    self._errors.append(error)
                else:
                    self._last = answer
                    self._uploaded += 1
                self._pending -= 1
                self._settled.notify_all()

    def _raise_errors(self) -> None:
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            more = f" (and {len(errors) - 1} more failed batches)" if len(errors) > 1 else ""
            raise FidstreamError(getattr(errors[0], "status", 0), getattr(errors[0], "code", "upload_failed"),
                                 f"a background upload failed: {errors[0]}{more}") from errors[0]

    def flush(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Waits until every queued batch is uploaded; raises the first background error. Returns
        {"batches": uploaded in the background so far, "n": the run's n after the last of them}."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._settled:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"{self._pending} batches still uploading after {timeout} s")
                self._settled.wait(left)
        self._raise_errors()
        with self._lock:
            return {"batches": self._uploaded, "n": (self._last or {}).get("n", self.info.get("n", 0))}

    def _flush_at_exit(self) -> None:
        if not self._pending:
            return
        try:
            self.flush()
        except BaseException as e:  # at exit nothing can catch it: say so
            print(f"fidstream: run {self.id}: uploads pending at exit failed: {e}", file=sys.stderr)

    def upload_reconstructions(
        self, x: ArrayLike, x_hat: ArrayLike, key: Optional[str] = None
    ) -> Dict[str, Any]:
        """Uploads inputs and their reconstructions (same shape, floats in [0, 1]) for recon_bce/recon_mse."""
        body = _npz_bytes({"x": x, "x_hat": x_hat})
        return self.client.request("POST", f"/v1/runs/{self.id}/reconstructions", body=body,
                                   content_type=_ZIP, headers={"Idempotency-Key": self._next_key(key)})

    def upload_latents(
        self, z_mean: ArrayLike, z_log_var: ArrayLike, key: Optional[str] = None
    ) -> Dict[str, Any]:
        """Uploads encoder posteriors (N x latent_dim means and log-variances) for the KL metrics."""
        body = _npz_bytes({"z_mean": z_mean, "z_log_var": z_log_var})
        return self.client.request("POST", f"/v1/runs/{self.id}/latents", body=body, content_type=_ZIP,
                                   headers={"Idempotency-Key": self._next_key(key)})

    # -- metrics ---------------------------------------------------------------------------------------------

    def events(self, *, reconnect: bool = True, read_timeout: float = 60.0,
               progress: bool = False, complete: bool = False) -> Iterator[Dict[str, Any]]:
        """Iterates the run's metrics as they stream (Server-Sent Events): dicts with "event" ("metrics", then
        "final" last) and the snapshot's fields (n, fid, kid, ...); with progress=True also finalize's
        "progress" events (phase, elapsed_s, done). From D = 1024 on a "metrics" snapshot first carries the
        FID with "pending": ["vendi"] and the same n follows with the Vendi score. A dropped connection is
        reopened with the last event's id, so nothing is repeated; the iterator ends after the first "final".
        Work finalize leaves for after its answer (FID-infinity) is named in that final's "pending" list and
        arrives in a later "final" (and in GET run); with complete=True the iterator goes on to that one and
        ends after the final with nothing pending. A stream the server ends with an "error" event (its key was
        revoked) raises FidstreamError."""
        last_id: Optional[str] = None
        attempt = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            try:
                response = self.client._open("GET", f"/v1/runs/{self.id}/events", headers=headers,
                                             timeout=read_timeout)
                attempt = 0
                with response:
                    event, data, event_id = "message", [], None
                    for raw in response:
                        line = raw.decode("utf-8").rstrip("\r\n")
                        if line.startswith(":"):
                            continue
                        if line:
                            field, _, value = line.partition(":")
                            value = value[1:] if value.startswith(" ") else value
                            if field == "event":
                                event = value
                            elif field == "data":
                                data.append(value)
                            elif field == "id":
                                event_id = value
                            continue
                        if data and event == "progress" and not progress:
                            event, data, event_id = "message", [], None
                            continue
                        if data and event == "error":
                            err = json.loads("\n".join(data))
                            raise FidstreamError(401 if err.get("code") == "key_revoked" else 0, err.get("code", "stream_error"),
                                                 err.get("message", ""))
                        if data and not (event_id is not None and event_id == last_id):
                            payload = json.loads("\n".join(data))
                            out = dict(payload) if isinstance(payload, dict) else {"data": payload}
                            out["event"] = event
                            last_id = event_id if event_id is not None else last_id
                            if event == "final":
                                self.info.update(status="finalized", final=payload)
                            yield out
                            if event == "final" and not (complete and payload.get("pending")):
                                return
                        event, data, event_id = "message", [], None
            except FidstreamConnectionError:
                pass
            except (OSError, http.client.HTTPException):  # the stream broke mid-way (server restart, timeout)
                pass
            if not reconnect:
                return
            time.sleep(self.client._delay(attempt))
            attempt += 1

    def finalize(self, complete: bool = False) -> Dict[str, Any]:
        """Waits for queued uploads, closes the run and returns its exact final metrics (n, fid, kid, ...) as
        soon as the server answers; their "pending" list names what follows (FID-infinity). With
        complete=True it also waits for that, over the event stream, and returns the completed final."""
        self.flush()
        final = self.client.request("POST", f"/v1/runs/{self.id}/finalize")
        if complete and final.get("pending"):
            for event in self.events(complete=True):
                if event["event"] == "final" and not event.get("pending"):
                    final = {k: v for k, v in event.items() if k != "event"}
        self.info.update(status="finalized", final=final, n=final.get("n"))
        return final

    # -- models, grids, generation ---------------------------------------------------------------------------

    def upload_model(self, role: str, model: PathLike, **options: Any) -> Dict[str, Any]:
        """Uploads the run's "decoder" or "encoder": a TensorFlow.js model folder (model.json + weights) or a
        .zip of one. options (latent_dim, output_shape, output_range, input_shape, ...) go with it."""
        path = Path(model)
        if path.is_dir():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    z.write(file, file.relative_to(path).as_posix())
                if options:
                    z.writestr("fidstream.json", json.dumps(options))
            body = buf.getvalue()
        else:
            if options:
                raise ValueError("options go with a model folder; put a fidstream.json in the zip instead")
            body = path.read_bytes()
        return self.client.request("POST", f"/v1/runs/{self.id}/models/{role}", body=body, content_type=_ZIP)

    def models(self) -> List[Dict[str, Any]]:
        """The run's uploaded models."""
        return self.client.request("GET", f"/v1/runs/{self.id}/models")["models"]

    def grid(self, kind: str = "samples", x: Optional[ArrayLike] = None, **params: Any) -> Dict[str, Any]:
        """Draws a seeded PNG grid with the run's decoder and stores it with the run: kind "samples" (n, seed,
        cols), "traversal" (steps, rows, seed), "dimensions" (dims, range, steps, base, seed) or
        "interpolation" (x: two images [2, H, W(, C)]; steps). The same request returns the same image."""
        request = {"kind": kind, **params}
        if x is None:
            return self.client.request("POST", f"/v1/runs/{self.id}/grids", json_body=request)
        body, ctype = _multipart([
            ("request", "", json.dumps(request).encode(), "application/json"),
            ("x", "x.npz", _npz_bytes({"x": x}), _ZIP),
        ])
        return self.client.request("POST", f"/v1/runs/{self.id}/grids", body=body, content_type=ctype)

    def images(self) -> List[Dict[str, Any]]:
        """The run's stored images (grids and galleries): id, url, caption."""
        return self.client.request("GET", f"/v1/runs/{self.id}/images")["images"]

    def image(self, image: Union[str, Mapping[str, Any]]) -> bytes:
        """One stored image's PNG bytes (by id, or the dict images() / grid() gave)."""
        image_id = image["id"] if isinstance(image, Mapping) else image
        with self.client._open("GET", f"/v1/runs/{self.id}/images/{image_id}") as response:
            return response.read()

    def generate(self, n: int, seed: int = 0, *, chunk: Optional[int] = None,
                 features: Optional[str] = None) -> Dict[str, Any]:
        """Decodes n seeded prior samples with the run's decoder; the server extracts their features and adds
        them to the run like uploaded batches (a retry never counts twice)."""
        body: Dict[str, Any] = {"n": n, "seed": seed}
        if chunk is not None:
            body["chunk"] = chunk
        if features is not None:
            body["features"] = features
        return self.client.request("POST", f"/v1/runs/{self.id}/generate", json_body=body)


# -- command line ------------------------------------------------------------------------------------------


def _load_rows(path: str) -> np.ndarray:
    array = np.load(path, allow_pickle=False)
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise SystemExit(f"error: {path} is an .npz; upload takes .npy feature (or image) arrays")
    return array


def _cli(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fidstream.py",
        description="Upload batches to a fidstream run, watch its metrics stream, finalize it. The server is "
        "--url or FIDSTREAM_URL (default http://localhost:8000), the key FIDSTREAM_API_KEY or --key.",
    )
    parser.add_argument("--url", default=None, help="the server (default FIDSTREAM_URL, else localhost:8000)")
    parser.add_argument("--key", default=None, help="API key (default FIDSTREAM_API_KEY)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upload", help="upload .npy files to a run in batches of --chunk rows")
    up.add_argument("--run", required=True, help="run id (or unique name)")
    up.add_argument("--chunk", type=int, default=1000, help="rows per batch (default 1000)")
    up.add_argument("--key-prefix", default=None,
                    help="Idempotency-Key prefix (default: from the files' content; a re-run replays)")
    up.add_argument("files", nargs="+", help=".npy arrays of features or images")
    watch = commands.add_parser("watch", help="print the run's metrics as JSON lines until its final is complete")
    watch.add_argument("--run", required=True, help="run id (or unique name)")
    fin = commands.add_parser("finalize", help="finalize the run and print its final metrics")
    fin.add_argument("--run", required=True, help="run id (or unique name)")
    args = parser.parse_args(argv)
    client = Client(args.url, args.key)
    try:
        if args.command == "upload":
            arrays = [_load_rows(f) for f in args.files]
            if args.key_prefix is None:  # the files' content names the keys: the same upload again replays
                import hashlib
                digest = hashlib.sha256()
                for a in arrays:
                    digest.update(_npy_bytes(a))
                args.key_prefix = f"py-upload-{digest.hexdigest()[:16]}-{args.chunk}-"
            run = client.run(args.run, key_prefix=args.key_prefix)
            answer: Dict[str, Any] = {}
            batches = 0
            for array in arrays:
                for start in range(0, len(array), max(1, args.chunk)):
                    answer = run.upload(array[start:start + args.chunk])
                    batches += 1
            print(json.dumps({"run": run.id, "files": len(arrays), "batches": batches, "n": answer.get("n")}))
        elif args.command == "watch":
            for event in client.run(args.run).events(complete=True):
                print(json.dumps(event), flush=True)
        else:
            print(json.dumps(client.run(args.run).finalize()))
    except FidstreamError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
