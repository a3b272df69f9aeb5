"""Runs the ogctests black-box verifier's OGC API - Features Part 1 (core) suite against a running
diachinh and exits with its status; pytest's summary goes to stdout."""
import sys

from ogctests.main import run_ogctests

sys.exit(run_ogctests("features/core", sys.argv[1], ["-q", "-p", "no:cacheprovider", "--no-header", "-rfE", "--tb=short"]))
