"""Shared test options."""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="Rewrite the golden CLI outputs.")
