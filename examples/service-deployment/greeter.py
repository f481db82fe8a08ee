"""The example's Restate service, run on AWS Lambda (Python 3.12) with the Restate Python SDK.

Packaged with its dependency: ``pip install restate-sdk --target package/ --platform
manylinux2014_aarch64 --only-binary=:all: --python-version 3.12`` and this file, zipped
(main.py does it when ``package/`` exists; otherwise it zips this file alone, enough to plan).
"""

import restate

greeter = restate.Service("Greeter")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"hello {name}"


# On Lambda, restate.app returns the Lambda handler.
handler = restate.app([greeter])
