"""What AWS lets through a function: `kite serve` holds to it as well (same path locally and in the cloud)."""

# What a Lambda function may receive from API Gateway, and answer it: 6 MB of JSON each way, the event or
# the response as a whole (a base64 body is a third larger than the bytes it holds). Past it Lambda fails
# the call and the caller gets a bare error.
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
