"""A Restate greeter service (Python SDK) in revisions, served over HTTP or behind a local Lambda
endpoint. Used by the service deployer's end-to-end tests.

- ``python greeter.py http PORT REVISION``: hypercorn on 127.0.0.1:PORT serving that revision.
- ``python greeter.py lambda PORT LOG``: a local AWS endpoint on 127.0.0.1:PORT that answers
  Lambda ``Invoke`` (the function ARN's version picks the revision, run through the SDK's own
  Lambda adapter) and STS ``AssumeRole``; every call is appended to LOG as one JSON line, so a
  test can see which role restate-server assumed and which function version it invoked.
  restate-server reaches it through the AWS SDK's ``AWS_ENDPOINT_URL_LAMBDA`` and
  ``AWS_ENDPOINT_URL_STS``.

The HTTP one is ``Greeter``, the Lambda one ``LambdaGreeter``. Revision 1 has ``greet``; revision 2 changes its answer and adds ``farewell``.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import restate

HTTP_SERVICE = "Greeter"
LAMBDA_SERVICE = "LambdaGreeter"


def greeter(revision: int, name: str = HTTP_SERVICE) -> restate.Service:
    service = restate.Service(name)

    @service.handler()
    async def greet(ctx: restate.Context, name: str) -> str:
        return f"hello {name} from revision {revision}"

    if revision >= 2:

        @service.handler()
        async def farewell(ctx: restate.Context, name: str) -> str:
            return f"bye {name}"

    return service


def serve_http(port: int, revision: int) -> None:
    import asyncio

    import hypercorn.asyncio
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(hypercorn.asyncio.serve(restate.app([greeter(revision)]), config))


ASSUME_ROLE_ANSWER = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult><Credentials><AccessKeyId>ASIALOCALTEST</AccessKeyId>
<SecretAccessKey>local</SecretAccessKey><SessionToken>local</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>{arn}/session</Arn><AssumedRoleId>AROALOCAL:session</AssumedRoleId>
</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId>
</ResponseMetadata></AssumeRoleResponse>"""


def serve_lambda(port: int, log_path: str) -> None:
    # The SDK's Lambda adapter is chosen by this variable, as on Lambda itself.
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "greeter"
    # restate.app returns the SDK's Lambda handler here (the variable above), not an ASGI app.
    handlers: dict[int, Any] = {rev: restate.app([greeter(rev, LAMBDA_SERVICE)]) for rev in (1, 2)}

    def record(entry: dict[str, Any]) -> None:
        with open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")

    class Endpoint(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def answer(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urllib.parse.urlparse(self.path)
            if path.path.startswith("/2015-03-31/functions/"):
                self.invoke(urllib.parse.unquote(path.path.split("/")[3]), path.query, body)
                return
            form = urllib.parse.parse_qs(body.decode())
            if form.get("Action") == ["AssumeRole"]:
                role = form["RoleArn"][0]
                record({"call": "AssumeRole", "role_arn": role, "auth": self.key_id()})
                answer = ASSUME_ROLE_ANSWER.format(arn=role).encode()
                self.answer(200, answer, "text/xml")
                return
            self.answer(400, b'{"message": "unsupported"}', "application/json")

        def key_id(self) -> str:
            auth = self.headers.get("Authorization", "")
            return auth.split("Credential=")[-1].split("/")[0]

        def invoke(self, function: str, query: str, payload: bytes) -> None:
            qualifier = urllib.parse.parse_qs(query).get("Qualifier", [""])[0]
            version = qualifier or function.rsplit(":", 1)[-1]
            record(
                {
                    "call": "Invoke",
                    "function": function,
                    "qualifier": qualifier,
                    "auth": self.key_id(),
                }
            )
            if not version.isdigit() or int(version) not in handlers:
                body = json.dumps({"Type": "User", "Message": f"no version {version}"}).encode()
                self.answer(
                    404,
                    body,
                    "application/json",
                    **{"x-amzn-ErrorType": "ResourceNotFoundException"},
                )
                return
            result = handlers[int(version)](json.loads(payload), None)
            self.answer(
                200,
                json.dumps(result).encode(),
                "application/json",
                **{"X-Amz-Executed-Version": version},
            )

    HTTPServer(("127.0.0.1", port), Endpoint).serve_forever()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "http":
        serve_http(port, int(sys.argv[3]))
    else:
        serve_lambda(port, sys.argv[3])
