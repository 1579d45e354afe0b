#!/usr/bin/env bash
# Reads the leads table's stream in a (moto) endpoint from its oldest record and prints the
# records as the DynamoDB stream event Lambda would deliver to the relay, for local runs with
# `cargo lambda invoke` (moto runs no event-source mappings). Usage:
#   infra/sam/stream-event-from-table.sh [TABLE_NAME] > /tmp/relay-event.json
#   cargo lambda invoke leadflow-functions -P 9003 --data-file /tmp/relay-event.json   # the relay watcher
# TABLE_NAME defaults to $LEADFLOW_TABLE, then to the one leadflow-provision wrote for the relay
# (target/local-aws/relay.env). The relay skips every record that is not an outbox record, and
# every consumer treats an event it has seen as done, so reading from the oldest record is safe.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -z "${1:-}" ] && [ -z "${LEADFLOW_TABLE:-}" ]; then
  set -a; . "$here/../../target/local-aws/relay.env"; set +a
fi
table="${1:-$LEADFLOW_TABLE}"
endpoint="${AWS_ENDPOINT_URL:-http://127.0.0.1:5000}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
region="${AWS_REGION:-us-east-1}"
aws_() { aws --endpoint-url "$endpoint" --region "$region" "$@"; }

stream_arn=$(aws_ dynamodb describe-table --table-name "$table" --query Table.LatestStreamArn --output text)
records="[]"
for shard in $(aws_ dynamodbstreams describe-stream --stream-arn "$stream_arn" \
  --query 'StreamDescription.Shards[].ShardId' --output text); do
  iterator=$(aws_ dynamodbstreams get-shard-iterator --stream-arn "$stream_arn" --shard-id "$shard" \
    --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
  page=$(aws_ dynamodbstreams get-records --shard-iterator "$iterator" --limit 100 --query Records --output json)
  records=$(jq -s 'add' <(echo "$records") <(echo "$page"))
done
STREAM_ARN="$stream_arn" python3 -c '
import datetime, json, os, sys
records = json.load(sys.stdin)
if not records:
    sys.exit("no record in the stream")
for r in records:
    r["eventSourceARN"] = os.environ["STREAM_ARN"]
    r.pop("userIdentity", None)
    # The CLI prints the creation time as a date; Lambda delivers epoch seconds.
    at = r.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(at, str):
        r["dynamodb"]["ApproximateCreationDateTime"] = datetime.datetime.fromisoformat(at).timestamp()
print(json.dumps({"Records": records}, indent=2))
' <<<"$records"
