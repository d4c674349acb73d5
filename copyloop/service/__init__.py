"""The service's durable state — API keys, jobs, served copy, experiments and events — in SQLite or Postgres."""
