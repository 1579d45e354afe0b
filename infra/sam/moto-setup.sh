#!/usr/bin/env bash
# Creates, in a running moto server, the tables, field key and queues that template.yaml declares, so the
# Lambda binaries can be invoked locally with `cargo lambda watch` / `cargo lambda invoke`.
# Usage: infra/sam/moto-setup.sh            (moto at $AWS_ENDPOINT_URL, default http://127.0.0.1:5000)
# Prints the environment for the functions (also in infra/sam/local.env).
set -euo pipefail

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:5000}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
aws_() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }   # AWS CLI v1 ignores AWS_ENDPOINT_URL

table="${LEADFLOW_TABLE:-leadflow-local}"

# Same keys and indexes as LeadsTable in template.yaml.
aws_ dynamodb create-table --table-name "$table" --billing-mode PAY_PER_REQUEST \
  --attribute-definitions \
    AttributeName=PK,AttributeType=S AttributeName=SK,AttributeType=S \
    AttributeName=GSI1PK,AttributeType=S AttributeName=GSI1SK,AttributeType=S \
    AttributeName=GSI2PK,AttributeType=S AttributeName=GSI2SK,AttributeType=S \
    AttributeName=GSI3PK,AttributeType=S AttributeName=GSI3SK,AttributeType=S \
    AttributeName=GSI4PK,AttributeType=S AttributeName=GSI4SK,AttributeType=S \
    AttributeName=GSI5PK,AttributeType=S AttributeName=GSI5SK,AttributeType=S \
    AttributeName=GSI6PK,AttributeType=S AttributeName=GSI6SK,AttributeType=S \
  --key-schema AttributeName=PK,KeyType=HASH AttributeName=SK,KeyType=RANGE \
  --global-secondary-indexes '[
    {"IndexName":"GSI1","KeySchema":[{"AttributeName":"GSI1PK","KeyType":"HASH"},{"AttributeName":"GSI1SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
    {"IndexName":"GSI2","KeySchema":[{"AttributeName":"GSI2PK","KeyType":"HASH"},{"AttributeName":"GSI2SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
    {"IndexName":"GSI3","KeySchema":[{"AttributeName":"GSI3PK","KeyType":"HASH"},{"AttributeName":"GSI3SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
    {"IndexName":"GSI4","KeySchema":[{"AttributeName":"GSI4PK","KeyType":"HASH"},{"AttributeName":"GSI4SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
    {"IndexName":"GSI5","KeySchema":[{"AttributeName":"GSI5PK","KeyType":"HASH"},{"AttributeName":"GSI5SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
    {"IndexName":"GSI6","KeySchema":[{"AttributeName":"GSI6PK","KeyType":"HASH"},{"AttributeName":"GSI6SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]' \
  >/dev/null
aws_ dynamodb update-time-to-live --table-name "$table" \
  --time-to-live-specification Enabled=true,AttributeName=expires_at >/dev/null

# The append-only audit trail, as AuditTable in the template.
audit_table="${LEADFLOW_AUDIT_TABLE:-leadflow-local-audit}"
aws_ dynamodb create-table --table-name "$audit_table" --billing-mode PAY_PER_REQUEST \
  --attribute-definitions \
    AttributeName=PK,AttributeType=S AttributeName=SK,AttributeType=S \
    AttributeName=ActorPK,AttributeType=S AttributeName=ActorSK,AttributeType=S \
  --key-schema AttributeName=PK,KeyType=HASH AttributeName=SK,KeyType=RANGE \
  --global-secondary-indexes '[
    {"IndexName":"ByActor","KeySchema":[{"AttributeName":"ActorPK","KeyType":"HASH"},{"AttributeName":"ActorSK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]' \
  >/dev/null

# FieldKey: wraps the data keys of sealed fields; an alias gives it a fixed name.
field_key_id=$(aws_ kms create-key --description "leadflow local field key" --query KeyMetadata.KeyId --output text)
aws_ kms create-alias --alias-name alias/leadflow-local-fields --target-key-id "$field_key_id"

# AcknowledgeQueue with its dead-letter queue (maxReceiveCount 3), as in the template.
dlq_url=$(aws_ sqs create-queue --queue-name leadflow-local-acknowledge-dlq \
  --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
dlq_arn=$(aws_ sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)
queue_url=$(aws_ sqs create-queue --queue-name leadflow-local-acknowledge \
  --attributes "{\"VisibilityTimeout\":\"120\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"3\\\"}\"}" \
  --query QueueUrl --output text)

# ScoreQueue with its dead-letter queue, as in the template.
score_dlq_url=$(aws_ sqs create-queue --queue-name leadflow-local-score-dlq \
  --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
score_dlq_arn=$(aws_ sqs get-queue-attributes --queue-url "$score_dlq_url" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)
score_url=$(aws_ sqs create-queue --queue-name leadflow-local-score \
  --attributes "{\"VisibilityTimeout\":\"120\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$score_dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"3\\\"}\"}" \
  --query QueueUrl --output text)

# One notification topic per team member of the configuration (`{prefix}{member id}`).
topic_prefix="leadflow-local-team-"
members="${LEADFLOW_TEAM_MEMBERS:-$(sed -n '/^\[\[team\]\]/,/^id = /s/^id = "\(.*\)"/\1/p' "$(dirname "$0")/../leadflow.toml")}"
topic_arn_prefix=""
for m in $members; do
  arn=$(aws_ sns create-topic --name "$topic_prefix$m" --query TopicArn --output text)
  topic_arn_prefix="${arn%"$m"}"
done

# WebhooksQueue with its dead-letter queue, as in the template.
wdlq_url=$(aws_ sqs create-queue --queue-name leadflow-local-webhooks-dlq \
  --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
wdlq_arn=$(aws_ sqs get-queue-attributes --queue-url "$wdlq_url" --attribute-names QueueArn \
  --query Attributes.QueueArn --output text)
webhooks_url=$(aws_ sqs create-queue --queue-name leadflow-local-webhooks \
  --attributes "{\"VisibilityTimeout\":\"180\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$wdlq_arn\\\",\\\"maxReceiveCount\\\":\\\"3\\\"}\"}" \
  --query QueueUrl --output text)

# Webhook secrets as SecureString parameters (the test values of tests/support/webhooks.rs).
secrets_path="${LEADFLOW_SECRETS_PATH:-/leadflow/local/webhooks}"
for pair in twilio_auth_token=twilio-test-token callrail_signing_key=callrail-test-key \
  appointments_signing_secret=appointments-test-secret stripe_webhook_secret=whsec_test_secret \
  source_chat_widget=chat-widget-test-secret; do
  aws_ ssm put-parameter --name "$secrets_path/${pair%%=*}" --value "${pair#*=}" --type SecureString --overwrite >/dev/null
done

cat <<ENV
LEADFLOW_TABLE=$table
LEADFLOW_AUDIT_TABLE=$audit_table
LEADFLOW_FIELD_KEY=alias/leadflow-local-fields
LEADFLOW_QUEUE_ACKNOWLEDGE=$queue_url
LEADFLOW_QUEUE_SCORE=$score_url
LEADFLOW_TEAM_TOPIC_ARN_PREFIX=$topic_arn_prefix
LEADFLOW_QUEUE_WEBHOOKS=$webhooks_url
LEADFLOW_SECRETS_PATH=$secrets_path
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
AWS_REGION=$AWS_REGION
AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
ENV
