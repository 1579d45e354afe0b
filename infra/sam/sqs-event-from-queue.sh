#!/usr/bin/env bash
# Receives up to 10 messages from a (moto) queue and prints them as the SQS event Lambda would
# deliver, for local runs with `cargo lambda invoke` (moto runs no event-source mappings). Usage:
#   infra/sam/sqs-event-from-queue.sh [QUEUE_URL] > /tmp/ack-event.json
#   cargo lambda invoke leadflow-functions -P 9002 --data-file /tmp/ack-event.json   # the acknowledge watcher
# QUEUE_URL defaults to $LEADFLOW_QUEUE_ACKNOWLEDGE, then to the one leadflow-provision wrote
# for the acknowledge function (target/local-aws/acknowledge.env).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -z "${1:-}" ] && [ -z "${LEADFLOW_QUEUE_ACKNOWLEDGE:-}" ]; then
  set -a; . "$here/../../target/local-aws/acknowledge.env"; set +a
fi
queue_url="${1:-$LEADFLOW_QUEUE_ACKNOWLEDGE}"
endpoint="${AWS_ENDPOINT_URL:-http://127.0.0.1:5000}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
region="${AWS_REGION:-us-east-1}"

queue_arn=$(aws --endpoint-url "$endpoint" --region "$region" sqs get-queue-attributes \
  --queue-url "$queue_url" --attribute-names QueueArn --query Attributes.QueueArn --output text)
aws --endpoint-url "$endpoint" --region "$region" sqs receive-message --queue-url "$queue_url" \
  --max-number-of-messages 10 --attribute-names All --message-attribute-names All --output json |
QUEUE_ARN="$queue_arn" REGION="$region" python3 -c '
import json, os, sys
raw = sys.stdin.read().strip()
messages = json.loads(raw).get("Messages", []) if raw else []
records = [{
    "messageId": m["MessageId"],
    "receiptHandle": m["ReceiptHandle"],
    "body": m["Body"],
    "attributes": m.get("Attributes", {}),
    "messageAttributes": m.get("MessageAttributes", {}),
    "md5OfBody": m["MD5OfBody"],
    "eventSource": "aws:sqs",
    "eventSourceARN": os.environ["QUEUE_ARN"],
    "awsRegion": os.environ["REGION"],
} for m in messages]
if not records:
    sys.exit("no message in the queue")
print(json.dumps({"Records": records}, indent=2))
'
