"""Publishing a built site elsewhere: S3-compatible object storage."""
