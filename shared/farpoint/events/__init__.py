"""Generated protobuf code for proto/farpoint/v1 (scripts/proto.sh; do not edit)."""
