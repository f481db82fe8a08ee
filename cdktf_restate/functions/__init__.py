"""Lambda function code shipped by the construct (each module is packaged on its own)."""
