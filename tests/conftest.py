"""Shared fixtures live in tests/fixtures/; register them here."""

pytest_plugins = [
    "tests.fixtures.airflow",
    "tests.fixtures.bigquery",
    "tests.fixtures.postgres",
    "tests.fixtures.snowflake",
    "tests.fixtures.sandbox",
    "tests.fixtures.image_report",
]
