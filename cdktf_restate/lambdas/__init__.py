"""Lambda function code shipped by the construct (each handler is packaged on its own) and
the deterministic packaging of their zips (``build``)."""
