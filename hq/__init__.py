"""HQ: the upstream server (HTTP JSON API over PostgreSQL). See docs/architecture.md, Sync and HQ."""
