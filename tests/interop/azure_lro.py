"""azure-core's long-running-operation poller (LROPoller + LROBasePolling) against `sluice serve`.

Every Azure SDK and every TypeSpec/AutoRest-generated client polls with this code. It is driven
here exactly as such a client drives it, over real sockets, against the release or debug build
of `sluice serve` in front of a stand-in upstream on 127.0.0.1:

- the default algorithms, which pick the `Operation-Location` strategy (sluice's status view);
- the `Location` strategy alone (`lro_algorithms=[LocationPolling()]`), which judges by HTTP
  status: 202 while running, then the redirect to the result;

each for a job that succeeds (the poller returns the sanitized body), one that fails
(`HttpResponseError` carrying the problem) and one that is canceled.

Run: SLUICE_BIN=target/debug/sluice python tests/interop/azure_lro.py
"""

import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError
from azure.core.configuration import Configuration
from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline.policies import AzureKeyCredentialPolicy, RedirectPolicy, RetryPolicy
from azure.core.polling import LROPoller
from azure.core.polling.base_polling import LocationPolling, LROBasePolling
from azure.core.rest import HttpRequest

KEY = "azure-test-key"
MEMBERS = [
    {"login": "octocat", "email": "octocat@acme.com", "id": 1},
    {"login": "hubot", "email": "hubot@acme.com", "id": 2},
]

SPEC = """name: lro
target_host: api.example.com
enable_async_processing: true
async_output_destination: "file://{dir}/async"
rules:
  endpoints:
    - pathTemplate: /members
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
        - !<redact>
          jsonPaths: ['$[*].email']
    - pathTemplate: /slow
    - pathTemplate: /missing
"""


class Upstream(http.server.BaseHTTPRequestHandler):
    """The stand-in upstream: members, a slow answer, and a 404."""

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        if self.path.startswith("/members"):
            self.answer(200, MEMBERS)
        elif self.path.startswith("/slow"):
            time.sleep(2)
            self.answer(200, {"done": True})
        else:
            self.answer(404, {"message": "Not Found"})

    def answer(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass  # the proxy gave up the call: a canceled job

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AzureLroPoller(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=cls.upstream.serve_forever, daemon=True).start()
        cls.dir = tempfile.TemporaryDirectory()
        spec = os.path.join(cls.dir.name, "lro.yaml")
        with open(spec, "w") as f:
            f.write(SPEC.format(dir=cls.dir.name))
        port = free_port()
        cls.base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            SLUICE_LISTEN=f"127.0.0.1:{port}",
            SLUICE_UPSTREAM=f"http://127.0.0.1:{cls.upstream.server_address[1]}",
            SLUICE_SALT="salt",
            SLUICE_ENCRYPTION_KEY="secret",
            SLUICE_API_KEYS=KEY,
            SLUICE_POLL_RATE="50",
        )
        binary = os.environ.get("SLUICE_BIN", "target/debug/sluice")
        cls.log = open(os.path.join(cls.dir.name, "sluice.log"), "w")
        cls.proxy = subprocess.Popen(
            [binary, "serve", "--spec", spec], env=env, stdout=cls.log, stderr=cls.log
        )
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(cls.base + "/_sluice/readyz", timeout=1):
                    break
            except OSError:
                if time.time() > deadline or cls.proxy.poll() is not None:
                    raise RuntimeError(open(cls.log.name).read())
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.terminate()
        cls.proxy.wait(10)
        cls.log.close()
        cls.upstream.shutdown()
        cls.dir.cleanup()

    def client(self):
        # As a generated client configures its pipeline (its `_configuration.py`): redirects
        # followed, the credential as an authentication policy (which runs after the redirect
        # policy, which drops `Authorization` from every redirected request); retries off so
        # that a failure is reported at once rather than after the retry policy's back-off.
        config = Configuration()
        config.authentication_policy = AzureKeyCredentialPolicy(
            AzureKeyCredential(KEY), "Authorization", prefix="Bearer"
        )
        config.redirect_policy = RedirectPolicy()
        config.retry_policy = RetryPolicy(retry_total=0)
        client = PipelineClient(base_url=self.base, config=config)
        self.addCleanup(client.close)
        return client

    def begin(self, path, strategy):
        client = self.client()
        initial = client.send_request(
            HttpRequest("GET", self.base + path, headers={"Prefer": "respond-async"}),
            _return_pipeline_response=True,
        )
        self.assertEqual(initial.http_response.status_code, 202, initial.http_response.text())
        algorithms = [LocationPolling()] if strategy == "location" else None
        polling = LROBasePolling(timeout=0.2, lro_algorithms=algorithms)
        return LROPoller(client, initial, lambda r: r.http_response.json(), polling)

    def check_result(self, strategy):
        poller = self.begin("/members", strategy)
        members = poller.result(timeout=30)
        self.assertEqual(poller.status().lower(), "succeeded")
        self.assertEqual([m["id"] for m in members], [1, 2])
        for member in members:
            self.assertNotIn("email", member, "redacted")
            self.assertNotIn(member["login"], {"octocat", "hubot"}, "pseudonymized")

    def check_failure(self, strategy):
        poller = self.begin("/missing", strategy)
        with self.assertRaises(HttpResponseError) as raised:
            poller.result(timeout=30)
        error = raised.exception
        body = error.response.json()
        text = json.dumps(body)
        self.assertIn("upstream-error", text, "the problem reaches the caller")
        self.assertIn("404", text)
        if strategy == "location":
            # The redirect leads to the failure's problem, as the synchronous call answers.
            self.assertEqual(error.status_code, 404)
            self.assertEqual(body["type"], "/_sluice/problems/upstream-error")
        else:
            self.assertEqual(poller.status(), "failed")
            self.assertEqual(body["status"], "failed")
            self.assertEqual(body["error"]["code"], "upstream-error")
            self.assertIn("upstream-error", str(error))

    def check_cancel(self, strategy):
        poller = self.begin("/slow", strategy)
        job = poller.polling_method()._initial_response.http_response.json()
        deleted = self.client().send_request(
            HttpRequest("DELETE", f"{self.base}/_sluice/jobs/{job['id']}")
        )
        self.assertEqual(deleted.status_code, 200, deleted.text())
        self.assertEqual(deleted.json()["status"], "canceled")
        with self.assertRaises(HttpResponseError) as raised:
            poller.result(timeout=30)
        self.assertIn("canceled", raised.exception.response.text())
        if strategy == "location":
            self.assertEqual(raised.exception.status_code, 409)
        else:
            self.assertEqual(poller.status(), "canceled")

    def test_operation_location_result(self):
        self.check_result("operation-location")

    def test_operation_location_failure(self):
        self.check_failure("operation-location")

    def test_operation_location_cancel(self):
        self.check_cancel("operation-location")

    def test_location_result(self):
        self.check_result("location")

    def test_location_failure(self):
        self.check_failure("location")

    def test_location_cancel(self):
        self.check_cancel("location")

    def test_the_initial_answer_names_both_urls_absolutely(self):
        poller = self.begin("/members", "operation-location")
        headers = poller.polling_method()._initial_response.http_response.headers
        job = poller.polling_method()._initial_response.http_response.json()
        self.assertEqual(headers["Location"], f"{self.base}/_sluice/jobs/{job['id']}")
        self.assertEqual(
            headers["Operation-Location"], f"{self.base}/_sluice/jobs/{job['id']}?view=status"
        )
        self.assertEqual(job["status"], "notStarted")
        poller.result(timeout=30)


if __name__ == "__main__":
    sys.exit(unittest.main())
